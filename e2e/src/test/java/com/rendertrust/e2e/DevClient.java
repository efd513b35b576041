package com.rendertrust.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/** A creator's and an operator's REST calls against the dev server (docs/API.md), with Stripe played locally. */
final class DevClient {

  static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);

  record User(UUID id, String email, String accessToken) {}

  private final Rest rest;
  private final StripeStandIn stripe;
  private final String webhookSecret;

  DevClient(Rest rest, StripeStandIn stripe, String webhookSecret) {
    this.rest = rest;
    this.stripe = stripe;
    this.webhookSecret = webhookSecret;
  }

  Rest rest() {
    return rest;
  }

  User registerUser(String role) {
    String email = role + "-" + UUID.randomUUID().toString().substring(0, 8) + "@e2e.example.com";
    JsonNode registered = rest.post("/api/v1/auth/register", null,
        Map.of("email", email, "name", "E2E " + role, "password", "correct horse battery"))
        .expect(201, "register " + role);
    return new User(UUID.fromString(registered.path("user").path("id").asText()), email,
        registered.path("tokens").path("access_token").asText());
  }

  /**
   * A purchase as in production, with Stripe played locally: a checkout through the server, then
   * Stripe's signed "payment succeeded" webhook about that session.
   */
  void buyHundredCredits(User user) {
    JsonNode checkout = rest.post("/api/v1/credits/checkout", user.accessToken(), Map.of("package_id", "credits_100"))
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

  /**
   * The charge of a completed job is settled right after its status changes (README, "Money"),
   * so a balance is awaited rather than read once; the operator's and platform's legs are
   * written in the same transaction as the creator's.
   */
  void awaitBalance(User user, String expected) {
    String[] last = new String[1];
    Await.until("balance " + expected, Duration.ofSeconds(30),
        () -> Optional.of(last[0] = balance(user)).filter(expected::equals), () -> last[0]);
  }

  String balance(User user) {
    return rest.get("/api/v1/credits/balance", user.accessToken()).expect(200, "balance").path("balance").asText();
  }

  JsonNode submit(User creator, Map<String, Object> job) {
    return rest.post("/api/v1/jobs/dispatch", creator.accessToken(), job).expect(200, "dispatch " + job);
  }

  static boolean terminal(JsonNode job) {
    return switch (job.path("status").asText()) {
      case "COMPLETED", "FAILED", "CANCELLED" -> true;
      default -> false;
    };
  }

  JsonNode awaitCompleted(User creator, String jobId) {
    JsonNode job = awaitJob(creator, jobId, "COMPLETED", DevClient::terminal);
    assertThat(job.path("status").asText()).as("job %s: %s", jobId, job).isEqualTo("COMPLETED");
    return job;
  }

  JsonNode awaitJob(User creator, String jobId, String what, Predicate<JsonNode> condition) {
    JsonNode[] last = new JsonNode[1];
    return Await.until("job " + jobId + " " + what, JOB_TIMEOUT, () -> {
      last[0] = rest.get("/api/v1/jobs/" + jobId, creator.accessToken()).expect(200, "job " + jobId);
      return Optional.of(last[0]).filter(condition);
    }, () -> String.valueOf(last[0]));
  }

  /** The result through the presigned URL the server hands the creator. */
  byte[] download(User creator, String jobId) {
    JsonNode link = rest.get("/api/v1/jobs/" + jobId + "/result", creator.accessToken()).expect(200, "result link");
    Rest.Response file = rest.fetch(URI.create(link.path("download_url").asText()));
    assertThat(file.status()).as("download of %s", link).isEqualTo(200);
    return file.body();
  }
}
