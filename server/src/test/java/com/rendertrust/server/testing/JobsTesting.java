package com.rendertrust.server.testing;

import com.rendertrust.server.Integrations;
import com.rendertrust.server.nodes.JobNetwork;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.ServerConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * TEST ONLY composition of the jobs-and-nodes feature: the real composition root with the test
 * stand-ins for what identity and credits will provide ({@link TestCallerInterceptor},
 * {@link TestNodeTokens}, {@link InMemoryJobBilling}).
 */
public final class JobsTesting {

  private JobsTesting() {
  }

  public static Integrations integrations(InMemoryJobBilling billing, Clock clock) {
    return new Integrations(Optional.of(billing), Optional.of(new TestNodeTokens()),
        List.of(new TestCallerInterceptor()), clock);
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

  public static TestServer start(InMemoryJobBilling billing) {
    return TestServer.start(config(fastJobs()), integrations(billing, Clock.systemUTC()));
  }

  public static TestServer start(ServerConfig config, InMemoryJobBilling billing, Clock clock) {
    return TestServer.start(config, integrations(billing, clock));
  }

  public static JobNetwork network(TestServer server) {
    return server.controlPlane().jobNetwork().orElseThrow();
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
