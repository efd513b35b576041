package com.rendertrust.e2e;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polling for what another process does in its own time. */
final class Await {

  private static final Duration POLL = Duration.ofMillis(200);

  private Await() {
  }

  /**
   * The first present value {@code probe} returns within {@code timeout}; otherwise fails with
   * {@code what} and the last thing seen (from {@code lastSeen}), which is what a reader needs.
   */
  static <T> T until(String what, Duration timeout, Supplier<Optional<T>> probe, Supplier<String> lastSeen) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<T> value = probe.get();
      if (value.isPresent()) {
        return value.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what
            + "; last seen: " + lastSeen.get());
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }
}
