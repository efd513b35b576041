package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;

/**
 * A purchase as in production, with Stripe played locally: a checkout through the server, then
 * Stripe's signed "payment succeeded" webhook about that session.
 */
final class StripePurchase {

  private final Rest rest;
  private final StripeStandIn stripe;
  private final String webhookSecret;

  StripePurchase(Rest rest, StripeStandIn stripe, String webhookSecret) {
    this.rest = rest;
    this.stripe = stripe;
    this.webhookSecret = webhookSecret;
  }

  /** The 100-credit package ($10.00), paid by the user holding {@code accessToken}. */
  void buyHundredCredits(String accessToken) {
    JsonNode checkout = rest.post("/api/v1/credits/checkout", accessToken, Map.of("package_id", "credits_100"))
        .expect(200, "checkout");
    String sessionId = checkout.path("session_id").asText();
    StripeStandIn.CheckoutRequest asked = stripe.checkouts().stream()
        .filter(request -> request.sessionId().equals(sessionId)).findFirst().orElseThrow();
    Map<String, Object> session = Map.of(
        "id", sessionId,
        "object", "checkout.session",
        "payment_status", "paid",
        "client_reference_id", asked.form().get("client_reference_id"),
        "amount_total", Long.parseLong(asked.form().get("line_items[0][price_data][unit_amount]")),
        "currency", asked.form().get("line_items[0][price_data][currency]"));
    Map<String, Object> event = Map.of("id", "evt_e2e_" + sessionId, "object", "event",
        "type", "checkout.session.completed", "livemode", false, "data", Map.of("object", session));
    String body;
    try {
      body = Rest.JSON.writeValueAsString(event);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    String signature = StripeSignature.header(webhookSecret, body, Instant.now().getEpochSecond());
    JsonNode received = rest.post("/api/v1/webhooks/stripe", null, body, Map.of("Stripe-Signature", signature))
        .expect(200, "webhook");
    assertThat(received.path("received").asBoolean()).isTrue();
  }
}
