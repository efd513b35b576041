package com.rendertrust.server.nodes;

import static com.rendertrust.server.testing.JobsTesting.eventually;
import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import com.rendertrust.server.testing.JobLedger;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Redis only speeds delivery up: with it down, jobs still cross replicas (by the streams' re-reads). */
class RedisOutageTest {

  @Test
  void withRedisDownJobsStillReachNodesOnAnotherReplica() {
    JobsConfig d = JobsTesting.fastJobs();
    JobsConfig rereadOften = new JobsConfig(d.prices(), d.maxRuntimes(), d.acceptTimeout(), d.maxRetries(),
        d.heartbeatInterval(), d.heartbeatTimeout(), d.offlineAfter(), d.reconnectGrace(), d.unhealthyAfterFailures(),
        d.unhealthyCooldown(), d.challengeTtl(), d.sweepInterval(), Duration.ofMillis(300));
    try (EmbeddedRedisProcess redis = EmbeddedRedisProcess.start()) {
      ServerConfig config = TestServer.testConfig()
          .withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
          .withRedis(redis.url())
          .withJobs(rereadOften);
      try (TestServer a = JobsTesting.start(config, Clock.systemUTC());
           TestServer b = JobsTesting.start(config, Clock.systemUTC())) {
        JobLedger ledger = JobLedger.of(a);
        TestNode node = TestNode.ready(b.channel(), "no-redis", List.of("render"));
        redis.stop();
        TestNode.Stream stream = node.connect(b.channel(), 1);
        stream.welcome();
        UUID user = UUID.randomUUID();
        ledger.deposit(user, 1_000_000);

        JsonNode submitted = Json.parse(a.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"render\"}",
            "Authorization", userBearer(a, user)).body());
        assertThat(submitted.get("status").asText()).isEqualTo("DISPATCHED");
        JobDispatch dispatch = stream.dispatch();
        assertThat(dispatch.getJobId()).isEqualTo(submitted.get("job_id").asText());
        stream.accept(dispatch);
        stream.complete(dispatch);
        eventually("completed", () -> Json.parse(a.get("/api/v1/jobs/" + dispatch.getJobId(), "Authorization", userBearer(a, user))
            .body()).get("status").asText().equals("COMPLETED"));

        redis.restart();
        String next = Json.parse(a.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"render\"}", "Authorization", userBearer(a, user))
            .body()).get("job_id").asText();
        assertThat(stream.dispatch().getJobId()).isEqualTo(next);
        stream.halfClose();
        ledger.checkInvariants();
      }
    }
  }
}
