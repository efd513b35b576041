package com.rendertrust.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.sdk.WebhookSignature;
import com.rendertrust.server.platform.FreePorts;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Deliveries to a real receiver (the JDK's HttpServer, checking every signature with the SDK's
 * WebhookSignature): retries after a 500, a receiver that is down across a server restart, and
 * two replicas on one database making each attempt once.
 */
class WebhookDeliveryTest {

  /** Short retries so the tests wait seconds, not minutes; local receivers allowed. */
  static ServerConfig config() {
    return TestServer.freshConfig().withWebhooks(WebhooksConfig.defaults().allowingLocalReceivers()
        .withRetryBase(Duration.ofMillis(200)).withPollInterval(Duration.ofMillis(100))
        .withRequestTimeout(Duration.ofSeconds(5)));
  }

  @Test
  void aReceiverAnswering500FirstGetsTheRetryAndTheLogShowsSucceededAfterTwoAttempts() {
    try (TestServer server = TestServer.start(config());
         TestReceiver receiver = TestReceiver.start(0, n -> n == 1 ? 500 : 200)) {
      UUID user = UUID.randomUUID();
      JsonNode created = createEndpoint(server, user, receiver.url(), "[\"job.completed\"]");
      String secret = created.get("secret").asText();
      assertThat(secret).startsWith("whsec_");
      receiver.trust(secret);
      String endpointId = created.get("endpoint").get("id").asText();

      HttpResponse<String> test = server.postJson("/api/v1/webhooks/endpoints/" + endpointId + "/test", "{}",
          TestTokens.authHeader(server, user));
      assertThat(test.statusCode()).isEqualTo(202);
      String eventId = Json.parse(test.body()).get("event_id").asText();
      assertThat(eventId).matches("evt_[0-9a-f]{32}");

      JsonNode delivery = awaitDelivery(server, user, endpointId, "SUCCEEDED");
      assertThat(delivery.get("event_id").asText()).isEqualTo(eventId);
      assertThat(delivery.get("event_type").asText()).isEqualTo("webhook.test");
      assertThat(delivery.get("attempts").asInt()).isEqualTo(2);
      assertThat(delivery.get("response_status").asInt()).isEqualTo(200);
      assertThat(delivery.has("next_attempt_at") && !delivery.get("next_attempt_at").isNull()).isFalse();

      List<TestReceiver.Received> received = receiver.received();
      assertThat(received).hasSize(2).allMatch(TestReceiver.Received::verified);
      assertThat(received).extracting(TestReceiver.Received::eventId).containsOnly(eventId);
      assertThat(received.get(1).body()).as("the same bytes every attempt").isEqualTo(received.get(0).body());
      JsonNode body = Json.parse(received.get(0).body());
      assertThat(body.get("id").asText()).isEqualTo(eventId);
      assertThat(body.get("type").asText()).isEqualTo("webhook.test");
      assertThat(body.get("data").get("endpoint_id").asText()).isEqualTo(endpointId);
      assertThat(receiver.accepted()).containsEntry(eventId, 1);
    }
  }

  @Test
  void aReceiverDownForAWhileGetsEveryEventOnceBackAcrossAServerRestart() {
    ServerConfig config = config();
    int port = FreePorts.any();
    String url = "http://127.0.0.1:" + port + "/hooks";
    UUID user = UUID.randomUUID();
    List<UUID> jobs = new ArrayList<>();
    String secret;
    String endpointId;
    try (TestServer first = TestServer.start(config)) {
      JsonNode created = createEndpoint(first, user, url, "[\"job.completed\",\"job.failed\"]");
      secret = created.get("secret").asText();
      endpointId = created.get("endpoint").get("id").asText();
      JobEventSink sink = first.controlPlane().webhooks().sink();
      for (int i = 1; i <= 30; i++) {
        UUID job = UUID.randomUUID();
        jobs.add(job);
        sink.onJobEvent(user, i % 3 == 0 ? "job.failed" : "job.completed", "{\"id\":\"" + job + "\"}", i, Instant.now());
      }
      sink.onJobEvent(user, "task.progress", "{\"id\":\"" + UUID.randomUUID() + "\"}", 31, Instant.now()); // not subscribed
      sink.onJobEvent(user, "job.completed", "{\"id\":\"" + jobs.get(0) + "\"}", 1, Instant.now()); // handed over twice
      // the receiver is down: every delivery fails at least once and stays PENDING
      await(() -> deliveries(first, user, endpointId).stream()
          .allMatch(d -> d.get("attempts").asInt() >= 1 && d.get("status").asText().equals("PENDING")), "failed attempts");
      assertThat(deliveries(first, user, endpointId)).hasSize(30)
          .allMatch(d -> d.get("last_error").asText().contains("onnect")); // connection refused
    }
    try (TestServer second = TestServer.start(config);
         TestReceiver receiver = TestReceiver.accepting(port)) {
      receiver.trust(secret);
      await(() -> deliveries(second, user, endpointId).stream().allMatch(d -> d.get("status").asText().equals("SUCCEEDED")),
          "every delivery SUCCEEDED");
      List<JsonNode> all = deliveries(second, user, endpointId);
      Set<String> eventIds = new HashSet<>();
      all.forEach(d -> eventIds.add(d.get("event_id").asText()));
      assertThat(eventIds).hasSize(30);
      assertThat(receiver.accepted().keySet()).containsExactlyInAnyOrderElementsOf(eventIds);
      assertThat(receiver.received()).allMatch(TestReceiver.Received::verified);
      Set<String> deliveredJobs = new HashSet<>();
      receiver.received().forEach(r -> deliveredJobs.add(Json.parse(r.body()).get("data").get("job").get("id").asText()));
      assertThat(deliveredJobs).containsExactlyInAnyOrderElementsOf(jobs.stream().map(UUID::toString).toList());
    }
  }

  @Test
  void twoReplicasOnOneDatabaseMakeEachAttemptOnce() {
    ServerConfig config = config();
    try (TestServer a = TestServer.start(config);
         TestServer b = TestServer.start(config);
         TestReceiver receiver = TestReceiver.accepting(0)) {
      UUID user = UUID.randomUUID();
      JsonNode created = createEndpoint(a, user, receiver.url(), "[\"job.completed\"]");
      receiver.trust(created.get("secret").asText());
      String endpointId = created.get("endpoint").get("id").asText();
      int events = 200;
      for (int i = 1; i <= events; i++) {
        TestServer via = i % 2 == 0 ? a : b;
        via.controlPlane().webhooks().sink().onJobEvent(user, "job.completed",
            "{\"id\":\"" + UUID.randomUUID() + "\"}", i, Instant.now());
      }
      await(() -> receiver.accepted().size() == events, "every event received");
      await(() -> deliveries(b, user, endpointId).stream().allMatch(d -> d.get("status").asText().equals("SUCCEEDED")),
          "every delivery recorded");
      assertThat(receiver.accepted().values()).as("each event received once").containsOnly(1);
      assertThat(receiver.received()).hasSize(events);
      assertThat(deliveries(a, user, endpointId)).hasSize(events).allMatch(d -> d.get("attempts").asInt() == 1);
    }
  }

  static JsonNode createEndpoint(TestServer server, UUID user, String url, String events) {
    HttpResponse<String> response = server.postJson("/api/v1/webhooks/endpoints",
        "{\"url\":\"" + url + "\",\"events\":" + events + ",\"description\":\"test\"}", TestTokens.authHeader(server, user));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return Json.parse(response.body());
  }

  static List<JsonNode> deliveries(TestServer server, UUID user, String endpointId) {
    HttpResponse<String> response = server.get("/api/v1/webhooks/endpoints/" + endpointId + "/deliveries?limit=200",
        TestTokens.authHeader(server, user));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<JsonNode> list = new ArrayList<>();
    JsonNode deliveries = Json.parse(response.body()).get("deliveries");
    if (deliveries != null) {
      deliveries.forEach(list::add);
    }
    return list;
  }

  static JsonNode awaitDelivery(TestServer server, UUID user, String endpointId, String status) {
    await(() -> deliveries(server, user, endpointId).stream().anyMatch(d -> d.get("status").asText().equals(status)),
        "a delivery " + status);
    return deliveries(server, user, endpointId).stream().filter(d -> d.get("status").asText().equals(status))
        .findFirst().orElseThrow();
  }

  /** Waits for a condition the deliveries reach on their own (no timing is asserted; the bound only ends a hang). */
  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never reached: " + what);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static boolean verifies(String secret, TestReceiver.Received request) {
    return WebhookSignature.verify(secret, request.signature(), request.body(), Duration.ofMinutes(5));
  }
}
