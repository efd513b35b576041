package com.rendertrust.sdk;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/** {@link RenderTrustClient#awaitCompletion}: follows the job's events, or polls an older server. */
final class JobWaits {

  private JobWaits() {
  }

  static Job awaitCompletion(String jobId, Duration timeout, Function<String, Job> getJob, Supplier<JobWatch> watch,
      Clock clock) {
    Job job = getJob.apply(jobId);
    if (job.isTerminal()) {
      return job;
    }
    try (JobWatch events = watch.get()) {
      while (events.hasNext()) {
        if (events.next().isTerminal()) {
          break;
        }
      }
    } catch (RenderTrustException e) {
      if ("DEADLINE_EXCEEDED".equals(e.grpcCode())) {
        throw stillRunning(jobId, getJob.apply(jobId), timeout, e);
      }
      if (!"UNIMPLEMENTED".equals(e.grpcCode())) {
        throw e;
      }
      return poll(jobId, timeout, getJob, clock);
    }
    return getJob.apply(jobId);
  }

  private static Job poll(String jobId, Duration timeout, Function<String, Job> getJob, Clock clock) {
    Instant giveUp = clock.instant().plus(timeout);
    long pauseMillis = 100;
    while (true) {
      Job job = getJob.apply(jobId);
      if (job.isTerminal()) {
        return job;
      }
      if (clock.instant().isAfter(giveUp)) {
        throw stillRunning(jobId, job, timeout, null);
      }
      try {
        Thread.sleep(pauseMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting", e);
      }
      pauseMillis = Math.min(pauseMillis * 2, 2_000);
    }
  }

  private static UnavailableException stillRunning(String jobId, Job job, Duration timeout, Throwable cause) {
    return new UnavailableException("DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED",
        "job " + jobId + " still " + job.status() + " after " + timeout, Map.of(), cause);
  }
}
