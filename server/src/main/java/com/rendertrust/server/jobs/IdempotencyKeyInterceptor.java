package com.rendertrust.server.jobs;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Carries the {@code Idempotency-Key} HTTP header (gRPC metadata {@code idempotency-key}) to the
 * jobs adapter, which accepts it as an alternative to the body's {@code idempotency_key}.
 */
final class IdempotencyKeyInterceptor implements ServerInterceptor {

  static final Context.Key<String> KEY = Context.key("rendertrust-idempotency-key");
  private static final Metadata.Key<String> HEADER = Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String key = headers.get(HEADER);
    if (key == null) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(KEY, key), call, headers, next);
  }
}
