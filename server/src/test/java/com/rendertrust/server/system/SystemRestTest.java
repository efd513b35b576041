package com.rendertrust.server.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The system endpoints and the REST edge's error contract, over real HTTP against the real server. */
class SystemRestTest {

  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void healthAnswersHealthyOnBothPaths() {
    for (String path : new String[] {"/health", "/api/v1/health"}) {
      HttpResponse<String> response = server.get(path);
      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).get().asString().startsWith("application/json");
      assertThat(Json.parse(response.body())).isEqualTo(Json.parse("{\"status\":\"healthy\"}"));
    }
  }

  @Test
  void readinessReallyChecksDatabaseAndRedis() {
    HttpResponse<String> response = server.get("/api/v1/health/ready");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Json.parse(response.body())).isEqualTo(
        Json.parse("{\"status\":\"ready\",\"checks\":{\"database\":\"connected\",\"redis\":\"connected\"}}"));
  }

  @Test
  void versionNamesTheBuildAndEnvironment() {
    JsonNode body = Json.parse(server.get("/version").body());
    assertThat(body.get("name").asText()).isEqualTo("rendertrust");
    assertThat(body.get("version").asText()).isNotBlank();
    assertThat(body.get("environment").asText()).isEqualTo("test");
  }

  @Test
  void metricsExposePerRpcCountsAndLatencyHistograms() {
    server.get("/version");
    server.get("/version");
    HttpResponse<String> response = server.get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).get().asString().startsWith("text/plain");
    String count = response.body().lines()
        .filter(line -> line.startsWith("rpc_server_duration_seconds_count")
            && line.contains("method=\"rendertrust.v1.SystemService/Version\"") && line.contains("code=\"OK\""))
        .findFirst().orElseThrow(() -> new AssertionError("no Version count in\n" + response.body()));
    assertThat(Double.parseDouble(count.substring(count.lastIndexOf(' ') + 1))).isGreaterThanOrEqualTo(2);
    assertThat(response.body()).contains("rpc_server_duration_seconds_bucket{");
  }

  @Test
  void unknownPathIs404Json() {
    assertDetail(server.get("/api/v1/nothing-here"), 404);
  }

  @Test
  void wrongMethodIs405Json() {
    assertDetail(server.get("/api/v1/auth/register"), 405);
  }

  @Test
  void malformedJsonIs400Json() {
    assertDetail(server.postJson("/api/v1/auth/login", "{\"email\": "), 400);
  }

  @Test
  void wrongContentTypeIs415Json() {
    assertDetail(server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login"))
        .header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("email=a"))), 415);
  }

  @Test
  void oversizedBodyIs413Json() {
    String big = "{\"email\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}";
    assertDetail(server.postJson("/api/v1/auth/login", big), 413);
  }

  private static void assertDetail(HttpResponse<String> response, int status) {
    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(response.headers().firstValue("content-type")).get().asString().startsWith("application/json");
    JsonNode body = Json.parse(response.body());
    assertThat(body.get("detail").asText()).isNotBlank();
    assertThat(response.body()).doesNotContain("Exception").doesNotContain("at com.");
  }
}
