package com.rendertrust.server.platform.http;

import com.linecorp.armeria.server.ServiceRequestContext;
import com.rendertrust.server.platform.grpc.GrpcErrors;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.netty.util.AttributeKey;
import java.util.Map;

/**
 * Marks successful calls of RPCs whose REST contract documents a non-200 success (201 for
 * creations). The mark is an {@code x-http-status} response header, which Envoy's Lua filter
 * turns into {@code :status}, and a request attribute the in-process edge reads.
 */
public final class SuccessStatusInterceptor implements ServerInterceptor {

  static final AttributeKey<Integer> SUCCESS_STATUS =
      AttributeKey.valueOf(SuccessStatusInterceptor.class, "SUCCESS_STATUS");

  private final Map<String, Integer> statusByMethod;

  /** {@code statusByMethod}: full gRPC method name to the HTTP status its success answers with. */
  public SuccessStatusInterceptor(Map<String, Integer> statusByMethod) {
    this.statusByMethod = Map.copyOf(statusByMethod);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    Integer status = statusByMethod.get(call.getMethodDescriptor().getFullMethodName());
    if (status == null) {
      return next.startCall(call, headers);
    }
    ServiceRequestContext ctx = ServiceRequestContext.currentOrNull();
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void sendHeaders(Metadata responseHeaders) {
        responseHeaders.put(GrpcErrors.HTTP_STATUS_KEY, status.toString());
        if (ctx != null) {
          ctx.setAttr(SUCCESS_STATUS, status);
        }
        super.sendHeaders(responseHeaders);
      }
    }, headers);
  }
}
