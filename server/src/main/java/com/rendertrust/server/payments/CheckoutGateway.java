package com.rendertrust.server.payments;

import java.util.UUID;

/** Where Checkout sessions are created: Stripe in production, a local fake HTTP server in tests. */
public interface CheckoutGateway {

  /** What the payment page sells, to whom, and the key that makes a retried create return the same session. */
  record SessionRequest(UUID checkoutId, UUID userId, CreditPackage creditPackage, String idempotencyKey) {
  }

  record Session(String id, String url) {
  }

  /** Creates the session; {@link PaymentProviderException} when the provider fails or cannot be reached. */
  Session createSession(SessionRequest request);

  /** The provider failed; {@code reason} is for logs only (it never reaches clients). */
  final class PaymentProviderException extends RuntimeException {
    public PaymentProviderException(String reason, Throwable cause) {
      super(reason, cause);
    }
  }
}
