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
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import io.grpc.Status.Code;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The documented limits (login 5/min per client address and per e-mail, register 10/min,
 * refresh 3/min) over REST and gRPC with Redis up. Each test runs its own server, so counters
 * never leak between tests (every test client shares one address).
 */
class RateLimitTest {

  @Test
  void theSixthLoginInAMinuteIs429WithRetryAfter() {
    try (TestServer server = startWithDocumentedLimits(List.of())) {
      TestUser user = TestUsers.register(server);
      for (int attempt = 1; attempt <= 5; attempt++) {
        assertThat(login(server, user.email(), attempt == 5 ? user.password() : "wrong-password").statusCode())
            .as("attempt " + attempt).isIn(200, 401);
      }
      HttpResponse<String> sixth = login(server, user.email(), user.password());

      assertThat(sixth.statusCode()).isEqualTo(429);
      int retryAfter = Integer.parseInt(sixth.headers().firstValue("Retry-After").orElseThrow());
      assertThat(retryAfter).isBetween(1, 60);
      assertThat(Json.parse(sixth.body()).get("detail").asText()).startsWith("too many attempts");
      assertThat(Json.parse(sixth.body()).get("retry_after_seconds").asInt()).isEqualTo(retryAfter);
    }
  }

  @Test
  void loginIsAlsoLimitedPerEmailAcrossAddresses() {
    try (TestServer server = startWithDocumentedLimits(List.of("127.0.0.1"))) {
      TestUser victim = TestUsers.register(server);
      for (int attempt = 1; attempt <= 5; attempt++) {
        assertThat(login(server, victim.email(), "guess-" + attempt, "X-Forwarded-For", "203.0.113." + attempt)
            .statusCode()).isEqualTo(401);
      }
      assertThat(login(server, victim.email(), victim.password(), "X-Forwarded-For", "203.0.113.99").statusCode())
          .as("a sixth address does not reset the per-e-mail window").isEqualTo(429);
      TestUser bystander = TestUsers.register(server);
      assertThat(login(server, bystander.email(), bystander.password(), "X-Forwarded-For", "198.51.100.7")
          .statusCode()).as("other accounts are not affected").isEqualTo(200);
    }
  }

  @Test
  void loginIsLimitedPerClientAddressAcrossEmails() {
    try (TestServer server = startWithDocumentedLimits(List.of("127.0.0.1"))) {
      for (int attempt = 1; attempt <= 5; attempt++) {
        assertThat(login(server, "spray-" + attempt + "@example.com", "password-1", "X-Forwarded-For", "203.0.113.5")
            .statusCode()).isEqualTo(401);
      }
      assertThat(login(server, "spray-6@example.com", "password-1", "X-Forwarded-For", "203.0.113.5").statusCode())
          .isEqualTo(429);
      assertThat(login(server, "spray-6@example.com", "password-1", "X-Forwarded-For", "203.0.113.6").statusCode())
          .as("another client address has its own window").isEqualTo(401);
      // the proxy appends the real peer: what the client wrote on the left is not believed
      assertThat(login(server, "spray-7@example.com", "password-1", "X-Forwarded-For", "10.9.9.9, 203.0.113.5")
          .statusCode()).isEqualTo(429);
    }
  }

  @Test
  void forwardedForFromAnUntrustedPeerIsIgnored() {
    try (TestServer server = startWithDocumentedLimits(List.of())) {
      for (int attempt = 1; attempt <= 5; attempt++) {
        login(server, "x" + attempt + "@example.com", "password-1", "X-Forwarded-For", "203.0.113." + attempt);
      }
      assertThat(login(server, "x6@example.com", "password-1", "X-Forwarded-For", "203.0.113.6").statusCode())
          .isEqualTo(429);
    }
  }

  @Test
  void theEleventhRegistrationIs429AndWritesNothing() {
    try (TestServer server = startWithDocumentedLimits(List.of())) {
      for (int attempt = 1; attempt <= 10; attempt++) {
        assertThat(register(server, "r" + attempt + "-" + UUID.randomUUID() + "@example.com").statusCode())
            .isEqualTo(201);
      }
      int users = server.controlPlane().database().dsl().fetchCount(USERS);
      HttpResponse<String> eleventh = register(server, "r11-" + UUID.randomUUID() + "@example.com");
      assertThat(eleventh.statusCode()).isEqualTo(429);
      assertThat(eleventh.headers().firstValue("Retry-After")).isPresent();
      assertThat(server.controlPlane().database().dsl().fetchCount(USERS)).isEqualTo(users);
    }
  }

  @Test
  void theFourthRefreshIs429() {
    try (TestServer server = startWithDocumentedLimits(List.of())) {
      String refreshToken = TestUsers.register(server).refreshToken();
      for (int attempt = 1; attempt <= 3; attempt++) {
        HttpResponse<String> response = server.postJson("/api/v1/auth/refresh",
            "{\"refresh_token\":\"" + refreshToken + "\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        refreshToken = Json.parse(response.body()).get("refresh_token").asText();
      }
      HttpResponse<String> fourth = server.postJson("/api/v1/auth/refresh",
          "{\"refresh_token\":\"" + refreshToken + "\"}");
      assertThat(fourth.statusCode()).isEqualTo(429);
      assertThat(fourth.headers().firstValue("Retry-After")).isPresent();
    }
  }

  @Test
  void grpcCallersGetResourceExhaustedWithRetryAfterSeconds() {
    try (TestServer server = startWithDocumentedLimits(List.of())) {
      var auth = AuthServiceGrpc.newBlockingStub(server.channel());
      LoginRequest wrong = LoginRequest.newBuilder().setEmail("nobody@example.com").setPassword("password-1").build();
      for (int attempt = 1; attempt <= 5; attempt++) {
        assertFails(() -> auth.login(wrong), Code.UNAUTHENTICATED, "INVALID_CREDENTIALS");
      }
      ErrorInfo limited = assertFails(() -> auth.login(wrong), Code.RESOURCE_EXHAUSTED, "RATE_LIMITED");
      assertThat(Integer.parseInt(limited.getMetadataMap().get("retry_after_seconds"))).isBetween(1, 60);
    }
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

  private static HttpResponse<String> register(TestServer server, String email) {
    return server.postJson("/api/v1/auth/register",
        "{\"email\":\"" + email + "\",\"name\":\"N\",\"password\":\"password-1\"}");
  }
}
