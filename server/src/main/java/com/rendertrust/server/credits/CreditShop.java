package com.rendertrust.server.credits;

import java.util.List;
import java.util.UUID;

/**
 * What the credits API sells: the credit packages and a checkout session for one of them. The
 * payments feature implements it with Stripe, so that payments depends on credits and never the
 * other way round.
 */
public interface CreditShop {

  /** A purchasable bundle of credits; {@code priceCents} in the smallest unit of {@code currency}. */
  record Offer(String id, String name, CreditAmount credits, int priceCents, String currency) {
  }

  /** What the client needs to send the user to the payment page. */
  record Checkout(String checkoutUrl, String sessionId) {
  }

  List<Offer> packages();

  /** Starts a checkout of {@code packageId} for {@code userId}; errors as documented on CreateCheckout. */
  Checkout start(UUID userId, String packageId);
}
