package com.rendertrust.sdk;

/** A Stripe Checkout session to send the user to. */
public record CheckoutSession(String sessionId, String checkoutUrl) {
}
