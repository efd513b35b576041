package com.rendertrust.server.platform.telemetry;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * One SERVER span per RPC, and so per REST call (the edge transcodes REST into the same calls),
 * child of the caller's W3C {@code traceparent} header when it sends one. The span is current
 * while the call's handlers run, so database transactions, jobs and logs below it join the trace.
 */
public final class RpcTracingInterceptor implements ServerInterceptor {

  private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);

  private final Tracer tracer;

  public RpcTracingInterceptor(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Span span = tracer.spanBuilder(method)
        .setParent(Tracing.fromTraceparent(headers.get(TRACEPARENT)))
        .setSpanKind(SpanKind.SERVER)
        .setAttribute("rpc.system", "grpc")
        .setAttribute("rpc.service", call.getMethodDescriptor().getServiceName())
        .setAttribute("rpc.method", call.getMethodDescriptor().getBareMethodName())
        .startSpan();
    Context context = Context.current().with(span);
    ServerCall<Q, R> traced = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        span.setAttribute("rpc.grpc.status_code", status.getCode().value());
        if (!status.isOk() && status.getCode() != Status.Code.NOT_FOUND
            && status.getCode() != Status.Code.INVALID_ARGUMENT) {
          span.setStatus(StatusCode.ERROR, status.getCode().name());
        }
        span.end();
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener;
    try (Scope scope = context.makeCurrent()) {
      listener = next.startCall(traced, headers);
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        try (Scope scope = context.makeCurrent()) {
          super.onMessage(message);
        }
      }

      @Override
      public void onHalfClose() {
        try (Scope scope = context.makeCurrent()) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        try (Scope scope = context.makeCurrent()) {
          super.onCancel();
        }
      }

      @Override
      public void onComplete() {
        try (Scope scope = context.makeCurrent()) {
          super.onComplete();
        }
      }

      @Override
      public void onReady() {
        try (Scope scope = context.makeCurrent()) {
          super.onReady();
        }
      }
    };
  }
}
