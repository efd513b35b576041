package com.rendertrust.server.platform.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Scheduling, node liveness and job timeout settings. Every duration is configurable so that
 * tests run the same code paths with milliseconds instead of minutes.
 *
 * @param prices price of each job type in ten-thousandths of a credit ({@code RT_JOB_PRICES})
 * @param maxRuntimes longest a job type may take from dispatch to result ({@code RT_JOB_MAX_RUNTIME_SECONDS})
 * @param acceptTimeout DISPATCHED without RUNNING for this long puts the job back in the queue
 * @param maxRetries how often a job is put back in the queue before it is dead-lettered as FAILED
 * @param heartbeatInterval how often nodes are told to heartbeat on the stream
 * @param heartbeatTimeout stream silence after which the server ends the stream (HEARTBEAT_TIMEOUT)
 * @param offlineAfter no heartbeat for this long marks a node OFFLINE
 * @param reconnectGrace how long a node's jobs wait for it to reconnect after its stream ended
 * @param unhealthyAfterFailures consecutive failed jobs that make a node UNHEALTHY
 * @param unhealthyCooldown how long an UNHEALTHY node stays out before a heartbeat restores it
 * @param challengeTtl lifetime of a registration challenge
 * @param sweepInterval period of the sweeper (timeouts, lost nodes, unsettled jobs, queue)
 * @param syncInterval period at which each stream re-reads its node's jobs (Redis wake-ups are the fast path)
 * @param allowPrivateInputUrls accept http(s) {@code payload_ref}s on loopback, private, link-local
 *     and metadata addresses ({@code RT_ALLOW_PRIVATE_INPUT_URLS}; off by default, also under
 *     {@code --dev}: for lab setups and tests that serve inputs on 127.0.0.1)
 */
public record JobsConfig(
    PerJobType<Long> prices,
    PerJobType<Duration> maxRuntimes,
    Duration acceptTimeout,
    int maxRetries,
    Duration heartbeatInterval,
    Duration heartbeatTimeout,
    Duration offlineAfter,
    Duration reconnectGrace,
    int unhealthyAfterFailures,
    Duration unhealthyCooldown,
    Duration challengeTtl,
    Duration sweepInterval,
    Duration syncInterval,
    boolean allowPrivateInputUrls) {

  public static final PerJobType<Long> DEFAULT_PRICES = new PerJobType<>(
      Map.of("render", 100_000L, "inference", 50_000L, "cpu_benchmark", 10_000L, "echo", 0L), 10_000L);

  public static final PerJobType<Duration> DEFAULT_MAX_RUNTIMES = new PerJobType<>(
      Map.of("render", Duration.ofHours(1), "inference", Duration.ofMinutes(15),
          "cpu_benchmark", Duration.ofMinutes(10), "echo", Duration.ofMinutes(5)),
      Duration.ofHours(1));

  public JobsConfig {
    Objects.requireNonNull(prices, "prices");
    Objects.requireNonNull(maxRuntimes, "maxRuntimes");
    requirePositive("acceptTimeout", acceptTimeout);
    requirePositive("heartbeatInterval", heartbeatInterval);
    requirePositive("heartbeatTimeout", heartbeatTimeout);
    requirePositive("offlineAfter", offlineAfter);
    Objects.requireNonNull(reconnectGrace, "reconnectGrace");
    requirePositive("unhealthyCooldown", unhealthyCooldown);
    requirePositive("challengeTtl", challengeTtl);
    requirePositive("sweepInterval", sweepInterval);
    requirePositive("syncInterval", syncInterval);
    if (maxRetries < 0) {
      throw new IllegalArgumentException("RT_JOB_MAX_RETRIES must be >= 0");
    }
    if (unhealthyAfterFailures < 1) {
      throw new IllegalArgumentException("RT_NODE_UNHEALTHY_AFTER_FAILURES must be >= 1");
    }
    if (heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
      throw new IllegalArgumentException("the heartbeat timeout must exceed the heartbeat interval");
    }
    prices.byType().values().forEach(JobsConfig::requireNonNegativePrice);
    requireNonNegativePrice(prices.fallback());
    maxRuntimes.byType().values().forEach(d -> requirePositive("max run time", d));
    requirePositive("max run time", maxRuntimes.fallback());
  }

  /** Settings with private input URLs refused (the default). */
  public JobsConfig(PerJobType<Long> prices, PerJobType<Duration> maxRuntimes, Duration acceptTimeout, int maxRetries,
      Duration heartbeatInterval, Duration heartbeatTimeout, Duration offlineAfter, Duration reconnectGrace,
      int unhealthyAfterFailures, Duration unhealthyCooldown, Duration challengeTtl, Duration sweepInterval,
      Duration syncInterval) {
    this(prices, maxRuntimes, acceptTimeout, maxRetries, heartbeatInterval, heartbeatTimeout, offlineAfter,
        reconnectGrace, unhealthyAfterFailures, unhealthyCooldown, challengeTtl, sweepInterval, syncInterval, false);
  }

  /** A copy that accepts (or refuses) input URLs on private addresses. */
  public JobsConfig withPrivateInputUrls(boolean allowed) {
    return new JobsConfig(prices, maxRuntimes, acceptTimeout, maxRetries, heartbeatInterval, heartbeatTimeout,
        offlineAfter, reconnectGrace, unhealthyAfterFailures, unhealthyCooldown, challengeTtl, sweepInterval,
        syncInterval, allowed);
  }

  /** The production defaults: the numbers of docs/configuration.md and the node operator guide. */
  public static JobsConfig defaults() {
    return new JobsConfig(DEFAULT_PRICES, DEFAULT_MAX_RUNTIMES, Duration.ofMinutes(5), 3,
        Duration.ofSeconds(30), Duration.ofSeconds(90), Duration.ofMinutes(5), Duration.ofSeconds(30),
        3, Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  /** Parses a credit amount with at most 4 decimals ("10", "0.5") into ten-thousandths. */
  public static long parseCredits(String text) {
    BigDecimal value = new BigDecimal(text);
    if (value.signum() < 0 || value.scale() > 4) {
      throw new IllegalArgumentException("a price must be >= 0 with at most 4 decimals");
    }
    return value.movePointRight(4).longValueExact();
  }

  private static void requirePositive(String name, Duration duration) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }

  private static void requireNonNegativePrice(Long price) {
    if (price == null || price < 0) {
      throw new IllegalArgumentException("prices must be >= 0");
    }
  }
}
