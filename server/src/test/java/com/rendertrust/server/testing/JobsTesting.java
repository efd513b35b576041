package com.rendertrust.server.testing;

import com.rendertrust.server.nodes.JobNetwork;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import java.time.Clock;
import java.time.Duration;
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
    TestNode node = TestNode.ready(server.channel(), "node-" + type, List.of(type));
    TestNode.Stream stream = node.connect(server.channel(), slots);
    stream.welcome();
    stream.keepAlive(Duration.ofSeconds(1), null);
    return stream;
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
}
