package com.rendertrust.server.webhooks;

import static com.rendertrust.server.webhooks.WebhookDeliveryTest.await;
import static com.rendertrust.server.webhooks.WebhookDeliveryTest.createEndpoint;
import static com.rendertrust.server.webhooks.WebhookDeliveryTest.deliveries;
import static com.rendertrust.server.webhooks.WebhookDeliveryTest.verifies;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.platform.FreePorts;
import com.rendertrust.server.platform.config.WebhooksConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.MutableClock;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The endpoint API: bad input (nothing written), other users' objects, rotation, redelivery, retry window, disabling. */
class WebhookEndpointsApiTest {

  @Test
  void badUrlsAndUnknownEventTypesAnswer422AndWriteNothing() {
    // production rules: https only, public addresses only
    try (TestServer server = TestServer.start(TestServer.freshConfig())) {
      UUID user = UUID.randomUUID();
      String longUrl = "https://example.com/" + "a".repeat(2100);
      List<String[]> cases = List.of(
          new String[] {"ftp://example.com/hooks", "url"},
          new String[] {"http://example.com/hooks", "url"},
          new String[] {"https://user:pass@example.com/hooks", "url"},
          new String[] {longUrl, "url"},
          new String[] {"https://127.0.0.1/hooks", "url"},
          new String[] {"https://localhost:8443/hooks", "url"},
          new String[] {"https://10.1.2.3/hooks", "url"},
          new String[] {"https://169.254.169.254/latest", "url"},
          new String[] {"https://[::1]/hooks", "url"},
          new String[] {"https://0x7f.0.0.1/hooks", "url"},
          new String[] {"not a url", "url"},
          new String[] {"", "url"});
      for (String[] c : cases) {
        HttpResponse<String> response = server.postJson("/api/v1/webhooks/endpoints",
            "{\"url\":\"" + c[0] + "\",\"events\":[\"job.completed\"]}", TestTokens.authHeader(server, user));
        assertThat(response.statusCode()).as(c[0] + " -> " + response.body()).isEqualTo(422);
        assertThat(Json.parse(response.body()).get("detail").asText()).isNotBlank();
      }
      for (String events : List.of("[\"job.exploded\"]", "[]", "[\"webhook.test\"]", "[\"job.completed\",\"\"]")) {
        HttpResponse<String> response = server.postJson("/api/v1/webhooks/endpoints",
            "{\"url\":\"https://93.184.215.14/hooks\",\"events\":" + events + "}", TestTokens.authHeader(server, user));
        assertThat(response.statusCode()).as(events + " -> " + response.body()).isEqualTo(422);
      }
      JsonNode list = Json.parse(server.get("/api/v1/webhooks/endpoints", TestTokens.authHeader(server, user)).body());
      assertThat(list.path("count").asInt()).isZero();

      HttpResponse<String> ok = server.postJson("/api/v1/webhooks/endpoints",
          "{\"url\":\"https://93.184.215.14/hooks\",\"events\":[\"job.completed\",\"job.completed\",\"job.failed\"]}",
          TestTokens.authHeader(server, user));
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
      JsonNode endpoint = Json.parse(ok.body()).get("endpoint");
      assertThat(endpoint.get("enabled").asBoolean()).isTrue();
      assertThat(endpoint.get("events")).hasSize(2);
      JsonNode listed = Json.parse(server.get("/api/v1/webhooks/endpoints", TestTokens.authHeader(server, user)).body());
      assertThat(listed.get("count").asInt()).isEqualTo(1);
      assertThat(listed.toString()).doesNotContain("whsec_");
    }
  }

  @Test
  void anotherUsersEndpointsAndDeliveriesAnswer404() {
    try (TestServer server = TestServer.start(WebhookDeliveryTest.config());
         TestReceiver receiver = TestReceiver.accepting(0)) {
      UUID owner = UUID.randomUUID();
      UUID other = UUID.randomUUID();
      JsonNode created = createEndpoint(server, owner, receiver.url(), "[\"job.completed\"]");
      receiver.trust(created.get("secret").asText());
      String id = created.get("endpoint").get("id").asText();
      server.postJson("/api/v1/webhooks/endpoints/" + id + "/test", "{}", TestTokens.authHeader(server, owner));
      await(() -> !deliveries(server, owner, id).isEmpty(), "a delivery");
      String deliveryId = deliveries(server, owner, id).get(0).get("id").asText();
      String[] as = TestTokens.authHeader(server, other);
      for (String missing : List.of(id, UUID.randomUUID().toString(), "not-an-id")) {
        assertThat(server.delete("/api/v1/webhooks/endpoints/" + missing, as).statusCode()).isEqualTo(404);
        assertThat(server.postJson("/api/v1/webhooks/endpoints/" + missing + "/rotate-secret", "{}", as).statusCode())
            .isEqualTo(404);
        assertThat(server.postJson("/api/v1/webhooks/endpoints/" + missing + "/test", "{}", as).statusCode())
            .isEqualTo(404);
        assertThat(server.get("/api/v1/webhooks/endpoints/" + missing + "/deliveries", as).statusCode()).isEqualTo(404);
      }
      assertThat(server.postJson("/api/v1/webhooks/deliveries/" + deliveryId + "/redeliver", "{}", as).statusCode())
          .isEqualTo(404);
      assertThat(Json.parse(server.get("/api/v1/webhooks/endpoints", as).body()).path("count").asInt()).isZero();
      assertThat(server.get("/api/v1/webhooks/endpoints/" + id + "/deliveries?limit=500",
          TestTokens.authHeader(server, owner)).statusCode()).isEqualTo(422);

      HttpResponse<String> deleted = server.delete("/api/v1/webhooks/endpoints/" + id, TestTokens.authHeader(server, owner));
      assertThat(deleted.statusCode()).isEqualTo(200);
      assertThat(Json.parse(deleted.body()).get("endpoint").get("enabled").asBoolean()).isFalse();
      assertThat(server.delete("/api/v1/webhooks/endpoints/" + id, TestTokens.authHeader(server, owner)).statusCode())
          .isEqualTo(404);
    }
  }

  @Test
  void aRotatedSecretSignsNextToTheNewOneAndRedeliveryKeepsTheEventId() {
    try (TestServer server = TestServer.start(WebhookDeliveryTest.config());
         TestReceiver receiver = TestReceiver.accepting(0)) {
      UUID user = UUID.randomUUID();
      JsonNode created = createEndpoint(server, user, receiver.url(), "[\"job.completed\"]");
      String oldSecret = created.get("secret").asText();
      String id = created.get("endpoint").get("id").asText();
      receiver.trust(oldSecret);
      HttpResponse<String> rotated = server.postJson("/api/v1/webhooks/endpoints/" + id + "/rotate-secret", "{}",
          TestTokens.authHeader(server, user));
      assertThat(rotated.statusCode()).isEqualTo(200);
      String newSecret = Json.parse(rotated.body()).get("secret").asText();
      assertThat(newSecret).startsWith("whsec_").isNotEqualTo(oldSecret);

      String eventId = Json.parse(server.postJson("/api/v1/webhooks/endpoints/" + id + "/test", "{}",
          TestTokens.authHeader(server, user)).body()).get("event_id").asText();
      await(() -> receiver.accepted().containsKey(eventId), "the test event");
      TestReceiver.Received first = receiver.received().get(0);
      assertThat(first.signature()).matches("t=\\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}");
      assertThat(verifies(oldSecret, first)).isTrue();
      assertThat(verifies(newSecret, first)).isTrue();

      String deliveryId = WebhookDeliveryTest.awaitDelivery(server, user, id, "SUCCEEDED").get("id").asText();
      HttpResponse<String> again = server.postJson("/api/v1/webhooks/deliveries/" + deliveryId + "/redeliver", "{}",
          TestTokens.authHeader(server, user));
      assertThat(again.statusCode()).as(again.body()).isEqualTo(202);
      JsonNode redelivery = Json.parse(again.body()).get("delivery");
      assertThat(redelivery.get("event_id").asText()).isEqualTo(eventId);
      assertThat(redelivery.get("id").asText()).isNotEqualTo(deliveryId);
      await(() -> receiver.accepted().getOrDefault(eventId, 0) == 2, "the redelivery");
      assertThat(receiver.received().get(1).body()).isEqualTo(first.body());
    }
  }

  @Test
  void aDeliveryFailsAfterTheRetryWindowAndAnEndpointFailingFor72HoursIsDisabled() {
    MutableClock clock = new MutableClock();
    try (TestServer server = TestServer.start(WebhookDeliveryTest.config(), clock)) {
      UUID user = UUID.randomUUID();
      String url = "http://127.0.0.1:" + FreePorts.any() + "/hooks"; // nobody listens
      String id = createEndpoint(server, user, url, "[\"job.completed\"]").get("endpoint").get("id").asText();
      server.postJson("/api/v1/webhooks/endpoints/" + id + "/test", "{}", TestTokens.authHeader(server, user));
      await(() -> deliveries(server, user, id).stream().anyMatch(d -> d.get("attempts").asInt() >= 1
          && d.get("status").asText().equals("PENDING")), "a failed first attempt");

      clock.advance(Duration.ofHours(25));
      await(() -> deliveries(server, user, id).get(0).get("status").asText().equals("FAILED"), "FAILED after 24 h");
      JsonNode endpoint = Json.parse(server.get("/api/v1/webhooks/endpoints", TestTokens.authHeader(server, user)).body())
          .get("endpoints").get(0);
      assertThat(endpoint.get("enabled").asBoolean()).as("failing for 25 h only").isTrue();

      server.postJson("/api/v1/webhooks/endpoints/" + id + "/test", "{}", TestTokens.authHeader(server, user));
      await(() -> deliveries(server, user, id).get(0).get("attempts").asInt() >= 1, "a failed attempt");
      clock.advance(Duration.ofHours(48)); // its retry is due now, 73 h after the first failure
      await(() -> !Json.parse(server.get("/api/v1/webhooks/endpoints", TestTokens.authHeader(server, user)).body())
          .get("endpoints").get(0).get("enabled").asBoolean(), "disabled after 72 h of failures");
      await(() -> deliveries(server, user, id).stream().allMatch(d -> d.get("status").asText().equals("FAILED")),
          "its pending deliveries FAILED");
    }
  }
}
