package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.config.JobsConfig;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a retried task is due again: {@code RT_TASK_RETRY_BASE_SECONDS} (5 s) doubling with each
 * retry, at most {@link JobsConfig#MAX_RETRY_BACKOFF} (5 min), with full jitter over its upper
 * half (so retries of many tasks spread out). A zero base retries at once.
 */
final class RetryBackoff {

  private RetryBackoff() {
  }

  /** The delay before retry number {@code retriesSoFar + 1}, before jitter. */
  static Duration ceiling(Duration base, int retriesSoFar) {
    Duration delay = base;
    for (int i = 0; i < retriesSoFar && delay.compareTo(JobsConfig.MAX_RETRY_BACKOFF) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(JobsConfig.MAX_RETRY_BACKOFF) > 0 ? JobsConfig.MAX_RETRY_BACKOFF : delay;
  }

  /** Null (due at once) for a zero base; otherwise now + a delay in [ceiling / 2, ceiling]. */
  static OffsetDateTime notBefore(JobsConfig config, int retriesSoFar, OffsetDateTime now) {
    if (config.retryBase().isZero()) {
      return null;
    }
    long ceiling = ceiling(config.retryBase(), retriesSoFar).toMillis();
    long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling - ceiling / 2 + 1);
    return now.plus(Duration.ofMillis(delay));
  }
}
