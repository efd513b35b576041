package com.rendertrust.server.testing;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.NODES;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobDispatch;
import com.rendertrust.server.JobNetwork;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.PerJobType;
import com.rendertrust.server.platform.config.ServerConfig;
import com.rendertrust.server.platform.db.Timestamps;
import java.time.Clock;
import java.time.Duration;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Jobs-and-nodes tests on the real composition root: real identity tokens through the real
 * access policy, and the real credits ledger.
 */
public final class JobsTesting {

  private JobsTesting() {
  }

  /**
   * Production durations, except a fast sweeper and stream re-read, so tests that wait for the
   * background machinery wait milliseconds. Timeout tests shorten what they test.
   */
  public static JobsConfig fastJobs() {
    JobsConfig defaults = JobsConfig.defaults();
    return new JobsConfig(defaults.prices(), defaults.maxRuntimes(), defaults.acceptTimeout(), defaults.maxRetries(),
        defaults.heartbeatInterval(), defaults.heartbeatTimeout(), defaults.offlineAfter(), defaults.reconnectGrace(),
        defaults.unhealthyAfterFailures(), defaults.unhealthyCooldown(), defaults.challengeTtl(),
        Duration.ofMillis(200), Duration.ofMillis(500));
  }

  /**
   * Production durations and {@code maxRuntimes}, for tests that move a hand clock and run the
   * sweeper themselves: the timer's sweeps are an hour apart, streams re-read their jobs often.
   */
  public static JobsConfig sweptByHand(PerJobType<Duration> maxRuntimes) {
    JobsConfig d = JobsConfig.defaults();
    return new JobsConfig(d.prices(), maxRuntimes, Duration.ofMinutes(5), 3, Duration.ofSeconds(30),
        Duration.ofSeconds(90), Duration.ofMinutes(5), Duration.ofSeconds(30), 3, Duration.ofMinutes(5),
        Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofMillis(200));
  }

  /** A fresh database, the shared Redis, and {@code jobs}. */
  public static ServerConfig config(JobsConfig jobs) {
    return TestServer.testConfig()
        .withDatabase(TestInfrastructure.freshDatabaseUrl(), null, null)
        .withRedis(TestInfrastructure.redisUrl())
        .withJobs(jobs);
  }

  public static TestServer start() {
    return TestServer.start(config(fastJobs()));
  }

  public static TestServer start(ServerConfig config, Clock jobsClock) {
    return TestServer.start(config, jobsClock);
  }

  public static JobNetwork network(TestServer server) {
    return server.controlPlane().jobNetwork();
  }

  /** A proven node offering {@code type} with {@code slots} slots, connected and welcomed, heartbeating every second. */
  public static TestNode.Stream readyNode(TestServer server, String type, int slots) {
    return quietNode(server, type, slots).keepAlive(Duration.ofSeconds(1), null);
  }

  /** As {@link #readyNode}, but sending no heartbeats (so none of them fills its free slots). */
  public static TestNode.Stream quietNode(TestServer server, String type, int slots) {
    TestNode node = TestNode.ready(server.channel(), "node-" + type, List.of(type));
    TestNode.Stream stream = node.connect(server.channel(), slots);
    stream.welcome();
    return stream;
  }

  /** Each node's {@code active_jobs} equals the jobs it holds (DISPATCHED or RUNNING). */
  public static void assertSlotsMatchJobs(TestServer server) {
    org.jooq.DSLContext dsl = server.controlPlane().database().dsl();
    for (var node : dsl.selectFrom(NODES).fetch()) {
      int held = dsl.fetchCount(JOBS, JOBS.NODE_ID.eq(node.getId()).and(JOBS.STATUS.in("DISPATCHED", "RUNNING")));
      assertThat(node.getActiveJobs()).as("active jobs of node " + node.getId()).isEqualTo(held);
    }
  }

  /** {@code Authorization} header pair with a real access token of {@code userId}. */
  public static String[] userAuth(TestServer server, UUID userId) {
    return TestTokens.authHeader(server, userId);
  }

  /** {@code "Bearer <real access token>"} of {@code userId}. */
  public static String userBearer(TestServer server, UUID userId) {
    return "Bearer " + TestTokens.accessToken(server, userId);
  }

  public static String nodeBearer(String nodeToken) {
    return "Bearer " + nodeToken;
  }

  /** Polls {@code condition} until true or fails after 10 s. */
  public static void eventually(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("not within 10 s: " + what);
  }

  /** Waits until the server has noted that {@code node}'s stream is gone. */
  public static void awaitStreamGone(TestServer server, TestNode node) {
    eventually("stream of node " + node.id() + " gone", () -> server.controlPlane().database().dsl()
        .select(NODES.STREAM_SESSION).from(NODES).where(NODES.ID.eq(node.id())).fetchSingle(NODES.STREAM_SESSION) == null);
  }

  /** Half-closes the streams still open and waits until the server has let go of all of them. */
  public static void closeStreams(TestServer server, List<TestNode.Stream> streams) {
    streams.forEach(stream -> {
      if (!stream.isClosed()) {
        stream.halfClose();
      }
      awaitStreamGone(server, stream.node());
    });
  }

  /** Sends a heartbeat and waits until the server recorded it at {@code at} (its jobs clock's now). */
  public static void heartbeatRecorded(TestServer server, TestNode.Stream stream, Instant at) {
    stream.heartbeat(0);
    eventually("heartbeat of node " + stream.node().id() + " recorded", () -> server.controlPlane().database().dsl()
        .select(NODES.LAST_HEARTBEAT_AT).from(NODES).where(NODES.ID.eq(stream.node().id()))
        .fetchSingle(NODES.LAST_HEARTBEAT_AT).toInstant().equals(Timestamps.toDb(at).toInstant()));
  }

  /** Submits a render job with {@code payload} as {@code creator}; asserts 200 and answers the body. */
  public static JsonNode submitRender(TestServer server, UUID creator, String payload) {
    HttpResponse<String> response = server.postJson("/api/v1/jobs/dispatch",
        "{\"job_type\":\"render\",\"payload\":" + payload + "}", "Authorization", userBearer(server, creator));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body());
  }

  /** A dispatch and the node that got it. */
  public record DispatchOn(TestNode.Stream node, JobDispatch dispatch) {
  }

  /** The next dispatch to any of {@code nodes}, with the node that got it; fails after about 20 s. */
  public static DispatchOn awaitDispatchOn(TestNode.Stream... nodes) {
    for (int i = 0; i < 200; i++) {
      for (TestNode.Stream node : nodes) {
        var frame = node.poll(f -> f.hasDispatch(), Duration.ofMillis(25));
        if (frame != null) {
          return new DispatchOn(node, frame.getDispatch());
        }
      }
    }
    throw new AssertionError("no node got a dispatch");
  }

  /** Submits {@code body} to /api/v1/jobs/dispatch as {@code creator}; asserts 200 and answers the job's id. */
  public static UUID submit(TestServer server, UUID creator, String body) {
    HttpResponse<String> response = server.postJson("/api/v1/jobs/dispatch", body,
        "Authorization", userBearer(server, creator));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return UUID.fromString(Json.parse(response.body()).get("job_id").asText());
  }

  /** GET /api/v1/jobs/{job} as {@code creator}; asserts 200 and answers the body. */
  public static JsonNode getJob(TestServer server, UUID creator, UUID job) {
    HttpResponse<String> response = server.get("/api/v1/jobs/" + job, "Authorization", userBearer(server, creator));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body());
  }
}
