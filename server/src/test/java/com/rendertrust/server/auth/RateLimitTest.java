package com.rendertrust.server.auth;

import static com.rendertrust.server.db.Tables.USERS;
import static com.rendertrust.server.testing.GrpcFailures.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import com.rendertrust.api.v1.AuthServiceGrpc;
import com.rendertrust.api.v1.LoginRequest;
import com.rendertrust.server.platform.config.AuthConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import io.grpc.Status.Code;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The documented limits (login 5/min per client address and per e-mail, register 10/min,
 * refresh 3/min) over REST and gRPC with Redis up. One server trusts the test client as a proxy,
 * so each test speaks from client addresses of its own (X-Forwarded-For) and never meets
 * another test's counters.
 */
class RateLimitTest {

  private static final AtomicInteger addresses = new AtomicInteger();
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = startWithDocumentedLimits(List.of("127.0.0.1"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void theSixthLoginInAMinuteIs429WithRetryAfter() {
    String client = newAddress();
    TestUser user = register(client);
    for (int attempt = 1; attempt <= 5; attempt++) {
      assertThat(login(server, user.email(), attempt == 5 ? user.password() : "wrong-password",
          "X-Forwarded-For", client).statusCode()).as("attempt " + attempt).isIn(200, 401);
    }
    HttpResponse<String> sixth = login(server, user.email(), user.password(), "X-Forwarded-For", client);

    assertThat(sixth.statusCode()).isEqualTo(429);
    int retryAfter = Integer.parseInt(sixth.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isBetween(1, 60);
    assertThat(Json.parse(sixth.body()).get("detail").asText()).startsWith("too many attempts");
    assertThat(Json.parse(sixth.body()).get("retry_after_seconds").asInt()).isEqualTo(retryAfter);
  }

  @Test
  void loginIsAlsoLimitedPerEmailAcrossAddresses() {
    TestUser victim = register(newAddress());
    for (int attempt = 1; attempt <= 5; attempt++) {
      assertThat(login(server, victim.email(), "guess-" + attempt, "X-Forwarded-For", newAddress()).statusCode())
          .isEqualTo(401);
    }
    assertThat(login(server, victim.email(), victim.password(), "X-Forwarded-For", newAddress()).statusCode())
        .as("a sixth address does not reset the per-e-mail window").isEqualTo(429);
    TestUser bystander = register(newAddress());
    assertThat(login(server, bystander.email(), bystander.password(), "X-Forwarded-For", newAddress()).statusCode())
        .as("other accounts are not affected").isEqualTo(200);
  }

  @Test
  void loginIsLimitedPerClientAddressAcrossEmails() {
    String client = newAddress();
    for (int attempt = 1; attempt <= 5; attempt++) {
      assertThat(login(server, "spray-" + UUID.randomUUID() + "@example.com", "password-1", "X-Forwarded-For", client)
          .statusCode()).isEqualTo(401);
    }
    assertThat(login(server, "spray-" + UUID.randomUUID() + "@example.com", "password-1", "X-Forwarded-For", client)
        .statusCode()).isEqualTo(429);
    assertThat(login(server, "spray-" + UUID.randomUUID() + "@example.com", "password-1", "X-Forwarded-For",
        newAddress()).statusCode()).as("another client address has its own window").isEqualTo(401);
    // the proxy appends the real peer: what the client wrote on the left is not believed
    assertThat(login(server, "spray-" + UUID.randomUUID() + "@example.com", "password-1", "X-Forwarded-For",
        newAddress() + ", " + client).statusCode()).isEqualTo(429);
  }

  @Test
  void forwardedForFromAnUntrustedPeerIsIgnored() {
    try (TestServer untrusting = startWithDocumentedLimits(List.of())) {
      for (int attempt = 1; attempt <= 5; attempt++) {
        login(untrusting, "x" + attempt + "@example.com", "password-1", "X-Forwarded-For", newAddress());
      }
      assertThat(login(untrusting, "x6@example.com", "password-1", "X-Forwarded-For", newAddress()).statusCode())
          .isEqualTo(429);
    }
  }

  @Test
  void theEleventhRegistrationIs429AndWritesNothing() {
    String client = newAddress();
    for (int attempt = 1; attempt <= 10; attempt++) {
      register(client);
    }
    int users = server.controlPlane().database().dsl().fetchCount(USERS);
    HttpResponse<String> eleventh = server.postJson("/api/v1/auth/register",
        "{\"email\":\"r11-" + UUID.randomUUID() + "@example.com\",\"name\":\"N\",\"password\":\"password-1\"}",
        "X-Forwarded-For", client);
    assertThat(eleventh.statusCode()).isEqualTo(429);
    assertThat(eleventh.headers().firstValue("Retry-After")).isPresent();
    assertThat(server.controlPlane().database().dsl().fetchCount(USERS)).isEqualTo(users);
  }

  @Test
  void theEleventhNodeRegistrationFromOneAddressIs429AndWritesNothing() {
    String client = newAddress();
    for (int attempt = 1; attempt <= 10; attempt++) {
      assertThat(registerNode(client).statusCode()).isEqualTo(201);
    }
    int nodes = server.controlPlane().database().dsl().fetchCount(com.rendertrust.server.db.Tables.NODES);
    HttpResponse<String> eleventh = registerNode(client);
    assertThat(eleventh.statusCode()).isEqualTo(429);
    assertThat(eleventh.headers().firstValue("Retry-After")).isPresent();
    assertThat(server.controlPlane().database().dsl().fetchCount(com.rendertrust.server.db.Tables.NODES))
        .isEqualTo(nodes);
    assertThat(registerNode(newAddress()).statusCode()).as("another address has its own budget").isEqualTo(201);
  }

  private static HttpResponse<String> registerNode(String client) {
    String body = "{\"name\":\"n\",\"public_key\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(TestNode.withNewKey().publicKeyPem()).toString()
        + ",\"capabilities\":[\"echo\"]}";
    return server.postJson("/api/v1/nodes/register", body, "X-Forwarded-For", client);
  }

  @Test
  void theFourthRefreshIs429() {
    String client = newAddress();
    String refreshToken = register(client).refreshToken();
    for (int attempt = 1; attempt <= 3; attempt++) {
      HttpResponse<String> response = server.postJson("/api/v1/auth/refresh",
          "{\"refresh_token\":\"" + refreshToken + "\"}", "X-Forwarded-For", client);
      assertThat(response.statusCode()).isEqualTo(200);
      refreshToken = Json.parse(response.body()).get("refresh_token").asText();
    }
    HttpResponse<String> fourth = server.postJson("/api/v1/auth/refresh",
        "{\"refresh_token\":\"" + refreshToken + "\"}", "X-Forwarded-For", client);
    assertThat(fourth.statusCode()).isEqualTo(429);
    assertThat(fourth.headers().firstValue("Retry-After")).isPresent();
  }

  @Test
  void grpcCallersGetResourceExhaustedWithRetryAfterSeconds() {
    // The only test here calling over in-process gRPC, whose client address is "local".
    var auth = AuthServiceGrpc.newBlockingStub(server.channel());
    LoginRequest wrong = LoginRequest.newBuilder().setEmail("nobody-" + UUID.randomUUID() + "@example.com")
        .setPassword("password-1").build();
    for (int attempt = 1; attempt <= 5; attempt++) {
      assertFails(() -> auth.login(wrong), Code.UNAUTHENTICATED, "INVALID_CREDENTIALS");
    }
    ErrorInfo limited = assertFails(() -> auth.login(wrong), Code.RESOURCE_EXHAUSTED, "RATE_LIMITED");
    assertThat(Integer.parseInt(limited.getMetadataMap().get("retry_after_seconds"))).isBetween(1, 60);
  }

  /** A client address no other test uses (TEST-NET ranges, RFC 5737). */
  private static String newAddress() {
    int n = addresses.incrementAndGet();
    return "203.0." + (113 + n / 250) + "." + (1 + n % 250);
  }

  /** Registers over REST from {@code client}; the registration counts against that address. */
  private static TestUser register(String client) {
    String email = "rl-" + UUID.randomUUID() + "@example.com";
    HttpResponse<String> response = server.postJson("/api/v1/auth/register",
        "{\"email\":\"" + email + "\",\"name\":\"N\",\"password\":\"password-1\"}", "X-Forwarded-For", client);
    assertThat(response.statusCode()).isEqualTo(201);
    var body = Json.parse(response.body());
    return new TestUser(UUID.fromString(body.get("user").get("id").asText()), email, "N", "password-1",
        body.get("tokens").get("access_token").asText(), body.get("tokens").get("refresh_token").asText());
  }

  static TestServer startWithDocumentedLimits(List<String> trustedProxies) {
    return startWithDocumentedLimits(TestInfrastructure.redisUrl(), trustedProxies);
  }

  static TestServer startWithDocumentedLimits(String redisUrl, List<String> trustedProxies) {
    ServerConfig config = TestServer.testConfig();
    return TestServer.start(config
        .withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
        .withRedis(redisUrl)
        .withAuth(config.auth().withRateLimits(AuthConfig.RateLimits.DEFAULTS).withTrustedProxies(trustedProxies)));
  }

  static HttpResponse<String> login(TestServer server, String email, String password, String... headers) {
    return server.postJson("/api/v1/auth/login",
        "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}", headers);
  }
}
