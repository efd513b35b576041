package com.rendertrust.server.credits;

import static com.rendertrust.server.testing.LedgerAssertions.assertLedgerInvariants;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.payments.CheckoutRateLimiter;
import com.rendertrust.server.payments.CheckoutService;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.http.HttpEdge;
import com.rendertrust.server.platform.redis.RedisConnector;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestCallerInterceptor;
import com.rendertrust.server.testing.TestInfrastructure;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The REST/JSON shapes of the credit endpoints (API.md "Credits") over real HTTP, through the
 * production REST edge and interceptor pipeline. Only the caller comes from the TEST-ONLY
 * {@code x-test-user-id} header, until authentication merges and these move to real logins.
 */
class CreditRestContractTest {

  private static Database database;
  private static RedisConnector redis;
  private static HttpEdge edge;
  private static CreditService credits;
  private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    database = Database.open(TestInfrastructure.freshDatabaseUrl(), null, null, 4);
    redis = RedisConnector.connect(TestInfrastructure.redisUrl());
    credits = new CreditService(database.dsl());
    CheckoutService checkout = new CheckoutService(database.dsl(), Optional.empty(),
        new CheckoutRateLimiter(redis.connection(), 10, Clock.systemUTC()));
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<ServerServiceDefinition> services = ControlPlane.pipeline(metrics)
        .wrapAll(List.of(new CreditGrpcService(credits, checkout))).stream()
        .map(service -> ServerInterceptors.intercept(service, new TestCallerInterceptor()))
        .toList();
    edge = HttpEdge.start(new HttpEdge.Settings(0, 1 << 20, Duration.ofSeconds(10), Duration.ofSeconds(1), Set.of()),
        services, metrics);
  }

  @AfterAll
  static void stop() {
    assertLedgerInvariants(database.dsl());
    edge.close();
    redis.close();
    database.close();
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

    HttpResponse<String> poor = post("/api/v1/credits/deduct", user, "{\"amount\":\"10.0000\"}");
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
    return send(HttpRequest.newBuilder(uri(path)).header("x-test-user-id", user.toString()).GET());
  }

  private static HttpResponse<String> post(String path, UUID user, String json) {
    return send(HttpRequest.newBuilder(uri(path)).header("x-test-user-id", user.toString())
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + edge.port() + path);
  }
}
