package com.rendertrust.server.payments;

/** A Checkout attempt's life, as {@code credit_checkouts.status}. */
enum CheckoutStatus {
  /** Recorded, Stripe not (yet) answered. */
  CREATING,
  /** Stripe refused or could not be reached; no session to pay. */
  CREATE_FAILED,
  /** The session exists; waiting for the user to pay. */
  OPEN,
  /** Payment confirmed by a signed event and the package credited (once). */
  PAID,
  /** A delayed payment method failed. */
  PAYMENT_FAILED,
  /** The session expired unpaid. */
  EXPIRED
}
