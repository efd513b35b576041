package com.rendertrust.server.platform.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.config.ConfigLoader;
import com.rendertrust.server.platform.config.CorsConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Browsers on the real edge: preflights for REST paths and gRPC-Web answered for the configured
 * origins (and any http://localhost port under --dev), refused without any Access-Control-Allow-*
 * header for every other origin; the gRPC status headers readable by the page.
 */
class BrowserAccessTest {

  private static final String APP = "https://app.example.com";
  private static final String VITE = "http://localhost:5173";
  private static TestServer server;

  @BeforeAll
  static void start() {
    // as ./rendertrust dev --dev with RT_CORS_ORIGINS set
    server = TestServer.start(TestServer.freshConfig().withCors(CorsConfig.parse(APP + ", https://other.example", true)));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void devAllowsAPreflightFromLocalhost5173OnARestPath() {
    HttpResponse<String> response = preflight("/api/v1/jobs/dispatch", VITE, "POST", "authorization,content-type");
    assertThat(response.statusCode()).isEqualTo(200);
    HttpHeaders headers = response.headers();
    assertThat(headers.firstValue("access-control-allow-origin")).contains(VITE);
    assertThat(headers.firstValue("access-control-allow-methods").orElseThrow()).contains("POST", "GET", "DELETE");
    assertThat(headers.firstValue("access-control-allow-headers").orElseThrow().toLowerCase())
        .contains("authorization", "content-type", "x-api-key", "idempotency-key");
    assertThat(headers.firstValue("access-control-allow-credentials")).isEmpty();
  }

  @Test
  void aConfiguredOriginMayPreflightGrpcWeb() {
    HttpResponse<String> response = preflight("/rendertrust.v1.SystemService/Version", APP, "POST",
        "content-type,x-grpc-web,x-user-agent,grpc-timeout");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("access-control-allow-origin")).contains(APP);
    assertThat(response.headers().firstValue("access-control-allow-headers").orElseThrow().toLowerCase())
        .contains("x-grpc-web", "x-user-agent", "grpc-timeout");
  }

  @Test
  void aPreflightFromAnyOtherOriginGetsNoAllowHeaders() {
    for (String origin : List.of("https://evil.example", "http://localhost.evil.example", "https://localhost:5173",
        "http://127.0.0.1:5173", "null")) {
      for (String path : List.of("/api/v1/jobs/dispatch", "/rendertrust.v1.JobService/DispatchJob", "/openapi.json")) {
        HttpResponse<String> response = preflight(path, origin, "POST", "content-type");
        assertThat(allowHeaders(response.headers())).as("%s from %s", path, origin).isEmpty();
      }
    }
  }

  @Test
  void grpcWebResponsesExposeTheGrpcStatusHeaders() {
    // an empty VersionRequest, gRPC-Web framed: flag 0, length 0
    HttpResponse<String> response = server.send(HttpRequest.newBuilder(server.uri("/rendertrust.v1.SystemService/Version"))
        .header("Origin", VITE)
        .header("Content-Type", "application/grpc-web+proto")
        .header("X-Grpc-Web", "1")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5])));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("access-control-allow-origin")).contains(VITE);
    assertThat(response.headers().firstValue("access-control-expose-headers").orElseThrow().toLowerCase())
        .contains("grpc-status", "grpc-message", "retry-after");
  }

  @Test
  void restResponsesAndErrorsCarryTheOriginForAllowedOriginsOnly() {
    HttpResponse<String> ok = server.get("/version", "Origin", APP);
    assertThat(ok.headers().firstValue("access-control-allow-origin")).contains(APP);
    HttpResponse<String> unauthorized = server.get("/api/v1/credits/balance", "Origin", APP);
    assertThat(unauthorized.statusCode()).isEqualTo(401);
    assertThat(unauthorized.headers().firstValue("access-control-allow-origin")).contains(APP);
    HttpResponse<String> foreign = server.get("/version", "Origin", "https://evil.example");
    assertThat(foreign.statusCode()).isEqualTo(200); // CORS is the browser's rule; the server only withholds the headers
    assertThat(allowHeaders(foreign.headers())).isEmpty();
  }

  @Test
  void jsonSentToAGrpcPathIsTold415WhatAGrpcPathTakes() {
    HttpResponse<String> response = server.postJson("/rendertrust.v1.SystemService/Version", "{}");
    assertThat(response.statusCode()).isEqualTo(415);
    String detail = Json.parse(response.body()).get("detail").asText();
    assertThat(detail).contains("gRPC method", "application/grpc").doesNotContain("send application/json");
    HttpResponse<String> rest = server.postBody("/api/v1/auth/login", "text/plain", "x");
    assertThat(Json.parse(rest.body()).get("detail").asText()).contains("send application/json");
  }

  @Test
  void originsComeFromRtCorsOriginsAndDevAddsLocalhost() {
    CorsConfig production = new ConfigLoader(Map.of("RT_DATABASE_URL", "jdbc:postgresql://db/rt",
        "RT_CORS_ORIGINS", "https://app.example.com, https://Admin.Example.com/")).load(false).cors();
    assertThat(production.allows("https://app.example.com")).isTrue();
    assertThat(production.allows("https://admin.example.com")).isTrue();
    assertThat(production.allows(VITE)).isFalse();
    CorsConfig unset = new ConfigLoader(Map.of("RT_DATABASE_URL", "jdbc:postgresql://db/rt")).load(false).cors();
    assertThat(unset.enabled()).isFalse();
    CorsConfig dev = new ConfigLoader(Map.of()).load(true).cors();
    assertThat(dev.allows(VITE)).isTrue();
    assertThat(dev.allows("http://localhost")).isTrue();
    assertThat(dev.allows("http://localhost:5173.evil.example")).isFalse();
    assertThatThrownBy(() -> CorsConfig.parse("*", false)).hasMessageContaining("RT_CORS_ORIGINS");
    assertThatThrownBy(() -> CorsConfig.parse("app.example.com", false)).hasMessageContaining("RT_CORS_ORIGINS");
  }

  private static HttpResponse<String> preflight(String path, String origin, String method, String headers) {
    return server.send(HttpRequest.newBuilder(server.uri(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", headers)
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
  }

  private static List<String> allowHeaders(HttpHeaders headers) {
    return headers.map().keySet().stream().filter(name -> name.toLowerCase().startsWith("access-control-allow")).toList();
  }
}
