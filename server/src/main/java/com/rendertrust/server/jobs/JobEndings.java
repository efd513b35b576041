package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Ends a job within the caller's transaction (which holds the job's row lock), with its money:
 * COMPLETED captures the hold (each operator paid for the frames its nodes rendered, see
 * {@link TaskWork}), FAILED cancels the job's unfinished tasks and releases it. When
 * the money cannot move now ({@code settleNow} false, or a hold an earlier version left
 * unconfirmed) the settlement is left *_PENDING for {@link Settlements}.
 */
final class JobEndings {

  private final JobBilling billing;
  private final JobEvents events;

  JobEndings(JobBilling billing, JobEvents events) {
    this.billing = billing;
    this.events = events;
  }

  /** The job as its end needs it: owner, price, settlement, and the operator of the node that ends it. */
  record EndingJob(UUID id, UUID userId, long price, Settlement settlement, Optional<UUID> operator) {
  }

  /** The billing call within an ending transaction failed; that transaction is rolled back. */
  static final class SettlementFailed extends RuntimeException {
    SettlementFailed(RuntimeException cause) {
      super(cause);
    }
  }

  void complete(DSLContext tx, EndingJob job, String resultRef, boolean settleNow, OffsetDateTime now) {
    Settlement settlement = settle(tx, job, true, settleNow);
    tx.update(JOBS)
        .set(JOBS.STATUS, JobStatus.COMPLETED.name())
        .set(JOBS.TASKS_DONE, JOBS.TASKS_TOTAL)
        .set(JOBS.FRAMES_DONE, JOBS.FRAMES_TOTAL)
        .set(JOBS.RESULT_REF, resultRef)
        .setNull(JOBS.ERROR_MESSAGE)
        .setNull(JOBS.ERROR_CODE)
        .set(JOBS.COMPLETED_AT, now)
        .set(JOBS.UPDATED_AT, now)
        .set(JOBS.SETTLEMENT, settlement.name())
        .where(JOBS.ID.eq(job.id()))
        .execute();
    events.record(tx, JobEvents.Event.ofJob(JobEvents.Type.JOB_COMPLETED, job.id(), JobStatus.COMPLETED)
        .withProgress(1.0, framesTotal(tx, job.id())));
  }

  private static int framesTotal(DSLContext tx, UUID jobId) {
    return tx.select(JOBS.FRAMES_TOTAL).from(JOBS).where(JOBS.ID.eq(jobId)).fetchSingle(JOBS.FRAMES_TOTAL);
  }

  /** Fails the job: its unfinished tasks are cancelled. Returns the nodes that lost a task, to be told. */
  List<UUID> fail(DSLContext tx, EndingJob job, ErrorCode code, String message, boolean settleNow, OffsetDateTime now) {
    List<UUID> nodes = JobTaskStore.cancelUnfinished(tx, job.id(), now);
    Settlement settlement = settle(tx, job, false, settleNow);
    tx.update(JOBS)
        .set(JOBS.STATUS, JobStatus.FAILED.name())
        .set(JOBS.ERROR_CODE, code.name())
        .set(JOBS.ERROR_MESSAGE, message)
        .set(JOBS.COMPLETED_AT, now)
        .set(JOBS.UPDATED_AT, now)
        .set(JOBS.SETTLEMENT, settlement.name())
        .where(JOBS.ID.eq(job.id()))
        .execute();
    events.record(tx, JobEvents.Event.ofJob(JobEvents.Type.JOB_FAILED, job.id(), JobStatus.FAILED)
        .withError(code, message));
    return nodes;
  }

  private Settlement settle(DSLContext tx, EndingJob job, boolean completed, boolean settleNow) {
    if (job.price() <= 0) {
      return Settlement.NONE;
    }
    if (!settleNow || job.settlement() != Settlement.HELD) {
      return completed ? Settlement.CAPTURE_PENDING : Settlement.RELEASE_PENDING;
    }
    try {
      if (completed) {
        billing.captureSplitWithin(tx, job.id(), job.userId(), TaskWork.of(tx, job.id(), job.operator()));
        return Settlement.CAPTURED;
      }
      billing.releaseWithin(tx, job.id());
      return Settlement.RELEASED;
    } catch (RuntimeException e) {
      throw new SettlementFailed(e);
    }
  }
}
