package com.rendertrust.server.platform.ratelimit;

import java.time.Duration;
import java.util.Objects;

/**
 * At most {@code maxAttempts} attempts per {@code window} and subject (a client address, a
 * hashed e-mail...). {@code name} keeps the counters of different limits apart.
 */
public record RateLimit(String name, int maxAttempts, Duration window) {

  public RateLimit {
    Objects.requireNonNull(name, "name");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1");
    }
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive");
    }
  }

  public static RateLimit perMinute(String name, int maxAttempts) {
    return new RateLimit(name, maxAttempts, Duration.ofMinutes(1));
  }
}
