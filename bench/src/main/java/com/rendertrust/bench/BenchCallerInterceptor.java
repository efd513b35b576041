package com.rendertrust.bench;

import com.rendertrust.server.platform.auth.Caller;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.platform.auth.Role;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.UUID;

/**
 * BENCHMARK ONLY: runs each call as the user named in {@code x-bench-user-id}, standing in for
 * the authentication interceptor (not merged yet) on the benchmark's own gRPC listener. Once
 * authentication merges, the driver logs in and sends bearer tokens to the real port instead.
 */
final class BenchCallerInterceptor implements ServerInterceptor {

  static final Metadata.Key<String> USER_ID = Metadata.Key.of("x-bench-user-id", Metadata.ASCII_STRING_MARSHALLER);

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
}
