package com.rendertrust.server.platform.config;

import java.time.Duration;

/**
 * Webhooks to creators (docs/webhooks.md).
 *
 * @param allowHttp endpoint URLs may be plain {@code http} ({@code RT_WEBHOOK_ALLOW_HTTP}; {@code --dev} sets it)
 * @param allowPrivate endpoint hosts may resolve to loopback, private or link-local addresses
 *     ({@code RT_WEBHOOK_ALLOW_PRIVATE}; {@code --dev} sets it)
 * @param retryBase the first retry's delay; each further one doubles, with jitter
 *     ({@code RT_WEBHOOK_RETRY_BASE_SECONDS}, 10 s)
 * @param retryCap the longest delay between two attempts (1 h)
 * @param retryWindow how long a delivery is retried before it is FAILED (24 h)
 * @param disableAfter an endpoint failing without a success for this long is disabled
 *     ({@code RT_WEBHOOK_DISABLE_AFTER_HOURS}, 72 h)
 * @param requestTimeout the whole of one attempt: connect, send, answer (10 s)
 * @param pollInterval how often a replica looks for due deliveries when it was not woken (1 s)
 * @param concurrency attempts one replica makes at the same time ({@code RT_WEBHOOK_CONCURRENCY}, 32)
 */
public record WebhooksConfig(boolean allowHttp, boolean allowPrivate, Duration retryBase, Duration retryCap,
    Duration retryWindow, Duration disableAfter, Duration requestTimeout, Duration pollInterval, int concurrency) {

  public WebhooksConfig {
    for (Duration value : new Duration[] {retryBase, retryCap, retryWindow, disableAfter, requestTimeout, pollInterval}) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("webhook durations (RT_WEBHOOK_RETRY_BASE_SECONDS,"
            + " RT_WEBHOOK_DISABLE_AFTER_HOURS) must be positive");
      }
    }
    if (retryCap.compareTo(retryBase) < 0) {
      throw new IllegalArgumentException("RT_WEBHOOK_RETRY_BASE_SECONDS must be at most 3600 (the cap)");
    }
    if (concurrency < 1 || concurrency > 1024) {
      throw new IllegalArgumentException("RT_WEBHOOK_CONCURRENCY must be 1..1024");
    }
  }

  /** Production defaults: https only, public addresses only. */
  public static WebhooksConfig defaults() {
    return new WebhooksConfig(false, false, Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofHours(24),
        Duration.ofHours(72), Duration.ofSeconds(10), Duration.ofSeconds(1), 32);
  }

  /** A local receiver on http://127.0.0.1 allowed, as {@code --dev} and tests need. */
  public WebhooksConfig allowingLocalReceivers() {
    return new WebhooksConfig(true, true, retryBase, retryCap, retryWindow, disableAfter, requestTimeout,
        pollInterval, concurrency);
  }

  public WebhooksConfig withRetryBase(Duration base) {
    return new WebhooksConfig(allowHttp, allowPrivate, base, retryCap, retryWindow, disableAfter, requestTimeout,
        pollInterval, concurrency);
  }

  public WebhooksConfig withPollInterval(Duration interval) {
    return new WebhooksConfig(allowHttp, allowPrivate, retryBase, retryCap, retryWindow, disableAfter,
        requestTimeout, interval, concurrency);
  }

  public WebhooksConfig withRequestTimeout(Duration timeout) {
    return new WebhooksConfig(allowHttp, allowPrivate, retryBase, retryCap, retryWindow, disableAfter, timeout,
        pollInterval, concurrency);
  }
}
