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
 * @param maxFrames most frames one render job may have ({@code RT_JOB_MAX_FRAMES})
 * @param tiers what each tier multiplies the price by ({@code RT_TIER_MULTIPLIERS})
 * @param retryBase first backoff of a retried task, doubling per retry up to {@link #MAX_RETRY_BACKOFF}
 *     ({@code RT_TASK_RETRY_BASE_SECONDS}; zero: retried at once)
 * @param maxRunningTasksPerUser most tasks of one creator running at once (0: no limit;
 *     {@code RT_MAX_RUNNING_TASKS_PER_USER})
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
    boolean allowPrivateInputUrls,
    int maxFrames,
    TierMultipliers tiers,
    Duration retryBase,
    int maxRunningTasksPerUser) {

  public static final int DEFAULT_MAX_FRAMES = 10_000;
  public static final Duration DEFAULT_RETRY_BASE = Duration.ofSeconds(5);
  public static final Duration MAX_RETRY_BACKOFF = Duration.ofMinutes(5);

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
    Objects.requireNonNull(tiers, "tiers");
    Objects.requireNonNull(retryBase, "retryBase");
    if (retryBase.isNegative()) {
      throw new IllegalArgumentException("RT_TASK_RETRY_BASE_SECONDS must be >= 0");
    }
    if (maxRunningTasksPerUser < 0) {
      throw new IllegalArgumentException("RT_MAX_RUNNING_TASKS_PER_USER must be >= 0");
    }
    if (maxFrames < 1) {
      throw new IllegalArgumentException("RT_JOB_MAX_FRAMES must be >= 1");
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

  /** Settings with the default tiers, retries at once (no backoff) and no per-user limit. */
  public JobsConfig(PerJobType<Long> prices, PerJobType<Duration> maxRuntimes, Duration acceptTimeout, int maxRetries,
      Duration heartbeatInterval, Duration heartbeatTimeout, Duration offlineAfter, Duration reconnectGrace,
      int unhealthyAfterFailures, Duration unhealthyCooldown, Duration challengeTtl, Duration sweepInterval,
      Duration syncInterval, boolean allowPrivateInputUrls, int maxFrames) {
    this(prices, maxRuntimes, acceptTimeout, maxRetries, heartbeatInterval, heartbeatTimeout, offlineAfter,
        reconnectGrace, unhealthyAfterFailures, unhealthyCooldown, challengeTtl, sweepInterval, syncInterval,
        allowPrivateInputUrls, maxFrames, TierMultipliers.DEFAULTS, Duration.ZERO, 0);
  }

  /** Settings with private input URLs refused and the default {@link #DEFAULT_MAX_FRAMES}. */
  public JobsConfig(PerJobType<Long> prices, PerJobType<Duration> maxRuntimes, Duration acceptTimeout, int maxRetries,
      Duration heartbeatInterval, Duration heartbeatTimeout, Duration offlineAfter, Duration reconnectGrace,
      int unhealthyAfterFailures, Duration unhealthyCooldown, Duration challengeTtl, Duration sweepInterval,
      Duration syncInterval) {
    this(prices, maxRuntimes, acceptTimeout, maxRetries, heartbeatInterval, heartbeatTimeout, offlineAfter,
        reconnectGrace, unhealthyAfterFailures, unhealthyCooldown, challengeTtl, sweepInterval, syncInterval, false,
        DEFAULT_MAX_FRAMES);
  }

  /** A copy that accepts (or refuses) input URLs on private addresses. */
  public JobsConfig withPrivateInputUrls(boolean allowed) {
    return new JobsConfig(prices, maxRuntimes, acceptTimeout, maxRetries, heartbeatInterval, heartbeatTimeout,
        offlineAfter, reconnectGrace, unhealthyAfterFailures, unhealthyCooldown, challengeTtl, sweepInterval,
        syncInterval, allowed, maxFrames, tiers, retryBase, maxRunningTasksPerUser);
  }

  /** A copy with another retry backoff base (zero: retried at once). */
  public JobsConfig withRetryBase(Duration base) {
    return new JobsConfig(prices, maxRuntimes, acceptTimeout, maxRetries, heartbeatInterval, heartbeatTimeout,
        offlineAfter, reconnectGrace, unhealthyAfterFailures, unhealthyCooldown, challengeTtl, sweepInterval,
        syncInterval, allowPrivateInputUrls, maxFrames, tiers, base, maxRunningTasksPerUser);
  }

  /** A copy with another per-user limit of running tasks (0: none). */
  public JobsConfig withMaxRunningTasksPerUser(int limit) {
    return new JobsConfig(prices, maxRuntimes, acceptTimeout, maxRetries, heartbeatInterval, heartbeatTimeout,
        offlineAfter, reconnectGrace, unhealthyAfterFailures, unhealthyCooldown, challengeTtl, sweepInterval,
        syncInterval, allowPrivateInputUrls, maxFrames, tiers, retryBase, limit);
  }

  /** The production defaults: the numbers of docs/configuration.md and the node operator guide. */
  public static JobsConfig defaults() {
    return new JobsConfig(DEFAULT_PRICES, DEFAULT_MAX_RUNTIMES, Duration.ofMinutes(5), 3,
        Duration.ofSeconds(30), Duration.ofSeconds(90), Duration.ofMinutes(5), Duration.ofSeconds(30),
        3, Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofSeconds(5), Duration.ofSeconds(5))
        .withRetryBase(DEFAULT_RETRY_BASE);
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
