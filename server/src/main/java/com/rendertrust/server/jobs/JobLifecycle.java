package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.records.JobsRecord;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.storage.ResultStore;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to jobs on the node side: a node starts a job, finishes it, loses it, or comes
 * back with it. Every report is fenced by the assignment id: only the node holding the job's
 * current assignment changes the job (checked in the same row lock that changes it), anything
 * else is STALE and changes nothing. A job leaving a node always releases the node's slot in
 * the same transaction, so {@code nodes.active_jobs} always equals the jobs the node holds.
 */
public final class JobLifecycle {

  private static final Logger log = LoggerFactory.getLogger(JobLifecycle.class);
  private static final int MAX_ERROR_LENGTH = 1000;

  private final Database database;
  /** Every transaction here may meet a deadlock or serialization failure under load: retried. */
  private final Transactions transactions;
  private final JobsConfig config;
  private final Clock clock;
  private final JobScheduler scheduler;
  private final Settlements settlements;
  private final JobBilling billing;
  private final NodeNotifier notifier;

  public JobLifecycle(Database database, JobsConfig config, Clock clock, JobScheduler scheduler,
      Settlements settlements, JobBilling billing, NodeNotifier notifier) {
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.scheduler = scheduler;
    this.settlements = settlements;
    this.billing = billing;
    this.notifier = notifier;
  }

  /** The jobs {@code nodeId} holds now, oldest assignment first. */
  public List<ActiveAssignment> activeAssignments(UUID nodeId) {
    return database.dsl().selectFrom(JOBS)
        .where(JOBS.NODE_ID.eq(nodeId).and(JOBS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())))
        .orderBy(JOBS.DISPATCHED_AT.asc(), JOBS.ID.asc())
        .fetch(row -> new ActiveAssignment(row.getId(), row.getAssignmentId(), JobStatus.valueOf(row.getStatus()),
            row.getJobType(), Optional.ofNullable(row.getPayloadRef()),
            Optional.ofNullable(row.getPayload()).map(JSONB::data), Timestamps.fromDb(row.getDeadline())));
  }

  /** The statuses of the given jobs (missing ids are absent). */
  public Map<UUID, JobStatus> statuses(Collection<UUID> jobIds) {
    Map<UUID, JobStatus> statuses = new HashMap<>();
    if (!jobIds.isEmpty()) {
      database.dsl().select(JOBS.ID, JOBS.STATUS).from(JOBS).where(JOBS.ID.in(jobIds))
          .forEach(row -> statuses.put(row.value1(), JobStatus.valueOf(row.value2())));
    }
    return statuses;
  }

  /** The node started the job: DISPATCHED -> RUNNING. */
  public ReportOutcome accepted(UUID nodeId, UUID jobId, UUID assignmentId) {
    OffsetDateTime now = now();
    int updated = database.dsl().update(JOBS)
        .set(JOBS.STATUS, JobStatus.RUNNING.name())
        .set(JOBS.STARTED_AT, now)
        .set(JOBS.UPDATED_AT, now)
        .where(JOBS.ID.eq(jobId).and(JOBS.NODE_ID.eq(nodeId)).and(JOBS.ASSIGNMENT_ID.eq(assignmentId))
            .and(JOBS.STATUS.eq(JobStatus.DISPATCHED.name())))
        .execute();
    if (updated == 1) {
      return ReportOutcome.APPLIED;
    }
    boolean alreadyRunning = database.dsl().fetchExists(JOBS, JOBS.ID.eq(jobId).and(JOBS.NODE_ID.eq(nodeId))
        .and(JOBS.ASSIGNMENT_ID.eq(assignmentId)).and(JOBS.STATUS.eq(JobStatus.RUNNING.name())));
    return alreadyRunning ? ReportOutcome.DUPLICATE : stale(nodeId, jobId, assignmentId, "accepted");
  }

  /** Progress is not stored; it only has to come from the current holder to count. */
  public ReportOutcome progress(UUID nodeId, UUID jobId, UUID assignmentId) {
    boolean current = database.dsl().fetchExists(JOBS, JOBS.ID.eq(jobId).and(JOBS.NODE_ID.eq(nodeId))
        .and(JOBS.ASSIGNMENT_ID.eq(assignmentId))
        .and(JOBS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())));
    return current ? ReportOutcome.APPLIED : stale(nodeId, jobId, assignmentId, "progress");
  }

  /**
   * The node's final report. COMPLETED stores the server-chosen result key; FAILED is terminal
   * (the node ran the job and it failed) and counts towards the node's consecutive failures.
   * One transaction ends the job, settles its money (capture or release), frees the node's slot
   * and refills it from the queue. If the money cannot move, the job still ends, with its
   * settlement pending for the sweeper, because a node's finished work must not be lost to a
   * billing failure.
   */
  public ReportOutcome finished(UUID nodeId, UUID jobId, UUID assignmentId, boolean completed, String errorMessage) {
    return end(new Finish(nodeId, jobId, assignmentId, completed, errorMessage,
        completed ? SlotRelease.SUCCESS : SlotRelease.FAILURE, now()));
  }

  /**
   * The server could not build the job's dispatch for its node (e.g. a stored payload no node
   * message can carry): the job ends FAILED with its hold released, and the node's slot is freed
   * without counting against the node, so one bad job never blocks a node.
   */
  public ReportOutcome undeliverable(UUID nodeId, UUID jobId, UUID assignmentId, String reason) {
    return end(new Finish(nodeId, jobId, assignmentId, false, reason, SlotRelease.NEUTRAL, now()));
  }

  private ReportOutcome end(Finish finish) {
    UUID nodeId = finish.nodeId();
    UUID jobId = finish.jobId();
    UUID assignmentId = finish.assignmentId();
    Finished done;
    boolean settled = true;
    try {
      done = transactions.transactionResult(cfg -> finish(cfg.dsl(), finish, true));
    } catch (SettlementFailed failed) {
      log.warn("settling job {} with its end failed; ending it with the settlement pending", jobId, failed.getCause());
      done = transactions.transactionResult(cfg -> finish(cfg.dsl(), finish, false));
      settled = false;
    }
    if (done.outcome() == ReportOutcome.APPLIED) {
      if (!settled) {
        settlements.settle(jobId);
      }
      if (done.refilled() > 0) {
        notifier.jobsChanged(nodeId);
      }
    } else if (done.outcome() == ReportOutcome.STALE) {
      stale(nodeId, jobId, assignmentId, "result");
    }
    return done.outcome();
  }

  private record Finish(UUID nodeId, UUID jobId, UUID assignmentId, boolean completed, String errorMessage,
      SlotRelease release, OffsetDateTime now) {
  }

  private record Finished(ReportOutcome outcome, int refilled) {
  }

  /** The billing call within a finishing transaction failed; that transaction is rolled back. */
  private static final class SettlementFailed extends RuntimeException {
    SettlementFailed(RuntimeException cause) {
      super(cause);
    }
  }

  private Finished finish(DSLContext tx, Finish finish, boolean settleNow) {
    UUID jobId = finish.jobId();
    Record row = tx.select(JOBS.asterisk(), NODES.OPERATOR_USER_ID)
        .from(JOBS).leftJoin(NODES).on(NODES.ID.eq(JOBS.NODE_ID))
        .where(JOBS.ID.eq(jobId))
        .forUpdate().of(JOBS)
        .fetchOne();
    if (row == null || !finish.nodeId().equals(row.get(JOBS.NODE_ID))
        || !finish.assignmentId().equals(row.get(JOBS.ASSIGNMENT_ID))) {
      return new Finished(ReportOutcome.STALE, 0);
    }
    if (!JobStatus.valueOf(row.get(JOBS.STATUS)).isActive()) {
      return new Finished(ReportOutcome.DUPLICATE, 0);
    }
    Settlement settlement = settlementOnEnd(tx, row, finish.completed(), settleNow);
    var update = tx.update(JOBS)
        .set(JOBS.STATUS, (finish.completed() ? JobStatus.COMPLETED : JobStatus.FAILED).name())
        .set(JOBS.COMPLETED_AT, finish.now())
        .set(JOBS.UPDATED_AT, finish.now())
        .set(JOBS.SETTLEMENT, settlement.name());
    if (finish.completed()) {
      update = update.set(JOBS.RESULT_REF, ResultStore.resultKey(jobId, finish.assignmentId())).setNull(JOBS.ERROR_MESSAGE);
    } else {
      update = update.set(JOBS.ERROR_MESSAGE, errorText(finish.errorMessage()));
    }
    update.where(JOBS.ID.eq(jobId)).execute();
    endAssignment(tx, finish.assignmentId(), finish.completed() ? "COMPLETED" : "FAILED", finish.now());
    NodeCapacity freed = releaseSlot(tx, finish.nodeId(), finish.release(), finish.now());
    return new Finished(ReportOutcome.APPLIED, scheduler.assignQueuedTo(tx, finish.nodeId(), freed));
  }

  /**
   * Moves the money of an ending HELD job within {@code tx} when {@code settleNow}: CAPTURED or
   * RELEASED. Otherwise, or for a job whose hold an earlier version left unconfirmed, the
   * settlement is left *_PENDING for {@link Settlements}.
   */
  private Settlement settlementOnEnd(DSLContext tx, Record job, boolean completed, boolean settleNow) {
    if (job.get(JOBS.PRICE) <= 0) {
      return Settlement.NONE;
    }
    if (!settleNow || !Settlement.HELD.name().equals(job.get(JOBS.SETTLEMENT))) {
      return completed ? Settlement.CAPTURE_PENDING : Settlement.RELEASE_PENDING;
    }
    try {
      if (completed) {
        billing.captureWithin(tx, job.get(JOBS.ID), job.get(JOBS.USER_ID), job.get(NODES.OPERATOR_USER_ID));
        return Settlement.CAPTURED;
      }
      billing.releaseWithin(tx, job.get(JOBS.ID));
      return Settlement.RELEASED;
    } catch (RuntimeException e) {
      throw new SettlementFailed(e);
    }
  }

  /**
   * Takes the job away from its node if it still holds {@code assignmentId}: back to QUEUED with
   * retry_count + 1, or FAILED (dead-lettered, hold released) once {@code maxRetries} retries are
   * used up. {@code nodeAtFault} counts the loss towards the node's consecutive failures (the
   * node accepted work and did not deliver), not for a lost connection. Returns whether it acted.
   */
  public boolean requeue(UUID jobId, UUID assignmentId, String reason, boolean nodeAtFault) {
    OffsetDateTime now = now();
    Optional<Requeued> requeued = transactions.transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      JobsRecord job = tx.selectFrom(JOBS).where(JOBS.ID.eq(jobId)).forUpdate().fetchOne();
      if (job == null || !assignmentId.equals(job.getAssignmentId())
          || !JobStatus.valueOf(job.getStatus()).isActive()) {
        return Optional.<Requeued>empty();
      }
      boolean deadLetter = job.getRetryCount() >= config.maxRetries();
      if (deadLetter) {
        tx.update(JOBS)
            .set(JOBS.STATUS, JobStatus.FAILED.name())
            .set(JOBS.ERROR_MESSAGE, errorText("gave up after " + job.getRetryCount() + " retries; last attempt: " + reason))
            .set(JOBS.COMPLETED_AT, now)
            .set(JOBS.UPDATED_AT, now)
            .set(JOBS.SETTLEMENT, (job.getPrice() > 0 ? Settlement.RELEASE_PENDING : Settlement.NONE).name())
            .where(JOBS.ID.eq(jobId))
            .execute();
      } else {
        tx.update(JOBS)
            .set(JOBS.STATUS, JobStatus.QUEUED.name())
            .setNull(JOBS.ASSIGNMENT_ID)
            .setNull(JOBS.DEADLINE)
            .setNull(JOBS.STARTED_AT)
            .set(JOBS.RETRY_COUNT, JOBS.RETRY_COUNT.plus(1))
            .set(JOBS.QUEUED_AT, now)
            .set(JOBS.UPDATED_AT, now)
            .where(JOBS.ID.eq(jobId))
            .execute();
      }
      endAssignment(tx, assignmentId, deadLetter ? "DEAD_LETTERED" : "REQUEUED", now);
      releaseSlot(tx, job.getNodeId(), nodeAtFault ? SlotRelease.FAILURE : SlotRelease.NEUTRAL, now);
      return Optional.of(new Requeued(job.getNodeId(), deadLetter));
    });
    requeued.ifPresent(done -> {
      log.info("job {} taken from node {}: {} ({})", jobId, done.nodeId(), reason,
          done.deadLettered() ? "dead-lettered" : "requeued");
      notifier.jobsChanged(done.nodeId());
      if (done.deadLettered()) {
        settlements.settle(jobId);
      } else {
        scheduler.requestQueuePass();
      }
    });
    return requeued.isPresent();
  }

  /**
   * A node (re)connected saying it still runs {@code running} (job id to assignment id). Jobs it
   * holds and runs continue (a DISPATCHED one it already started becomes RUNNING); jobs it held
   * RUNNING but no longer runs were lost with its restart and are requeued. Returns the listed
   * jobs it must stop because it no longer holds them.
   */
  public Map<UUID, UUID> resume(UUID nodeId, Map<UUID, UUID> running) {
    Map<UUID, UUID> withdrawn = new HashMap<>(running);
    for (ActiveAssignment held : activeAssignments(nodeId)) {
      UUID listed = running.get(held.jobId());
      if (held.assignmentId().equals(listed)) {
        withdrawn.remove(held.jobId());
        if (held.status() == JobStatus.DISPATCHED) {
          accepted(nodeId, held.jobId(), held.assignmentId());
        }
      } else if (held.status() == JobStatus.RUNNING) {
        requeue(held.jobId(), held.assignmentId(), "the node restarted without the job", false);
      }
    }
    return withdrawn;
  }

  private ReportOutcome stale(UUID nodeId, UUID jobId, UUID assignmentId, String what) {
    log.warn("STALE_ASSIGNMENT: node {} sent {} for job {} under assignment {} it does not hold; discarded",
        nodeId, what, jobId, assignmentId);
    return ReportOutcome.STALE;
  }

  private static void endAssignment(DSLContext tx, UUID assignmentId, String outcome, OffsetDateTime now) {
    tx.update(JOB_ASSIGNMENTS)
        .set(JOB_ASSIGNMENTS.ENDED_AT, now)
        .set(JOB_ASSIGNMENTS.OUTCOME, outcome)
        .where(JOB_ASSIGNMENTS.ID.eq(assignmentId).and(JOB_ASSIGNMENTS.ENDED_AT.isNull()))
        .execute();
  }

  private enum SlotRelease { SUCCESS, FAILURE, NEUTRAL }

  /**
   * Frees the slot; a failure may trip the node to UNHEALTHY, a success resets the streak.
   * Returns what the node can take now (read in the same statement, under its row lock).
   */
  private NodeCapacity releaseSlot(DSLContext tx, UUID nodeId, SlotRelease release, OffsetDateTime now) {
    var update = tx.update(NODES).set(NODES.ACTIVE_JOBS, NODES.ACTIVE_JOBS.minus(1));
    switch (release) {
      case SUCCESS -> update = update.set(NODES.CONSECUTIVE_FAILURES, 0);
      case FAILURE -> {
        var trips = NODES.STATUS.eq("HEALTHY")
            .and(NODES.CONSECUTIVE_FAILURES.plus(1).ge(config.unhealthyAfterFailures()));
        update = update
            .set(NODES.CONSECUTIVE_FAILURES, NODES.CONSECUTIVE_FAILURES.plus(1))
            .set(NODES.STATUS, DSL.when(trips, DSL.inline("UNHEALTHY")).otherwise(NODES.STATUS))
            .set(NODES.UNHEALTHY_SINCE, DSL.when(trips, DSL.val(now)).otherwise(NODES.UNHEALTHY_SINCE));
      }
      case NEUTRAL -> {
        // a lost connection says nothing about the node's ability to run jobs
      }
    }
    return update.where(NODES.ID.eq(nodeId))
        .returning(NODES.STATUS, NODES.VERIFIED, NODES.STREAM_SESSION, NODES.SLOTS, NODES.ACTIVE_JOBS,
            NODES.CAPABILITIES, NODES.HAS_GPU)
        .fetchOptional()
        .map(NodeCapacity::of)
        .orElse(NodeCapacity.NONE);
  }

  private static String errorText(String message) {
    String text = message == null || message.isBlank() ? "the node reported a failure" : message.strip();
    return text.length() <= MAX_ERROR_LENGTH ? text : text.substring(0, MAX_ERROR_LENGTH);
  }

  private OffsetDateTime now() {
    return Timestamps.toDb(clock.instant());
  }

  private record Requeued(UUID nodeId, boolean deadLettered) {
  }
}
