package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;

import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * A creator's manual retry of a FAILED job: its failed and cancelled tasks go back to the queue
 * (retries and avoided nodes reset), the job back to QUEUED, under a new hold for the price of
 * the frames (or tasks) not yet delivered: the next billing round ({@link JobCharges}). One
 * transaction: a refused hold (402) changes nothing.
 */
public final class JobRetries {

  private final Transactions transactions;
  private final Clock clock;
  private final JobBilling billing;
  private final JobScheduler scheduler;
  private final Settlements settlements;

  public JobRetries(Database database, Clock clock, JobBilling billing, JobScheduler scheduler,
      Settlements settlements) {
    this.transactions = new Transactions(database.dsl());
    this.clock = clock;
    this.billing = billing;
    this.scheduler = scheduler;
    this.settlements = settlements;
  }

  public Job retry(UUID userId, String jobId) {
    JobsRecord before = transactions.repeatable(dsl -> JobService.owned(dsl, userId, jobId, false));
    settlements.settle(before.getId()); // the failed round first settles, if it still waits
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    JobsRecord retried = transactions.inTransaction(tx -> retryWithin(tx, userId, jobId, now));
    scheduler.requestQueuePass();
    return JobRows.toJob(retried);
  }

  private JobsRecord retryWithin(DSLContext tx, UUID userId, String jobId, OffsetDateTime now) {
    JobsRecord job = JobService.owned(tx, userId, jobId, true);
    JobStatus status = JobStatus.valueOf(job.getStatus());
    if (status != JobStatus.FAILED) {
      throw new DomainException(Reason.JOB_NOT_RETRYABLE,
          "cannot retry a job in " + status + " state; only FAILED jobs can be retried");
    }
    Settlement settlement = Settlement.valueOf(job.getSettlement());
    if (settlement == Settlement.RELEASE_PENDING || settlement == Settlement.CAPTURE_PENDING) {
      throw DomainException.unavailable("the job's last settlement is still pending; retry later");
    }
    int round = job.getHoldRound() + 1;
    int total = Math.max(1, JobCharges.unitsTotal(job));
    int done = JobCharges.unitsDone(job);
    int rerun = Math.max(1, total - done);
    long roundPrice = job.getPrice() > 0 ? Math.multiplyExact(job.getPrice(), Math.max(0, total - done)) / total : 0;
    if (job.getPrice() > 0) {
      billing.holdWithin(tx, JobCharges.holdKey(job.getId(), round), userId, roundPrice);
    }
    tx.update(JOB_TASKS)
        .set(JOB_TASKS.STATUS, JobStatus.QUEUED.name())
        .setNull(JOB_TASKS.ASSIGNMENT_ID)
        .setNull(JOB_TASKS.DEADLINE)
        .setNull(JOB_TASKS.STARTED_AT)
        .setNull(JOB_TASKS.COMPLETED_AT)
        .setNull(JOB_TASKS.ERROR_CODE)
        .setNull(JOB_TASKS.ERROR_MESSAGE)
        .setNull(JOB_TASKS.NOT_BEFORE)
        .set(JOB_TASKS.RETRY_COUNT, 0)
        .set(JOB_TASKS.FAILED_NODES, new UUID[0])
        .set(JOB_TASKS.QUEUED_AT, now)
        .where(JOB_TASKS.JOB_ID.eq(job.getId())
            .and(JOB_TASKS.STATUS.in(JobStatus.FAILED.name(), JobStatus.CANCELLED.name())))
        .execute();
    tx.update(JOBS)
        .set(JOBS.STATUS, JobStatus.QUEUED.name())
        .set(JOBS.HOLD_ROUND, round)
        .set(JOBS.ROUND_PRICE, roundPrice)
        .set(JOBS.ROUND_UNITS, rerun)
        .set(JOBS.ROUND_BASE, done)
        .set(JOBS.SETTLEMENT, (job.getPrice() > 0 ? Settlement.HELD : Settlement.NONE).name())
        .setNull(JOBS.ERROR_CODE)
        .setNull(JOBS.ERROR_MESSAGE)
        .setNull(JOBS.COMPLETED_AT)
        .setNull(JOBS.RESULT_REF)
        .setNull(JOBS.ASSIGNMENT_ID)
        .setNull(JOBS.DEADLINE)
        .set(JOBS.QUEUED_AT, now)
        .set(JOBS.UPDATED_AT, now)
        .where(JOBS.ID.eq(job.getId()))
        .execute();
    JobTaskStore.deriveJobs(tx, List.of(job.getId()), now);
    return tx.selectFrom(JOBS).where(JOBS.ID.eq(job.getId())).fetchSingle();
  }
}
