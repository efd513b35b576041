package com.rendertrust.server.nodes;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Notices a stream whose node stays silent longer than the heartbeat timeout. One timer per
 * stream, set for the earliest moment the silence could reach the timeout, so a heartbeat costs
 * only a clock read.
 */
final class HeartbeatWatch {

  private final ScheduledExecutorService timers;
  private final Duration timeout;
  private final BooleanSupplier ended;
  private final Runnable onTimeout;
  private volatile long lastHeartbeatNanos = System.nanoTime();
  private volatile ScheduledFuture<?> timer;

  /** {@code onTimeout} runs on the timer thread once the silence reaches {@code timeout}, unless {@code ended}. */
  HeartbeatWatch(ScheduledExecutorService timers, Duration timeout, BooleanSupplier ended, Runnable onTimeout) {
    this.timers = timers;
    this.timeout = timeout;
    this.ended = ended;
    this.onTimeout = onTimeout;
    schedule(timeout);
  }

  /** The node was heard from now. */
  void heard() {
    lastHeartbeatNanos = System.nanoTime();
  }

  void stop() {
    ScheduledFuture<?> current = timer;
    if (current != null) {
      current.cancel(false);
    }
  }

  private void schedule(Duration delay) {
    timer = timers.schedule(this::check, Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
  }

  private void check() {
    if (ended.getAsBoolean()) {
      return;
    }
    long silentNanos = System.nanoTime() - lastHeartbeatNanos;
    if (silentNanos >= timeout.toNanos()) {
      onTimeout.run();
    } else {
      schedule(Duration.ofNanos(timeout.toNanos() - silentNanos));
    }
  }
}
