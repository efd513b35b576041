package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.JOB_OUTPUTS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.credits.WorkSplit;
import com.rendertrust.server.db.tables.records.JobsRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Pay for what was delivered: what an ended job's settlement captures, computed from its rows
 * alone, so the ending transaction and the sweeper's retry capture exactly the same amount.
 *
 * <p>A job is billed in rounds: round 0 is its submission (hold key = the job id, the whole price
 * over all its frames, or its tasks for a job without frames); a manual retry opens the next
 * round with a hold for the frames it reruns ({@link #holdKey}). A round's settlement captures the
 * round's price times the share of its units delivered during it (rounded down; all of it for a
 * COMPLETED job) and releases the rest, once. The delivered frames are split between the
 * operators of the nodes that delivered them; a COMPLETED job's work is split by {@link TaskWork}.
 */
final class JobCharges {

  private JobCharges() {
  }

  /** The key of round {@code round}'s hold: the job id for round 0, a name-based UUID after. */
  static UUID holdKey(UUID jobId, int round) {
    return round == 0 ? jobId
        : UUID.nameUUIDFromBytes(("rendertrust:job-round:" + jobId + ":" + round).getBytes(StandardCharsets.UTF_8));
  }

  /** Units (frames, or tasks for a job without frames) the job has delivered so far. */
  static int unitsDone(JobsRecord job) {
    return job.getFramesTotal() > 0 ? job.getFramesDone() : job.getTasksDone();
  }

  /** Units of the whole job. */
  static int unitsTotal(JobsRecord job) {
    return job.getFramesTotal() > 0 ? job.getFramesTotal() : job.getTasksTotal();
  }

  /**
   * Settles the job's current round within {@code tx} (which holds the job's row lock, the job
   * already ended with {@code completed} telling COMPLETED from FAILED/CANCELLED) and records the
   * charge on the job. Returns the settlement reached: CAPTURED for a COMPLETED job or when
   * anything was captured, RELEASED otherwise. Throws what the billing throws.
   */
  static Settlement settleWithin(DSLContext tx, JobBilling billing, UUID jobId, boolean completed,
      Optional<UUID> finishingOperator) {
    Charge charge = chargeCurrentWithin(tx, billing, jobId, completed, finishingOperator);
    tx.update(JOBS)
        .set(JOBS.CHARGED, DSL.coalesce(JOBS.CHARGED, DSL.inline(0L)).plus(charge.captured()))
        .where(JOBS.ID.eq(jobId))
        .execute();
    return charge.reached();
  }

  /** What a settlement reached and captured; the caller adds {@code captured} to the job's {@code charged}. */
  record Charge(Settlement reached, long captured) {
  }

  /**
   * {@link #chargeWithin} for the job's row as it is now (read again), split by the work its
   * completed tasks did (COMPLETED) or by the frames it delivered (FAILED / CANCELLED).
   */
  static Charge chargeCurrentWithin(DSLContext tx, JobBilling billing, UUID jobId, boolean completed,
      Optional<UUID> finishingOperator) {
    JobsRecord job = tx.selectFrom(JOBS).where(JOBS.ID.eq(jobId)).fetchSingle();
    return chargeWithin(tx, billing, job, completed,
        completed ? TaskWork.of(tx, jobId, finishingOperator) : deliveredWork(tx, jobId));
  }

  /**
   * Settles the current round of {@code job} (its row as locked by the caller, which has not
   * changed its price, rounds or units since) with {@code work} as the split, writing nothing to
   * the job's row: the caller records the charge in its own update of the job.
   */
  static Charge chargeWithin(DSLContext tx, JobBilling billing, JobsRecord job, boolean completed, WorkSplit work) {
    long captured = billing.settleWithin(tx, holdKey(job.getId(), job.getHoldRound()), job.getUserId(), work,
        capture(job, completed));
    // a COMPLETED job is CAPTURED even when its round had nothing left to pay (a rerun of delivered frames)
    return new Charge(completed || captured > 0 ? Settlement.CAPTURED : Settlement.RELEASED, captured);
  }

  /**
   * {@link #chargeWithin} for a batch of COMPLETED jobs (rows as locked by the caller), each one's
   * work all done by the nodes of one operator (the one ending it: a one-task job), in one step.
   * Answers each job's charge at its index, or empty when its hold was not ACTIVE (nothing written
   * for it: the caller charges it with {@link #chargeWithin}, which answers repeats).
   */
  static List<Optional<Charge>> captureAllWithin(DSLContext tx, JobBilling billing, List<JobsRecord> jobs,
      List<Optional<UUID>> operators) {
    List<JobBilling.SoleCapture> captures = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      JobsRecord job = jobs.get(i);
      captures.add(new JobBilling.SoleCapture(holdKey(job.getId(), job.getHoldRound()), job.getUserId(),
          operators.get(i).orElse(null), capture(job, true)));
    }
    return billing.captureAllWithin(tx, captures).stream()
        .map(captured -> captured.isPresent() ? Optional.of(new Charge(Settlement.CAPTURED, captured.getAsLong()))
            : Optional.<Charge>empty())
        .toList();
  }

  /** What a batched capture of a COMPLETED job's current round reaches when its hold is ACTIVE. */
  static Charge wholeCapture(JobsRecord job) {
    return new Charge(Settlement.CAPTURED, capture(job, true));
  }

  /** What settling the job's current round captures: the round's price times the share of its units delivered. */
  private static long capture(JobsRecord job, boolean completed) {
    long roundPrice = job.getRoundPrice() != null ? job.getRoundPrice() : job.getPrice();
    int roundUnits = job.getRoundUnits() != null ? job.getRoundUnits() : Math.max(1, unitsTotal(job));
    int delivered = completed ? roundUnits : Math.clamp(unitsDone(job) - job.getRoundBase(), 0, roundUnits);
    return Math.multiplyExact(roundPrice, delivered) / roundUnits;
  }

  /** The delivered frames per operator of the node that delivered each; all the platform's when none. */
  private static WorkSplit deliveredWork(DSLContext tx, UUID jobId) {
    Map<UUID, Long> byOperator = new HashMap<>();
    long total = 0;
    for (var row : tx.select(NODES.OPERATOR_USER_ID, DSL.count())
        .from(JOB_OUTPUTS)
        .join(JOB_ASSIGNMENTS).on(JOB_ASSIGNMENTS.ID.eq(JOB_OUTPUTS.ASSIGNMENT_ID))
        .leftJoin(NODES).on(NODES.ID.eq(JOB_ASSIGNMENTS.NODE_ID))
        .where(JOB_OUTPUTS.JOB_ID.eq(jobId))
        .groupBy(NODES.OPERATOR_USER_ID)
        .fetch()) {
      total += row.value2();
      if (row.value1() != null) {
        byOperator.put(row.value1(), (long) row.value2());
      }
    }
    return total == 0 ? WorkSplit.solely(null) : new WorkSplit(byOperator, total);
  }
}
