package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;

import com.rendertrust.server.credits.WorkSplit;
import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.db.PreparedSql;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Ends a job within the caller's transaction (which holds the job's row lock), with its money,
 * in one settlement ({@link JobCharges}): COMPLETED captures the hold (each operator paid for the
 * frames its nodes rendered, see {@link TaskWork}); FAILED and CANCELLED cancel the job's
 * unfinished tasks, capture the share of the frames delivered and release the rest. When
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

  /** The job's row as the ending transaction locked it, and the operator of the node that ends it. */
  record EndingJob(JobsRecord row, Optional<UUID> operator) {

    UUID id() {
      return row.getId();
    }

    long price() {
      return row.getPrice();
    }

    Settlement settlement() {
      return Settlement.valueOf(row.getSettlement());
    }
  }

  /** The billing call within an ending transaction failed; that transaction is rolled back. */
  static final class SettlementFailed extends RuntimeException {
    SettlementFailed(RuntimeException cause) {
      super(cause);
    }
  }

  /** A job its last task completes, with that task's events (its unwritten progress, then task.completed). */
  record Completing(EndingJob job, String resultRef, List<JobEvents.Event> taskEvents) {
  }

  /**
   * Completes the jobs (one, or a batch in job id order): one statement for all their events, each
   * job's task events first and its job.completed last, then one statement for the jobs, then
   * their charges. The charges lock the users' accounts until the commit, and submissions wait for
   * those locks, so the events and the jobs' update come first: the update records the charge each
   * batched capture will reach ({@link JobCharges#wholeCapture}), and a job whose hold turns out
   * not to be ACTIVE is charged on its own and its row corrected. The nodes' progress of a
   * completed job is all of it.
   */
  void completeAll(DSLContext tx, List<Completing> jobs, boolean settleNow, OffsetDateTime now) {
    List<JobEvents.Event> all = new ArrayList<>();
    for (Completing completing : jobs) {
      all.addAll(completing.taskEvents());
      all.add(JobEvents.Event.ofJob(JobEvents.Type.JOB_COMPLETED, completing.job().id(), JobStatus.COMPLETED)
          .withProgress(1.0, completing.job().row().getFramesTotal())); // the row is locked: as the update leaves it
    }
    events.record(tx, all);
    int count = jobs.size();
    JobCharges.Charge[] charges = new JobCharges.Charge[count];
    List<Integer> together = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      EndingJob job = jobs.get(i).job();
      if (settleNow && job.price() > 0 && job.settlement() == Settlement.HELD && job.row().getTasksTotal() == 1) {
        together.add(i);
        charges[i] = JobCharges.wholeCapture(job.row());
      } else {
        charges[i] = charge(tx, job, true, settleNow);
      }
    }
    UUID[] ids = new UUID[count];
    String[] results = new String[count];
    String[] settlements = new String[count];
    Long[] captured = new Long[count];
    for (int i = 0; i < count; i++) {
      ids[i] = jobs.get(i).job().id();
      results[i] = jobs.get(i).resultRef();
      settlements[i] = charges[i].reached().name();
      captured[i] = charges[i].captured();
    }
    COMPLETE_ALL.execute(tx, now, now, ids, results, settlements, captured);
    if (!together.isEmpty()) {
      captureTogether(tx, jobs, together, charges);
    }
  }

  /**
   * The HELD holds of one-task jobs (all the work of the ending node's operator) captured together
   * in one step, the set-based ledger postings of {@link JobBilling#captureAllWithin}; a job whose
   * capture differs from what its row recorded ({@code recorded}: its hold was not ACTIVE, so it is
   * charged by {@link #charge}, which answers repeats) has its row corrected.
   */
  private void captureTogether(DSLContext tx, List<Completing> jobs, List<Integer> together,
      JobCharges.Charge[] recorded) {
    List<Optional<JobCharges.Charge>> captured;
    try {
      captured = JobCharges.captureAllWithin(tx, billing, together.stream().map(i -> jobs.get(i).job().row()).toList(),
          together.stream().map(i -> jobs.get(i).job().operator()).toList());
    } catch (RuntimeException e) {
      throw new SettlementFailed(e);
    }
    for (int k = 0; k < together.size(); k++) {
      EndingJob job = jobs.get(together.get(k)).job();
      JobCharges.Charge expected = recorded[together.get(k)];
      JobCharges.Charge actual = captured.get(k).orElseGet(() -> charge(tx, job, true, true));
      if (!actual.equals(expected)) {
        tx.update(JOBS)
            .set(JOBS.SETTLEMENT, actual.reached().name())
            .set(JOBS.CHARGED, JOBS.CHARGED.minus(expected.captured()).plus(actual.captured()))
            .where(JOBS.ID.eq(job.id()))
            .execute();
      }
    }
  }

  /** The completion's update of the jobs, rendered once (every completion runs it; PreparedSql). */
  private static final PreparedSql COMPLETE_ALL = new PreparedSql("""
      UPDATE jobs
         SET status = 'COMPLETED', tasks_done = tasks_total, frames_done = frames_total, reported_progress = 1.0,
             reported_frames = frames_total, result_ref = done.result_ref, error_message = NULL, error_code = NULL,
             completed_at = CAST(? AS timestamptz), updated_at = CAST(? AS timestamptz), settlement = done.settlement,
             charged = COALESCE(charged, 0) + done.captured
        FROM unnest(CAST(? AS uuid[]), CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS bigint[]))
             AS done (id, result_ref, settlement, captured)
       WHERE jobs.id = done.id""");

  /** Fails the job: its unfinished tasks are cancelled. Returns the nodes that lost a task, to be told. */
  List<UUID> fail(DSLContext tx, EndingJob job, ErrorCode code, String message, boolean settleNow, OffsetDateTime now) {
    return end(tx, job, JobStatus.FAILED, code, message, settleNow, now);
  }

  /** Cancels the job (the owner asked): its unfinished tasks are cancelled. Returns the nodes to tell. */
  List<UUID> cancel(DSLContext tx, EndingJob job, boolean settleNow, OffsetDateTime now) {
    return end(tx, job, JobStatus.CANCELLED, null, null, settleNow, now);
  }

  private List<UUID> end(DSLContext tx, EndingJob job, JobStatus status, ErrorCode code, String message,
      boolean settleNow, OffsetDateTime now) {
    List<UUID> nodes = JobTaskStore.cancelUnfinished(tx, job.id(), now);
    JobCharges.Charge charge = charge(tx, job, false, settleNow);
    tx.update(JOBS)
        .set(JOBS.STATUS, status.name())
        .set(JOBS.ERROR_CODE, code == null ? null : code.name())
        .set(JOBS.ERROR_MESSAGE, message)
        .set(JOBS.COMPLETED_AT, now)
        .set(JOBS.UPDATED_AT, now)
        .set(JOBS.SETTLEMENT, charge.reached().name())
        .set(JOBS.CHARGED, DSL.coalesce(JOBS.CHARGED, DSL.inline(0L)).plus(charge.captured()))
        .where(JOBS.ID.eq(job.id()))
        .execute();
    events.record(tx, status == JobStatus.CANCELLED
        ? JobEvents.Event.ofJob(JobEvents.Type.JOB_CANCELLED, job.id(), JobStatus.CANCELLED)
        : JobEvents.Event.ofJob(JobEvents.Type.JOB_FAILED, job.id(), JobStatus.FAILED).withError(code, message));
    return nodes;
  }

  /**
   * The job's settlement within its ending, recorded by the caller in its own update of the job.
   * A completion charges from the row the ending locked (its price and rounds are unchanged), and a
   * one-task job's work is all the finishing node's operator's (the task just completed is the only
   * one), so its split needs no query. A failure or cancellation reads the row again, as the
   * ending has just changed its tasks. Pending (nothing moved) when the money cannot move now.
   */
  private JobCharges.Charge charge(DSLContext tx, EndingJob job, boolean completed, boolean settleNow) {
    if (job.price() <= 0) {
      return new JobCharges.Charge(Settlement.NONE, 0);
    }
    if (!settleNow || job.settlement() != Settlement.HELD) {
      return new JobCharges.Charge(completed ? Settlement.CAPTURE_PENDING : Settlement.RELEASE_PENDING, 0);
    }
    try {
      if (!completed) {
        return JobCharges.chargeCurrentWithin(tx, billing, job.id(), false, job.operator());
      }
      WorkSplit work = job.row().getTasksTotal() == 1 ? WorkSplit.solely(job.operator().orElse(null))
          : TaskWork.of(tx, job.id(), job.operator());
      return JobCharges.chargeWithin(tx, billing, job.row(), true, work);
    } catch (RuntimeException e) {
      throw new SettlementFailed(e);
    }
  }
}
