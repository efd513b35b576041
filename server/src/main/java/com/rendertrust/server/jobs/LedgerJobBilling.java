package com.rendertrust.server.jobs;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.JobHolds;
import com.rendertrust.server.credits.WorkSplit;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Jobs' money on the credits ledger: prices are ten-thousandths of a credit, exactly
 * {@link CreditAmount}'s units. {@link JobHolds} already answers a short balance with
 * INSUFFICIENT_CREDITS (metadata {@code available}/{@code requested}, 4 decimals) and is
 * idempotent per job id.
 */
public final class LedgerJobBilling implements JobBilling {

  private final JobHolds holds;

  public LedgerJobBilling(JobHolds holds) {
    this.holds = holds;
  }

  @Override
  public void hold(UUID jobId, UUID userId, long amount) {
    holds.hold(jobId, userId, new CreditAmount(amount));
  }

  @Override
  public void captureSplit(UUID jobId, WorkSplit work) {
    holds.captureSplit(jobId, work);
  }

  /** A job that never got a hold (rejected before it) has nothing to return. */
  @Override
  public void release(UUID jobId) {
    try {
      holds.release(jobId);
    } catch (DomainException e) {
      if (e.reason() != Reason.NOT_FOUND) {
        throw e;
      }
    }
  }

  @Override
  public void holdWithin(DSLContext tx, UUID jobId, UUID userId, long amount) {
    holds.holdWithin(tx, jobId, userId, new CreditAmount(amount));
  }

  @Override
  public List<Boolean> holdAllWithin(DSLContext tx, List<HoldRequest> requests) {
    return holds.holdAllWithin(tx, requests.stream().map(request -> new JobHolds.Placing(request.jobId(),
        request.userId(), new CreditAmount(request.amount()))).toList());
  }

  @Override
  public void captureSplitWithin(DSLContext tx, UUID jobId, UUID userId, WorkSplit work) {
    holds.captureSplitWithin(tx, jobId, userId, work);
  }

  @Override
  public long settleWithin(DSLContext tx, UUID holdKey, UUID userId, WorkSplit work, long capture) {
    try {
      return holds.settleWithin(tx, holdKey, userId, work, new CreditAmount(capture)).amount().units();
    } catch (DomainException e) {
      if (e.reason() != Reason.NOT_FOUND) { // a job that never got a hold has nothing to settle
        throw e;
      }
      return 0;
    }
  }

  @Override
  public List<OptionalLong> captureAllWithin(DSLContext tx, List<SoleCapture> captures) {
    return holds.captureAllWithin(tx, captures.stream().map(capture -> new JobHolds.SoleCapture(capture.holdKey(),
            capture.userId(), capture.operatorUserId(), new CreditAmount(capture.capture()))).toList())
        .stream().map(hold -> hold.map(settled -> OptionalLong.of(settled.amount().units())).orElse(OptionalLong.empty()))
        .toList();
  }

  @Override
  public long availableWithin(DSLContext tx, UUID userId) {
    return holds.available(tx, userId).units();
  }

  /** Like {@link #release}; a missing hold is found before anything is written, so {@code tx} stays usable. */
  @Override
  public void releaseWithin(DSLContext tx, UUID jobId) {
    try {
      holds.releaseWithin(tx, jobId);
    } catch (DomainException e) {
      if (e.reason() != Reason.NOT_FOUND) {
        throw e;
      }
    }
  }
}
