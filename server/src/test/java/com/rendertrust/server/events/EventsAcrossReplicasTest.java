package com.rendertrust.server.events;

import static com.rendertrust.server.events.EventTesting.assertGapless;
import static com.rendertrust.server.events.EventTesting.submitEcho;
import static com.rendertrust.server.testing.JobsTesting.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.api.v1.WatchJobRequest;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.redis.EmbeddedRedisProcess;
import com.rendertrust.server.testing.JobsTesting;
import com.rendertrust.server.testing.TestInfrastructure;
import com.rendertrust.server.testing.TestNode;
import com.rendertrust.server.testing.TestServer;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Two replicas on one PostgreSQL and Redis: a watcher on B sees the events of a job that runs on
 * A (through Redis pub/sub), and still does, by polling the table, while Redis is down.
 */
class EventsAcrossReplicasTest {

  private static final List<String> LIFE = List.of("job.created", "task.dispatched", "task.started", "task.progress",
      "task.completed", "job.completed");

  private static ServerConfig config(String redisUrl) {
    JobsConfig d = JobsTesting.fastJobs();
    JobsConfig onlyWakeUps = new JobsConfig(d.prices(), d.maxRuntimes(), d.acceptTimeout(), d.maxRetries(),
        d.heartbeatInterval(), d.heartbeatTimeout(), d.offlineAfter(), d.reconnectGrace(), d.unhealthyAfterFailures(),
        d.unhealthyCooldown(), d.challengeTtl(), Duration.ofHours(1), Duration.ofHours(1));
    return TestServer.testConfig()
        .withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
        .withRedis(redisUrl)
        .withJobs(onlyWakeUps);
  }

  @Test
  void aWatcherOnReplicaBSeesTheEventsOfAJobRunningOnReplicaA() {
    ServerConfig config = config(TestInfrastructure.redisUrl());
    try (TestServer a = JobsTesting.start(config, Clock.systemUTC());
         TestServer b = JobsTesting.start(config, Clock.systemUTC())) {
      TestNode.Stream onA = JobsTesting.readyNode(a, "echo", 1);
      UUID user = UUID.randomUUID();
      String jobId = submitEcho(a, user);
      EventTesting.Watcher onB = EventTesting.watch(b, user, WatchJobRequest.newBuilder().setJobId(jobId).build());
      assertThat(onB.nextTypes(2)).containsExactly("job.created", "task.dispatched");
      runOn(onA, jobId);
      assertThat(onB.nextTypes(4)).containsExactlyElementsOf(LIFE.subList(2, LIFE.size()));
      assertThat(onB.awaitEnd().getCode()).isEqualTo(Status.Code.OK);
      assertGapless(a);
      JobsTesting.closeStreams(a, List.of(onA));
    }
  }

  @Test
  void withRedisDownWatchersFallBackToPollingTheTable() {
    try (EmbeddedRedisProcess redis = EmbeddedRedisProcess.start()) {
      ServerConfig config = config(redis.url());
      try (TestServer a = JobsTesting.start(config, Clock.systemUTC());
           TestServer b = JobsTesting.start(config, Clock.systemUTC())) {
        TestNode.Stream onA = JobsTesting.readyNode(a, "echo", 1);
        UUID user = UUID.randomUUID();
        String jobId = submitEcho(a, user);
        EventTesting.Watcher onB = EventTesting.watch(b, user, WatchJobRequest.newBuilder().setJobId(jobId).build());
        assertThat(onB.nextTypes(2)).containsExactly("job.created", "task.dispatched");
        redis.stop();
        eventually("B notices Redis is gone", () -> !b.controlPlane().events().hub().redisLive());
        runOn(onA, jobId);
        assertThat(onB.nextTypes(4)).containsExactlyElementsOf(LIFE.subList(2, LIFE.size()));
        assertThat(onB.awaitEnd().getCode()).isEqualTo(Status.Code.OK);
        redis.restart();
        assertGapless(a);
        JobsTesting.closeStreams(a, List.of(onA));
      }
    }
  }

  private static void runOn(TestNode.Stream node, String jobId) {
    JobDispatch dispatch = node.dispatch();
    assertThat(dispatch.getJobId()).isEqualTo(jobId);
    node.accept(dispatch);
    node.progress(dispatch, 40);
    node.complete(dispatch);
  }
}
