package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The REST/JSON shapes of the credit endpoints (API.md "Credits") over real HTTP against the real
 * server, authenticated with real access tokens ({@link TestTokens}).
 */
class CreditRestContractTest {

  private static TestServer server;
  private static CreditService credits;

  @BeforeAll
  static void start() {
    server = TestServer.start();
    credits = server.controlPlane().credits();
  }

  @AfterAll
  static void stop() {
    assertLedgerInvariants(server.controlPlane().database().dsl());
    server.close();
  }

  @Test
  void balanceIsADecimalStringAndTheUserId() {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(1000), "seed", "grant");
    HttpResponse<String> response = get("/api/v1/credits/balance", user);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Json.parse(response.body())).isEqualTo(Json.parse(
        "{\"balance\":\"1000.0000\",\"user_id\":\"" + user + "\"}"));
  }

  @Test
  void deductAnswersTheBareEntryAndHistoryListsIt() {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(1000), "seed", "grant");
    HttpResponse<String> deducted = post("/api/v1/credits/deduct", user,
        "{\"amount\":\"10.0000\",\"reference_id\":\"manual-001\",\"description\":\"Manual adjustment\"}");
    assertThat(deducted.statusCode()).isEqualTo(200);
    JsonNode entry = Json.parse(deducted.body());
    assertThat(fieldNames(entry)).containsExactlyInAnyOrder("id", "amount", "direction", "source", "reference_id",
        "balance_after", "description", "created_at");
    assertThat(entry.get("amount").asText()).isEqualTo("10.0000");
    assertThat(entry.get("direction").asText()).isEqualTo("DEBIT");
    assertThat(entry.get("balance_after").asText()).isEqualTo("990.0000");

    HttpResponse<String> history = get("/api/v1/credits/history?limit=1&offset=0", user);
    assertThat(history.statusCode()).isEqualTo(200);
    JsonNode page = Json.parse(history.body());
    assertThat(page.get("count").isInt()).isTrue();
    assertThat(page.get("count").asInt()).isEqualTo(2);
    assertThat(page.get("entries")).hasSize(1);
    assertThat(page.get("entries").get(0)).isEqualTo(entry);
  }

  @Test
  void errorsHaveTheDocumentedStatusAndBody() {
    UUID user = UUID.randomUUID();
    credits.adjust(user, CreditAmount.ofCredits(5), "seed", "grant");

    HttpResponse<String> poor = post("/api/v1/credits/deduct", user, "{\"amount\":\"10.0000\",\"reference_id\":\"too-much\"}");
    assertThat(poor.statusCode()).isEqualTo(402);
    assertThat(Json.parse(poor.body())).isEqualTo(Json.parse(
        "{\"detail\":\"insufficient credits: 5.0000 available, 10.0000 requested\",\"available\":\"5.0000\","
            + "\"requested\":\"10.0000\"}"));

    for (String amount : List.of("\"0\"", "\"-1\"", "\"1.00001\"", "\"lots\"")) {
      HttpResponse<String> invalid = post("/api/v1/credits/deduct", user, "{\"amount\":" + amount + "}");
      assertThat(invalid.statusCode()).as(amount).isEqualTo(422);
      assertThat(Json.parse(invalid.body()).get("detail").asText()).startsWith("amount");
    }
    assertThat(get("/api/v1/credits/history?limit=201", user).statusCode()).isEqualTo(422);
    assertThat(get("/api/v1/credits/history?offset=-1", user).statusCode()).isEqualTo(422);

    post("/api/v1/credits/deduct", user, "{\"amount\":\"1\",\"reference_id\":\"r\"}");
    assertThat(post("/api/v1/credits/deduct", user, "{\"amount\":\"2\",\"reference_id\":\"r\"}").statusCode())
        .isEqualTo(409);
    HttpResponse<String> notConfigured = post("/api/v1/credits/checkout", user, "{\"package_id\":\"credits_100\"}");
    assertThat(notConfigured.statusCode()).isEqualTo(503);
    assertThat(Json.parse(notConfigured.body()).get("detail").asText()).contains("not configured");
    assertThat(post("/api/v1/credits/checkout", user, "{\"package_id\":\"gold\"}").statusCode()).isEqualTo(422);
  }

  @Test
  void packagesListTheThreeBundles() {
    HttpResponse<String> response = get("/api/v1/credits/packages", UUID.randomUUID());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Json.parse(response.body())).isEqualTo(Json.parse("""
        {"packages":[
          {"id":"credits_100","name":"100 credits","credits":"100.0000","price_cents":1000,"currency":"usd"},
          {"id":"credits_500","name":"500 credits","credits":"500.0000","price_cents":4000,"currency":"usd"},
          {"id":"credits_1000","name":"1,000 credits","credits":"1000.0000","price_cents":7000,"currency":"usd"}]}"""));
  }

  private static List<String> fieldNames(JsonNode node) {
    java.util.List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static HttpResponse<String> get(String path, UUID user) {
    return server.get(path, TestTokens.authHeader(server, user));
  }

  private static HttpResponse<String> post(String path, UUID user, String json) {
    return server.postJson(path, json, TestTokens.authHeader(server, user));
  }
}
