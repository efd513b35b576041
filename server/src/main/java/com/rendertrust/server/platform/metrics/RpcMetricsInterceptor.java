package com.rendertrust.server.platform.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Counts every RPC and records its latency per method and final status code, as one
 * histogram ({@code rpc_server_duration_seconds}); Prometheus derives the request count from it.
 */
public final class RpcMetricsInterceptor implements ServerInterceptor {

  private final MeterRegistry registry;

  public RpcMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    long startNanos = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    ServerCall<Q, R> timed = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        Timer.builder("rpc_server_duration")
            .description("Server-side RPC latency by method and status code")
            .tag("method", method)
            .tag("code", status.getCode().name())
            .publishPercentileHistogram()
            .register(registry)
            .record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        super.close(status, trailers);
      }
    };
    return next.startCall(timed, headers);
  }
}
