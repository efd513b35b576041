package com.rendertrust.server.testing;

import com.rendertrust.server.platform.auth.Caller;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.auth.Role;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.UUID;

/**
 * TEST ONLY. Stands in for the authentication interceptor of the identity issue, which is not
 * on this branch yet: a call that carries {@code x-test-user-id: <uuid>} runs as that user
 * (sets {@link CallerContext#KEY}); any other call runs unauthenticated. Never used by main code;
 * adapter tests move to real login once authentication is merged.
 */
public final class TestCallerInterceptor implements ServerInterceptor {

  public static final Metadata.Key<String> USER_ID =
      Metadata.Key.of("x-test-user-id", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String userId = headers.get(USER_ID);
    if (userId == null) {
      return next.startCall(call, headers);
    }
    Context context = Context.current().withValue(CallerContext.KEY, new Caller(UUID.fromString(userId), Role.USER));
    return Contexts.interceptCall(context, call, headers, next);
  }

  /** A client interceptor that sends every call as {@code userId}. */
  public static ClientInterceptor as(UUID userId) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(USER_ID, userId.toString());
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
