package com.rendertrust.server.payments;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The parts of a Stripe event this server acts on. Parsed from the raw JSON (not through
 * stripe-java's typed deserializer, which yields nothing when the event's api_version differs
 * from the library's), and only after the signature verified.
 */
public record StripeEvent(String id, String type, boolean livemode, Optional<CheckoutSession> session) {

  public static final String CHECKOUT_COMPLETED = "checkout.session.completed";
  public static final String ASYNC_PAYMENT_SUCCEEDED = "checkout.session.async_payment_succeeded";
  public static final String ASYNC_PAYMENT_FAILED = "checkout.session.async_payment_failed";
  public static final String CHECKOUT_EXPIRED = "checkout.session.expired";

  /**
   * A Checkout Session object as the event carries it. Only {@code id} and the payment status
   * are trusted for fulfilment; amount, currency and client reference are compared with our
   * record as a tamper/misconfiguration alarm, and {@code checkoutId} (our metadata) only
   * finds our record when the session id was never stored.
   */
  public record CheckoutSession(String id, Optional<String> paymentStatus, Optional<String> clientReferenceId,
      OptionalLong amountTotal, Optional<String> currency, Optional<String> checkoutId) {

    public boolean paid() {
      return paymentStatus.filter("paid"::equals).isPresent();
    }
  }
}
