package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Bounds how many submissions use the database at once, so that a burst of submissions cannot
 * take every pooled connection from the node streams, whose results end jobs, settle money and
 * free slots. A submission waits briefly for a place, then is refused with RATE_LIMITED (429 and
 * {@code Retry-After}): an overloaded server says so at once instead of letting calls pile up
 * until they time out, and work already admitted keeps its latency.
 */
final class SubmissionGate {

  static final Duration DEFAULT_WAIT = Duration.ofSeconds(1);

  private final Semaphore places;
  private final Duration wait;

  SubmissionGate(int places, Duration wait) {
    if (places < 1) {
      throw new IllegalArgumentException("a submission gate needs at least one place, got " + places);
    }
    this.places = new Semaphore(places, true);
    this.wait = wait;
  }

  /** Half the database pool: the other half stays for node streams, queue passes and reads. */
  static SubmissionGate forPool(int poolSize) {
    return new SubmissionGate(Math.max(1, poolSize / 2), DEFAULT_WAIT);
  }

  <T> T through(Supplier<T> submission) {
    boolean admitted;
    try {
      admitted = places.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw DomainException.unavailable("the server is shutting down; retry later");
    }
    if (!admitted) {
      throw new DomainException(Reason.RATE_LIMITED, "the server is busy with other submissions; retry in 1 s",
          Map.of("retry_after_seconds", "1"));
    }
    try {
      return submission.get();
    } finally {
      places.release();
    }
  }
}
