package com.rendertrust.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestUser;
import com.rendertrust.server.testing.TestUsers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Redis only caches what Postgres knows: with Redis stopped, and after it restarts empty, a
 * revoked token is still refused (fail closed), valid tokens still work, and the rate limits
 * keep limiting with the per-process window.
 */
class RedisOutageTest {

  @Test
  void revokedTokensStayRefusedWhileRedisIsDownAndAfterItRestartsEmpty() throws Exception {
    try (EmbeddedRedisProcess redis = EmbeddedRedisProcess.start();
         TestServer server = TestServer.start(redis.url())) {
      TestUser loggedOut = TestUsers.register(server);
      TestUser active = TestUsers.register(server);
      assertThat(logout(server, loggedOut).statusCode()).isEqualTo(200);
      assertThat(listKeys(server, loggedOut).statusCode()).isEqualTo(401);

      redis.stop();
      HttpResponse<String> whileDown = listKeys(server, loggedOut);
      assertThat(whileDown.statusCode()).as("revoked before the outage").isEqualTo(401);
      assertThat(Json.parse(whileDown.body()).get("detail").asText()).isEqualTo("token has been revoked");
      assertThat(listKeys(server, active).statusCode()).as("valid tokens keep working").isEqualTo(200);

      assertThat(logout(server, active).statusCode()).as("logout works without Redis").isEqualTo(200);
      assertThat(listKeys(server, active).statusCode()).as("revoked during the outage").isEqualTo(401);
      TestUser reused = TestUsers.register(server);
      assertThat(refresh(server, reused.refreshToken()).statusCode()).isEqualTo(200);
      assertThat(refresh(server, reused.refreshToken()).statusCode()).as("reuse detected").isEqualTo(401);
      assertThat(listKeys(server, reused).statusCode()).as("family revoked during the outage").isEqualTo(401);

      redis.restart(); // comes back empty: it kept nothing
      TestUser fresh = TestUsers.register(server);
      Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
      // Keep checking while the server reconnects and rebuilds the Redis copy from Postgres.
      do {
        for (TestUser revoked : List.of(loggedOut, active, reused)) {
          assertThat(listKeys(server, revoked).statusCode()).as("still revoked after Redis restarted").isEqualTo(401);
        }
        assertThat(listKeys(server, fresh).statusCode()).isEqualTo(200);
        Thread.sleep(100);
      } while (Instant.now().isBefore(deadline) && !redisHoldsRevocations(server));
      assertThat(redisHoldsRevocations(server)).as("the Redis copy was rebuilt").isTrue();
      for (TestUser revoked : List.of(loggedOut, active, reused)) {
        assertThat(listKeys(server, revoked).statusCode()).isEqualTo(401);
      }
    }
  }

  @Test
  void rateLimitsKeepLimitingWhileRedisIsDown() {
    try (EmbeddedRedisProcess redis = EmbeddedRedisProcess.start();
         TestServer server = RateLimitTest.startWithDocumentedLimits(redis.url(), List.of())) {
      TestUser user = TestUsers.register(server);
      redis.stop();
      for (int attempt = 1; attempt <= 5; attempt++) {
        assertThat(RateLimitTest.login(server, user.email(), "wrong-password").statusCode()).isEqualTo(401);
      }
      HttpResponse<String> sixth = RateLimitTest.login(server, user.email(), user.password());
      assertThat(sixth.statusCode()).isEqualTo(429);
      assertThat(sixth.headers().firstValue("Retry-After")).isPresent();
    }
  }

  private static boolean redisHoldsRevocations(TestServer server) {
    try {
      List<String> keys = server.controlPlane().redis().connection().sync().keys("rt:*:revoked*");
      return keys.stream().anyMatch(key -> key.endsWith("revoked-ready")) && keys.size() >= 4;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static HttpResponse<String> listKeys(TestServer server, TestUser user) {
    return server.get("/api/v1/auth/api-keys", user.authHeader());
  }

  private static HttpResponse<String> logout(TestServer server, TestUser user) {
    return server.postJson("/api/v1/auth/logout", "", user.authHeader());
  }

  private static HttpResponse<String> refresh(TestServer server, String refreshToken) {
    return server.postJson("/api/v1/auth/refresh", "{\"refresh_token\":\"" + refreshToken + "\"}");
  }
}
