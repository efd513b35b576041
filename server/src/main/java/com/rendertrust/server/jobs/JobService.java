package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.telemetry.Tracing;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.config.StorageConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import com.rendertrust.server.platform.net.InputUrlPolicy;
import com.rendertrust.server.storage.ResultStore;
import com.rendertrust.server.storage.SignedRoutes;
import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What creators do with jobs: submit, list, look at, cancel, and download results. Every
 * operation is scoped to the calling user: another user's job answers exactly like a missing one.
 *
 * <p>A submission is one transaction: the price's hold, the slot claims, the job row and all its
 * tasks in their first states (the first ones DISPATCHED with their assignments, the rest QUEUED)
 * commit together or not at all, so a refused hold (402) or a crash leaves nothing behind. The
 * tasks are written by one statement whatever their number. Free job types skip the hold. A
 * render job costs its type's price per frame; any other job its type's price.
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
  private final SubmissionGate gate;
  /** payload_ref URLs are fetched by nodes: none may point into a private network. */
  private final InputUrlPolicy inputUrls;
  private final JobInputs inputs;
  private final SignedRoutes archives;
  private final JobEvents events;
  private final JobEndings endings;
  /** Group commit of the commonest submissions; the others, and what a batch leaves, go one by one. */
  private final SubmissionBatch batch;
  private final SubmissionGate batchGate = new SubmissionGate(2 * SubmissionBatch.MAX_BATCH, SubmissionGate.DEFAULT_WAIT);

  public JobService(Database database, JobsConfig config, Clock clock, JobBilling billing, JobScheduler scheduler,
      Settlements settlements, NodeNotifier notifier, ResultStore results, StorageConfig storage,
      SignedRoutes archives) {
    this(database, config, clock, billing, scheduler, settlements, notifier, results, storage, archives, JobInputs.NONE);
  }

  public JobService(Database database, JobsConfig config, Clock clock, JobBilling billing, JobScheduler scheduler,
      Settlements settlements, NodeNotifier notifier, ResultStore results, StorageConfig storage,
      SignedRoutes archives, JobInputs inputs) {
    this(database, config, clock, billing, scheduler, settlements, notifier, results, storage, archives, inputs,
        JobEvents.NONE);
  }

  /** As above, recording each job's changes with {@code events}. */
  public JobService(Database database, JobsConfig config, Clock clock, JobBilling billing, JobScheduler scheduler,
      Settlements settlements, NodeNotifier notifier, ResultStore results, StorageConfig storage,
      SignedRoutes archives, JobInputs inputs, JobEvents events) {
    this(database, config, clock, billing, scheduler, settlements, notifier, results, storage, archives,
        SubmissionGate.forPool(database.poolSize()), inputs, events);
  }

  private JobService(Database database, JobsConfig config, Clock clock, JobBilling billing, JobScheduler scheduler,
      Settlements settlements, NodeNotifier notifier, ResultStore results, StorageConfig storage, SignedRoutes archives,
      SubmissionGate gate, JobInputs inputs, JobEvents events) {
    this.inputs = inputs;
    this.events = events;
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
    this.gate = gate;
    this.inputUrls = new InputUrlPolicy(config.allowPrivateInputUrls());
    this.archives = archives;
    this.endings = new JobEndings(billing, events);
    this.batch = new SubmissionBatch(transactions, config, clock, billing, scheduler, events);
  }

  /** Submissions written by group commit ({@link SubmissionBatch}) so far, and in how many batches. */
  public GroupCommit.Written batchedSubmissions() {
    return batch.written();
  }

  /**
   * Submits a job. Under overload (more concurrent submissions than {@link SubmissionGate}
   * admits within its wait) answers RATE_LIMITED with {@code retry_after_seconds}; nothing is
   * written then. A submission the {@link SubmissionBatch} takes waits at its own gate (the whole
   * batch uses one connection); what a batch leaves goes the one-job path, through the pool's gate.
   */
  public DispatchOutcome submit(UUID userId, JobSubmission submission) {
    ValidSubmission valid = SubmissionRules.validate(submission);
    valid.payloadRef().ifPresent(ref -> inputUrls.check("payload_ref", ref));
    RenderFrames frames = RenderFrames.ofSubmission(valid.jobType(), valid.payloadJson(), config.maxFrames());
    long price = Prices.of(config, valid.jobType(), frames.frameCount(), valid.tier());
    if (batch.takes(valid, frames, price)) {
      Optional<DispatchOutcome> batched = batchGate.through(() -> batched(userId, valid, frames, price));
      if (batched.isPresent()) {
        return batched.get();
      }
    }
    return gate.through(() -> admitted(userId, valid, frames, price));
  }

  private Optional<DispatchOutcome> batched(UUID userId, ValidSubmission valid, RenderFrames frames, long price) {
    Optional<JobsRecord> earlier = valid.idempotencyKey().flatMap(key -> findByKey(userId, key));
    if (earlier.isPresent()) {
      return Optional.of(replay(earlier.get(), valid));
    }
    return batch.submit(new SubmissionBatch.Submission(UUID.randomUUID(), userId, valid, frames, price,
        Tracing.traceparent(io.opentelemetry.context.Context.current()))).map(this::announce);
  }

  private DispatchOutcome admitted(UUID userId, ValidSubmission valid, RenderFrames frames, long price) {
    Optional<JobsRecord> earlier = valid.idempotencyKey().flatMap(key -> findByKey(userId, key));
    if (earlier.isPresent()) {
      return replay(earlier.get(), valid);
    }
    UUID jobId = UUID.randomUUID();
    try {
      return announce(transactions.transactionResult(cfg -> submitWithin(cfg.dsl(), jobId, userId, valid, frames,
          price)));
    } catch (RacedSubmission raced) {
      return replay(raced.winner(), valid);
    }
  }

  /**
   * The whole submission in one transaction: hold the price, claim slots (or queue), write the
   * job and its tasks in their first states. A refusal (400, 402) or a failure rolls all of it
   * back, so a submission either exists with its hold or left nothing behind.
   */
  private Submitted submitWithin(DSLContext tx, UUID jobId, UUID userId, ValidSubmission valid,
      RenderFrames frames, long price) {
    valid.inputId().ifPresent(input -> inputs.requireReady(tx, userId, input)); // 404 before any money moves
    if (price > 0) {
      try {
        billing.holdWithin(tx, jobId, userId, price);
      } catch (DomainException refused) {
        requireHealthyNode(tx, valid); // a 400 takes precedence over a 402
        throw refused;
      } catch (DataAccessException databaseFailure) {
        throw databaseFailure; // retried or mapped by Transactions
      } catch (RuntimeException unknownOutcome) {
        log.error("placing the hold of job {} failed", jobId, unknownOutcome);
        throw DomainException.unavailable("billing is unavailable; retry later");
      }
    }
    List<UUID> nodes = scheduler.claimSlotsUnlessQueued(tx, userId, valid.jobType(), valid.gpuRequired(),
        valid.tier().rank(), valid.priority().rank(), frames.taskCount());
    if (nodes.isEmpty()) {
      requireHealthyNode(tx, valid);
    }
    List<UUID> assignments = nodes.stream().map(node -> UUID.randomUUID()).toList();
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    Optional<JobsRecord> raced = insert(tx, jobId, userId, valid, frames, price, nodes, assignments, now);
    if (raced.isPresent()) {
      throw new RacedSubmission(raced.get()); // rolls back this attempt's hold and slots
    }
    List<JobTaskStore.DispatchedTask> dispatched = JobTaskStore.insertTasks(tx, jobId, userId, valid, frames, nodes,
        assignments, scheduler.maxRuntimeMillis(valid.jobType()), now);
    events.record(tx, JobEventDrafts.created(jobId, dispatched,
        nodes.isEmpty() ? JobStatus.QUEUED : JobStatus.DISPATCHED));
    // the submitting call's trace: dispatch, execution and settlement join it, on any replica
    String traceParent = Tracing.traceparent(io.opentelemetry.context.Context.current());
    if (!traceParent.isEmpty()) {
      tx.update(JOBS).set(JOBS.TRACE_PARENT, traceParent).where(JOBS.ID.eq(jobId)).execute();
    }
    return new Submitted(new DispatchOutcome(jobId, nodes.stream().findFirst(),
        nodes.isEmpty() ? JobStatus.QUEUED : JobStatus.DISPATCHED, nodes.stream().distinct().toList()), nodes,
        assignments);
  }

  private void requireHealthyNode(DSLContext tx, ValidSubmission valid) {
    if (!scheduler.anyHealthyNodeFor(tx, valid.jobType(), valid.gpuRequired())) {
      throw new DomainException(Reason.NO_HEALTHY_NODE,
          "no healthy node offers job type '" + valid.jobType() + "'" + (valid.gpuRequired() ? " with a GPU" : ""));
    }
  }

  /** A concurrent submission with the same idempotency key committed first: answer like a retry. */
  private static final class RacedSubmission extends RuntimeException {
    private final transient JobsRecord winner;

    RacedSubmission(JobsRecord winner) {
      super(null, null, false, false);
      this.winner = winner;
    }

    JobsRecord winner() {
      return winner;
    }
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
    Condition filter = condition;
    return transactions.repeatable(dsl -> new JobPage(dsl.selectFrom(JOBS).where(filter)
        .orderBy(JOBS.CREATED_AT.desc(), JOBS.ID.desc())
        .limit(pageSize).offset(offset)
        .fetch(JobRows::toJob), dsl.fetchCount(JOBS, filter)));
  }

  public Job get(UUID userId, String jobId) {
    return JobRows.toJob(transactions.repeatable(dsl -> owned(dsl, userId, jobId, false)));
  }

  /**
   * QUEUED, DISPATCHED or RUNNING -> CANCELLED with every unfinished task: the frames already
   * delivered are charged, the rest of the hold released, and the nodes told to stop.
   */
  public Job cancel(UUID userId, String jobId) {
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    List<UUID> withdrawnFrom = new java.util.ArrayList<>();
    JobsRecord cancelled;
    boolean settled = true;
    try {
      cancelled = transactions.transactionResult(cfg -> cancelWithin(cfg.dsl(), userId, jobId, true, now, withdrawnFrom));
    } catch (JobEndings.SettlementFailed failed) {
      log.warn("settling cancelled job {} failed; the sweeper settles it", jobId, failed.getCause());
      cancelled = transactions.transactionResult(cfg -> cancelWithin(cfg.dsl(), userId, jobId, false, now, withdrawnFrom));
      settled = false;
    }
    if (!settled) {
      settlements.settle(cancelled.getId());
    }
    if (!withdrawnFrom.isEmpty()) {
      withdrawnFrom.forEach(notifier::jobsChanged);
      scheduler.requestQueuePass();
    }
    return JobRows.toJob(cancelled);
  }

  private JobsRecord cancelWithin(DSLContext tx, UUID userId, String jobId, boolean settleNow, OffsetDateTime now,
      List<UUID> withdrawnFrom) {
    withdrawnFrom.clear(); // a retried attempt starts over
    JobsRecord job = owned(tx, userId, jobId, true); // lock order: job, then its tasks
    JobStatus status = JobStatus.valueOf(job.getStatus());
    Settlement settlement = Settlement.valueOf(job.getSettlement());
    if (!status.isCancellable() || settlement == Settlement.HOLD_PENDING) {
      throw new DomainException(Reason.JOB_NOT_CANCELLABLE,
          "cannot cancel a job in " + status + " state; it has already ended");
    }
    withdrawnFrom.addAll(endings.cancel(tx, new JobEndings.EndingJob(job, Optional.empty()), settleNow, now));
    return tx.selectFrom(JOBS).where(JOBS.ID.eq(job.getId())).fetchSingle();
  }

  public ResultLink result(UUID userId, String jobId) {
    JobsRecord job = transactions.repeatable(dsl -> owned(dsl, userId, jobId, false));
    if (!JobStatus.COMPLETED.name().equals(job.getStatus()) || job.getResultRef() == null) {
      throw new DomainException(Reason.RESULT_NOT_AVAILABLE, "job result not available: "
          + (JobStatus.COMPLETED.name().equals(job.getStatus()) ? "no result stored" : "job is not completed"));
    }
    URI url;
    try {
      url = job.getResultRef().equals(ResultStore.outputsPrefix(job.getId()))
          ? archives.url(JobArchiveRoute.path(job.getId()), storage.downloadUrlTtl())
          : results.downloadUrl(job.getResultRef(), storage.downloadUrlTtl());
    } catch (RuntimeException e) {
      log.error("presigning the result of job {} failed", job.getId(), e);
      throw DomainException.unavailable("result storage is unavailable");
    }
    return new ResultLink(job.getId(), url, storage.downloadUrlTtl().toSeconds());
  }

  /** Tells the nodes after the commit: a one-task job's node gets just its assignment (the fast path). */
  private DispatchOutcome announce(Submitted submitted) {
    DispatchOutcome outcome = submitted.outcome();
    if (submitted.dispatch().isPresent()) {
      notifier.dispatched(submitted.taskNodes().getFirst(), submitted.dispatch().get());
    } else if (submitted.assignments().size() == 1) {
      notifier.dispatched(submitted.taskNodes().getFirst(), submitted.assignments().getFirst());
    } else {
      outcome.nodes().forEach(notifier::jobsChanged);
    }
    if (outcome.nodes().isEmpty()) {
      scheduler.requestQueuePass();
    }
    return outcome;
  }

  /** Every submission's insert of its job, rendered once (PreparedSql); nothing when its idempotency key exists. */
  private static final PreparedSql INSERT_JOB = new PreparedSql("""
      INSERT INTO jobs (id, user_id, job_type, payload_ref, payload, input_id, priority, priority_rank, gpu_required,
                        status, price, tier, round_price, round_units, settlement, idempotency_key, request_hash,
                        first_status, first_node_id, node_id, assignment_id, dispatched_at, deadline, tasks_total,
                        frames_total, queued_at, created_at, updated_at)
      VALUES (?, ?, ?, CAST(? AS text), CAST(? AS jsonb), CAST(? AS uuid), ?, ?, ?, ?, ?, ?, ?, ?, ?,
              CAST(? AS text), CAST(? AS text), ?, CAST(? AS uuid), CAST(? AS uuid), CAST(? AS uuid),
              CAST(? AS timestamptz), CAST(? AS timestamptz), ?, ?, ?, ?, ?)
      ON CONFLICT (user_id, idempotency_key) DO NOTHING""");

  /**
   * Writes the job in the first state its tasks give it: DISPATCHED when {@code nodes} (whose
   * slots are claimed) took its first tasks, QUEUED otherwise; a one-task job mirrors its task's
   * assignment. Empty when written; otherwise the job a concurrent submission with the same
   * idempotency key stored first (nothing written then).
   */
  private Optional<JobsRecord> insert(DSLContext tx, UUID jobId, UUID userId, ValidSubmission valid,
      RenderFrames frames, long price, List<UUID> nodes, List<UUID> assignments, OffsetDateTime now) {
    boolean dispatched = !nodes.isEmpty();
    boolean oneTask = frames.taskCount() == 1;
    JobStatus status = dispatched ? JobStatus.DISPATCHED : JobStatus.QUEUED;
    UUID firstNode = dispatched ? nodes.get(0) : null;
    int inserted = INSERT_JOB.execute(tx, jobId, userId, valid.jobType(), valid.payloadRef().orElse(null),
        valid.payloadJson().orElse(null), valid.inputId().orElse(null), valid.priority().wireName(),
        valid.priority().rank(), valid.gpuRequired(), status.name(), price, valid.tier().wireName(), price,
        Math.max(frames.frameCount(), frames.taskCount()), (price > 0 ? Settlement.HELD : Settlement.NONE).name(),
        valid.idempotencyKey().orElse(null), valid.requestHash(), status.name(), firstNode, firstNode,
        dispatched && oneTask ? assignments.get(0) : null, dispatched ? now : null,
        dispatched && oneTask ? now.plus(config.maxRuntimes().forType(valid.jobType())) : null,
        frames.taskCount(), frames.frameCount(), now, now, now);
    if (inserted == 0) {
      return valid.idempotencyKey().flatMap(key -> tx.selectFrom(JOBS)
          .where(JOBS.USER_ID.eq(userId).and(JOBS.IDEMPOTENCY_KEY.eq(key))).fetchOptional());
    }
    return Optional.empty();
  }

  private DispatchOutcome replay(JobsRecord earlier, ValidSubmission valid) {
    if (!earlier.getRequestHash().equals(valid.requestHash())) {
      throw new DomainException(Reason.IDEMPOTENCY_CONFLICT,
          "this idempotency key was already used for a different job submission");
    }
    if (earlier.getFirstStatus() == null) {
      // The first submission is still being processed (between its hold and its dispatch).
      return new DispatchOutcome(earlier.getId(), Optional.empty(), JobStatus.QUEUED, List.of());
    }
    return new DispatchOutcome(earlier.getId(), Optional.ofNullable(earlier.getFirstNodeId()),
        JobStatus.valueOf(earlier.getFirstStatus()), List.of());
  }

  private Optional<JobsRecord> findByKey(UUID userId, String key) {
    return transactions.repeatable(dsl -> dsl.selectFrom(JOBS)
        .where(JOBS.USER_ID.eq(userId).and(JOBS.IDEMPOTENCY_KEY.eq(key)))
        .fetchOptional());
  }

  /**
   * A job an earlier version left HOLD_PENDING (it wrote the row, then held in a second
   * transaction): the hold's outcome is unknown, so end the job FAILED with a pending release,
   * which the sweeper completes if this attempt fails (a release without a hold is a no-op).
   */
  void abandonSubmission(UUID jobId) {
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    String reason = "submission interrupted before its credit hold was confirmed";
    int updated = transactions.transactionResult(cfg -> {
      int changed = cfg.dsl().update(JOBS)
          .set(JOBS.STATUS, JobStatus.FAILED.name())
          .set(JOBS.ERROR_MESSAGE, reason)
          .set(JOBS.SETTLEMENT, Settlement.RELEASE_PENDING.name())
          .set(JOBS.FIRST_STATUS, JobStatus.FAILED.name())
          .set(JOBS.COMPLETED_AT, now)
          .set(JOBS.UPDATED_AT, now)
          .where(JOBS.ID.eq(jobId).and(JOBS.SETTLEMENT.eq(Settlement.HOLD_PENDING.name())))
          .execute();
      if (changed == 1) {
        events.record(cfg.dsl(), JobEvents.Event.ofJob(JobEvents.Type.JOB_FAILED, jobId, JobStatus.FAILED)
            .withMessage(reason));
      }
      return changed;
    });
    if (updated == 1) {
      settlements.settle(jobId);
    }
  }

  static JobsRecord owned(DSLContext dsl, UUID userId, String jobId, boolean lock) {
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
    return com.rendertrust.server.platform.Ids.parse(text);
  }
}
