package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.storage.ResultStore;
import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What creators do with jobs: submit, list, look at, cancel, and download results. Every
 * operation is scoped to the calling user: another user's job answers exactly like a missing one.
 *
 * <p>Submission with a price: the job row is written first, unschedulable (HOLD_PENDING), then
 * the hold is placed, then the job becomes schedulable and is dispatched. A refused hold (402)
 * deletes the row again, so nothing remains; a crash in between leaves a row the sweeper finds
 * and resolves (released, FAILED). Free job types skip billing and take one transaction.
 */
public final class JobService {

  private static final Logger log = LoggerFactory.getLogger(JobService.class);
  private static final int DEFAULT_PAGE = 50;
  private static final int MAX_PAGE = 200;

  private final Database database;
  /** Every transaction here may meet a deadlock or serialization failure under load: retried. */
  private final Transactions transactions;
  private final JobsConfig config;
  private final Clock clock;
  private final JobBilling billing;
  private final JobScheduler scheduler;
  private final Settlements settlements;
  private final NodeNotifier notifier;
  private final ResultStore results;
  private final StorageConfig storage;

  public JobService(Database database, JobsConfig config, Clock clock, JobBilling billing, JobScheduler scheduler,
      Settlements settlements, NodeNotifier notifier, ResultStore results, StorageConfig storage) {
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.billing = billing;
    this.scheduler = scheduler;
    this.settlements = settlements;
    this.notifier = notifier;
    this.results = results;
    this.storage = storage;
  }

  public DispatchOutcome submit(UUID userId, JobSubmission submission) {
    ValidSubmission valid = SubmissionRules.validate(submission);
    Optional<JobsRecord> earlier = valid.idempotencyKey().flatMap(key -> findByKey(userId, key));
    if (earlier.isPresent()) {
      return replay(earlier.get(), valid);
    }
    if (!scheduler.anyHealthyNodeFor(valid.jobType(), valid.gpuRequired())) {
      throw new DomainException(Reason.NO_HEALTHY_NODE,
          "no healthy node offers job type '" + valid.jobType() + "'" + (valid.gpuRequired() ? " with a GPU" : ""));
    }
    long price = config.prices().forType(valid.jobType());
    UUID jobId = UUID.randomUUID();
    if (price == 0) {
      // Free: insert and dispatch in one transaction, so the job is never seen half-submitted.
      Submitted submitted = transactions.transactionResult(cfg -> {
        Optional<JobsRecord> raced = insert(cfg.dsl(), jobId, userId, valid, price, Settlement.NONE);
        return raced.isPresent() ? new Submitted(null, raced) : new Submitted(dispatchNew(cfg.dsl(), jobId, valid), raced);
      });
      return submitted.raced().isPresent() ? replay(submitted.raced().get(), valid) : announce(submitted.outcome());
    }
    // Priced: the row exists (unschedulable, HOLD_PENDING) before the hold, so a crash between
    // the two leaves something the sweeper can find; the hold is then confirmed and dispatched.
    Optional<JobsRecord> raced = transactions.transactionResult(cfg ->
        insert(cfg.dsl(), jobId, userId, valid, price, Settlement.HOLD_PENDING));
    if (raced.isPresent()) {
      return replay(raced.get(), valid);
    }
    try {
      billing.hold(jobId, userId, price);
    } catch (DomainException refused) {
      deleteUnheld(jobId);
      throw refused;
    } catch (RuntimeException unknownOutcome) {
      log.error("placing the hold of job {} failed", jobId, unknownOutcome);
      abandonSubmission(jobId);
      throw DomainException.unavailable("billing is unavailable; retry later");
    }
    return announce(transactions.transactionResult(cfg -> dispatchNew(cfg.dsl(), jobId, valid)));
  }

  public JobPage list(UUID userId, String statusFilter, int limit, int offset) {
    Condition condition = JOBS.USER_ID.eq(userId);
    if (statusFilter != null && !statusFilter.isEmpty()) {
      condition = condition.and(JOBS.STATUS.eq(JobStatus.parseFilter(statusFilter).name()));
    }
    if (limit < 0 || limit > MAX_PAGE) {
      throw DomainException.validation("limit must be between 1 and " + MAX_PAGE);
    }
    if (offset < 0) {
      throw DomainException.validation("offset must not be negative");
    }
    int pageSize = limit == 0 ? DEFAULT_PAGE : limit;
    DSLContext dsl = database.dsl();
    List<Job> jobs = dsl.selectFrom(JOBS).where(condition)
        .orderBy(JOBS.CREATED_AT.desc(), JOBS.ID.desc())
        .limit(pageSize).offset(offset)
        .fetch(JobRows::toJob);
    int count = dsl.fetchCount(JOBS, condition);
    return new JobPage(jobs, count);
  }

  public Job get(UUID userId, String jobId) {
    return JobRows.toJob(owned(database.dsl(), userId, jobId, false));
  }

  /** QUEUED or DISPATCHED -> CANCELLED; releases the hold and withdraws the job from its node. */
  public Job cancel(UUID userId, String jobId) {
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    JobsRecord cancelled = transactions.transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      JobsRecord job = owned(tx, userId, jobId, true);
      JobStatus status = JobStatus.valueOf(job.getStatus());
      if (!status.isCancellable() || Settlement.valueOf(job.getSettlement()) == Settlement.HOLD_PENDING) {
        throw new DomainException(Reason.JOB_NOT_CANCELLABLE,
            "cannot cancel a job in " + status + " state; only QUEUED or DISPATCHED jobs can be cancelled");
      }
      job.setStatus(JobStatus.CANCELLED.name());
      job.setCompletedAt(now);
      job.setUpdatedAt(now);
      job.setSettlement((job.getPrice() > 0 ? Settlement.RELEASE_PENDING : Settlement.NONE).name());
      job.update();
      if (status == JobStatus.DISPATCHED) {
        tx.update(JOB_ASSIGNMENTS).set(JOB_ASSIGNMENTS.ENDED_AT, now).set(JOB_ASSIGNMENTS.OUTCOME, "CANCELLED")
            .where(JOB_ASSIGNMENTS.ID.eq(job.getAssignmentId()).and(JOB_ASSIGNMENTS.ENDED_AT.isNull()))
            .execute();
        tx.update(NODES).set(NODES.ACTIVE_JOBS, NODES.ACTIVE_JOBS.minus(1)).where(NODES.ID.eq(job.getNodeId()))
            .execute();
      }
      return job;
    });
    settlements.settle(cancelled.getId());
    if (cancelled.getNodeId() != null && cancelled.getDispatchedAt() != null) {
      notifier.jobsChanged(cancelled.getNodeId());
      scheduler.requestQueuePass();
    }
    return JobRows.toJob(cancelled);
  }

  public ResultLink result(UUID userId, String jobId) {
    JobsRecord job = owned(database.dsl(), userId, jobId, false);
    if (!JobStatus.COMPLETED.name().equals(job.getStatus()) || job.getResultRef() == null) {
      throw new DomainException(Reason.RESULT_NOT_AVAILABLE, "job result not available: "
          + (JobStatus.COMPLETED.name().equals(job.getStatus()) ? "no result stored" : "job is not completed"));
    }
    URI url;
    try {
      url = results.downloadUrl(job.getResultRef(), storage.downloadUrlTtl());
    } catch (RuntimeException e) {
      log.error("presigning the result of job {} failed", job.getId(), e);
      throw DomainException.unavailable("result storage is unavailable");
    }
    return new ResultLink(job.getId(), url, storage.downloadUrlTtl().toSeconds());
  }

  /** Within {@code tx}: the new job goes to a node now, or waits in the queue. */
  private DispatchOutcome dispatchNew(DSLContext tx, UUID jobId, ValidSubmission valid) {
    JobsRecord job = tx.selectFrom(JOBS).where(JOBS.ID.eq(jobId)).forUpdate().fetchSingle();
    Optional<UUID> node = Optional.empty();
    if (!scheduler.hasQueueAhead(tx, jobId, valid.jobType(), valid.priority().rank())) {
      node = scheduler.claimSlot(tx, valid.jobType(), valid.gpuRequired());
    }
    if (job.getSettlement().equals(Settlement.HOLD_PENDING.name())) {
      job.setSettlement(Settlement.HELD.name());
    }
    JobStatus status = node.isPresent() ? JobStatus.DISPATCHED : JobStatus.QUEUED;
    job.setFirstStatus(status.name());
    job.setFirstNodeId(node.orElse(null));
    job.update();
    node.ifPresent(nodeId -> scheduler.assign(tx, jobId, nodeId, valid.jobType()));
    return new DispatchOutcome(jobId, node, status);
  }

  /** After the commit: wake the node, or let the queue pass place the job. */
  private DispatchOutcome announce(DispatchOutcome outcome) {
    if (outcome.nodeId().isPresent()) {
      notifier.jobsChanged(outcome.nodeId().get());
    } else {
      scheduler.requestQueuePass();
    }
    return outcome;
  }

  private Optional<JobsRecord> insert(DSLContext tx, UUID jobId, UUID userId, ValidSubmission valid, long price,
      Settlement settlement) {
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    int inserted = tx.insertInto(JOBS)
        .set(JOBS.ID, jobId)
        .set(JOBS.USER_ID, userId)
        .set(JOBS.JOB_TYPE, valid.jobType())
        .set(JOBS.PAYLOAD_REF, valid.payloadRef().orElse(null))
        .set(JOBS.PAYLOAD, valid.payloadJson().map(JSONB::jsonb).orElse(null))
        .set(JOBS.PRIORITY, valid.priority().wireName())
        .set(JOBS.PRIORITY_RANK, valid.priority().rank())
        .set(JOBS.GPU_REQUIRED, valid.gpuRequired())
        .set(JOBS.STATUS, JobStatus.QUEUED.name())
        .set(JOBS.PRICE, price)
        .set(JOBS.SETTLEMENT, settlement.name())
        .set(JOBS.IDEMPOTENCY_KEY, valid.idempotencyKey().orElse(null))
        .set(JOBS.REQUEST_HASH, valid.requestHash())
        .set(JOBS.QUEUED_AT, now)
        .set(JOBS.CREATED_AT, now)
        .set(JOBS.UPDATED_AT, now)
        .onConflict(JOBS.USER_ID, JOBS.IDEMPOTENCY_KEY).doNothing()
        .execute();
    if (inserted == 1) {
      return Optional.empty();
    }
    // A concurrent submission with the same key won the race: answer like a retry.
    return valid.idempotencyKey().flatMap(key -> tx.selectFrom(JOBS)
        .where(JOBS.USER_ID.eq(userId).and(JOBS.IDEMPOTENCY_KEY.eq(key))).fetchOptional());
  }

  private record Submitted(DispatchOutcome outcome, Optional<JobsRecord> raced) {
  }

  private DispatchOutcome replay(JobsRecord earlier, ValidSubmission valid) {
    if (!earlier.getRequestHash().equals(valid.requestHash())) {
      throw new DomainException(Reason.IDEMPOTENCY_CONFLICT,
          "this idempotency key was already used for a different job submission");
    }
    if (earlier.getFirstStatus() == null) {
      // The first submission is still being processed (between its hold and its dispatch).
      return new DispatchOutcome(earlier.getId(), Optional.empty(), JobStatus.QUEUED);
    }
    return new DispatchOutcome(earlier.getId(), Optional.ofNullable(earlier.getFirstNodeId()),
        JobStatus.valueOf(earlier.getFirstStatus()));
  }

  private Optional<JobsRecord> findByKey(UUID userId, String key) {
    return database.dsl().selectFrom(JOBS)
        .where(JOBS.USER_ID.eq(userId).and(JOBS.IDEMPOTENCY_KEY.eq(key)))
        .fetchOptional();
  }

  /** The hold was refused: the submission leaves no trace. */
  private void deleteUnheld(UUID jobId) {
    database.dsl().deleteFrom(JOBS)
        .where(JOBS.ID.eq(jobId).and(JOBS.SETTLEMENT.eq(Settlement.HOLD_PENDING.name())))
        .execute();
  }

  /**
   * The hold's outcome is unknown: end the job FAILED with a pending release, which the
   * sweeper completes if this attempt fails (a release without a hold is a no-op).
   */
  void abandonSubmission(UUID jobId) {
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    int updated = database.dsl().update(JOBS)
        .set(JOBS.STATUS, JobStatus.FAILED.name())
        .set(JOBS.ERROR_MESSAGE, "submission interrupted before its credit hold was confirmed")
        .set(JOBS.SETTLEMENT, Settlement.RELEASE_PENDING.name())
        .set(JOBS.FIRST_STATUS, JobStatus.FAILED.name())
        .set(JOBS.COMPLETED_AT, now)
        .set(JOBS.UPDATED_AT, now)
        .where(JOBS.ID.eq(jobId).and(JOBS.SETTLEMENT.eq(Settlement.HOLD_PENDING.name())))
        .execute();
    if (updated == 1) {
      settlements.settle(jobId);
    }
  }

  private static JobsRecord owned(DSLContext dsl, UUID userId, String jobId, boolean lock) {
    Optional<UUID> id = parseId(jobId);
    if (id.isEmpty()) {
      throw DomainException.notFound("job");
    }
    var query = dsl.selectFrom(JOBS).where(JOBS.ID.eq(id.get()).and(JOBS.USER_ID.eq(userId)));
    JobsRecord job = lock ? query.forUpdate().fetchOne() : query.fetchOne();
    if (job == null) {
      throw DomainException.notFound("job");
    }
    return job;
  }

  /** A malformed id names no job: it answers 404 like any other id the caller does not own. */
  private static Optional<UUID> parseId(String text) {
    if (text == null || text.length() != 36) {
      return Optional.empty();
    }
    try {
      return Optional.of(UUID.fromString(text));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
