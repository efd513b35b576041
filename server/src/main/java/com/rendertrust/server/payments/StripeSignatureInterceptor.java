package com.rendertrust.server.payments;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;

/**
 * Hands the {@code stripe-signature} header (gRPC metadata; the REST edges forward the HTTP
 * header under the same name) to the webhook adapter, which cannot see metadata itself.
 */
public final class StripeSignatureInterceptor implements ServerInterceptor {

  static final Metadata.Key<String> HEADER = Metadata.Key.of("stripe-signature", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> SIGNATURE = Context.key("stripe-signature");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String signature = headers.get(HEADER);
    if (signature == null) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(SIGNATURE, signature), call, headers, next);
  }

  /** The current call's signature header, if it sent one. */
  static Optional<String> current() {
    return Optional.ofNullable(SIGNATURE.get());
  }
}
