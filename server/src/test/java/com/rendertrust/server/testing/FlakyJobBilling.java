package com.rendertrust.server.testing;

import com.rendertrust.server.credits.WorkSplit;
import com.rendertrust.server.jobs.JobBilling;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;

/**
 * A fault injector in front of the real ledger's billing: the next {@code n} settlement calls
 * (capture, release) fail as if the database were unreachable, the outcome the jobs flow must
 * survive by retrying. Holds are not failed: a failed hold only refuses the submission (503).
 */
public final class FlakyJobBilling implements JobBilling {

  private final JobBilling real;
  private final AtomicInteger failures = new AtomicInteger();

  public FlakyJobBilling(JobBilling real) {
    this.real = real;
  }

  public void failNext(int count) {
    failures.addAndGet(count);
  }

  @Override
  public void hold(UUID jobId, UUID userId, long amount) {
    real.hold(jobId, userId, amount);
  }

  @Override
  public void captureSplit(UUID jobId, WorkSplit work) {
    maybeFail();
    real.captureSplit(jobId, work);
  }

  @Override
  public void release(UUID jobId) {
    maybeFail();
    real.release(jobId);
  }

  @Override
  public void holdWithin(DSLContext tx, UUID jobId, UUID userId, long amount) {
    real.holdWithin(tx, jobId, userId, amount);
  }

  @Override
  public List<Boolean> holdAllWithin(DSLContext tx, List<HoldRequest> requests) {
    return real.holdAllWithin(tx, requests);
  }

  @Override
  public void captureSplitWithin(DSLContext tx, UUID jobId, UUID userId, WorkSplit work) {
    maybeFail();
    real.captureSplitWithin(tx, jobId, userId, work);
  }

  @Override
  public void releaseWithin(DSLContext tx, UUID jobId) {
    maybeFail();
    real.releaseWithin(tx, jobId);
  }

  @Override
  public long settleWithin(DSLContext tx, UUID holdKey, UUID userId, WorkSplit work, long capture) {
    maybeFail();
    return real.settleWithin(tx, holdKey, userId, work, capture);
  }

  @Override
  public List<OptionalLong> captureAllWithin(DSLContext tx, List<SoleCapture> captures) {
    maybeFail();
    return real.captureAllWithin(tx, captures);
  }

  @Override
  public long availableWithin(DSLContext tx, UUID userId) {
    return real.availableWithin(tx, userId);
  }

  private void maybeFail() {
    if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new IllegalStateException("injected billing failure");
    }
  }
}
