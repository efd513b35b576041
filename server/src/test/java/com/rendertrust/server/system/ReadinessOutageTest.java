package com.rendertrust.server.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Readiness follows a real Redis outage: degraded while it is down, ready again once it is back. */
class ReadinessOutageTest {

  @Test
  void redisOutageDegradesAndRecovers() throws Exception {
    try (EmbeddedRedisProcess redis = EmbeddedRedisProcess.start();
         TestServer server = TestServer.start(redis.url())) {
      assertThat(readiness(server).get("status").asText()).isEqualTo("ready");

      redis.stop();
      JsonNode degraded = awaitStatus(server, "degraded");
      assertThat(degraded.get("checks").get("redis").asText()).isEqualTo("unavailable");
      assertThat(degraded.get("checks").get("database").asText()).isEqualTo("connected");
      assertThat(server.get("/health").statusCode()).as("liveness does not depend on Redis").isEqualTo(200);

      redis.restart();
      JsonNode ready = awaitStatus(server, "ready");
      assertThat(ready.get("checks").get("redis").asText()).isEqualTo("connected");
    }
  }

  private static JsonNode readiness(TestServer server) {
    var response = server.get("/api/v1/health/ready");
    assertThat(response.statusCode()).isEqualTo(200);
    return Json.parse(response.body());
  }

  private static JsonNode awaitStatus(TestServer server, String status) throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    JsonNode last = null;
    while (Instant.now().isBefore(deadline)) {
      last = readiness(server);
      if (status.equals(last.get("status").asText())) {
        return last;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("readiness never became " + status + "; last: " + last);
  }
}
