package com.rendertrust.agent.link;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Reconnect delays: 1 s, 2 s, 4 s … doubling per failed attempt up to the cap (30 s by default),
 * each shortened by a random 0–25 % so that many nodes cut off by the same server restart do not
 * come back in lock step. Never longer than the cap. Reset after a stream is established.
 */
public final class Backoff {

  private final Duration initial;
  private final Duration max;
  private final RandomGenerator random;
  private int attempt;

  public Backoff(Duration initial, Duration max, RandomGenerator random) {
    this.initial = initial;
    this.max = max;
    this.random = random;
  }

  /** The delay before the next attempt; each call counts one failed attempt. */
  public synchronized Duration next() {
    long nominal = nominalMillis(attempt);
    attempt = Math.min(attempt + 1, 62);
    long jittered = nominal - (long) (nominal * 0.25 * random.nextDouble());
    return Duration.ofMillis(Math.max(1, jittered));
  }

  /** The un-jittered delay of attempt {@code n} (0-based). */
  public long nominalMillis(int n) {
    long delay = initial.toMillis();
    for (int i = 0; i < n && delay < max.toMillis(); i++) {
      delay *= 2;
    }
    return Math.min(delay, max.toMillis());
  }

  public synchronized void reset() {
    attempt = 0;
  }

  public synchronized int failedAttempts() {
    return attempt;
  }
}
