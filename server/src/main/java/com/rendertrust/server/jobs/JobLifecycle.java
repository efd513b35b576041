package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.records.JobTasksRecord;
import com.rendertrust.server.jobs.ActiveAssignment.TaskFrames;
import com.rendertrust.server.jobs.JobEndings.EndingJob;
import com.rendertrust.server.jobs.JobEndings.SettlementFailed;
import com.rendertrust.server.nodes.NodeStates;
import com.rendertrust.server.nodes.NodeStates.Release;
import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.Database;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.db.Timestamps;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to tasks on the node side: a node starts one, finishes it, loses it, or comes
 * back with it. Every report is fenced by the assignment id, which names exactly one task: only
 * the node holding the task's current assignment changes it (checked under the job's and the
 * task's row locks), anything else is STALE and changes nothing. A task leaving a node always
 * releases the node's slot in the same transaction, so {@code nodes.active_jobs} always equals
 * the tasks the node holds. Each transaction locks the job's row first, then its tasks.
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
  private final JobEndings endings;
  private final NodeNotifier notifier;
  private final JobEvents events;
  private final TaskProgress progress;
  private final CompletionBatch completions;
  private final StartBatch starts;

  public JobLifecycle(Database database, JobsConfig config, Clock clock, JobScheduler scheduler,
      Settlements settlements, JobBilling billing, NodeNotifier notifier) {
    this(database, config, clock, scheduler, settlements, billing, notifier, JobEvents.NONE);
  }

  /** As above, recording each change of a task or job with {@code events}. */
  public JobLifecycle(Database database, JobsConfig config, Clock clock, JobScheduler scheduler,
      Settlements settlements, JobBilling billing, NodeNotifier notifier, JobEvents events) {
    this.events = events;
    this.progress = new TaskProgress(transactions(database), events);
    this.database = database;
    this.transactions = new Transactions(database.dsl());
    this.config = config;
    this.clock = clock;
    this.scheduler = scheduler;
    this.settlements = settlements;
    this.endings = new JobEndings(billing, events);
    this.completions = new CompletionBatch(transactions, endings);
    this.starts = new StartBatch(transactions, events);
    this.notifier = notifier;
  }

  /** The tasks {@code nodeId} holds now, oldest assignment first. */
  public List<ActiveAssignment> activeAssignments(UUID nodeId) {
    return TaskStatements.ACTIVE_ASSIGNMENTS.fetch(database.dsl(), JobLifecycle::activeAssignment, nodeId);
  }

  /** The task {@code nodeId} holds under {@code assignmentId}, or empty once it no longer holds it. */
  public Optional<ActiveAssignment> activeAssignment(UUID nodeId, UUID assignmentId) {
    return TaskStatements.ACTIVE_ASSIGNMENT.fetchOptional(database.dsl(), JobLifecycle::activeAssignment, nodeId,
        assignmentId);
  }

  /** As {@link #activeAssignments(UUID)}, without what running them needs: which tasks, in which state. */
  public List<HeldAssignment> holdings(UUID nodeId) {
    return TaskStatements.HOLDINGS.fetch(database.dsl(), row -> new HeldAssignment(PreparedSql.uuid(row, 1),
        PreparedSql.uuid(row, 2), JobStatus.valueOf(row.getString(3))), nodeId);
  }

  private static ActiveAssignment activeAssignment(ResultSet row) throws SQLException {
    Optional<String> payload = Optional.ofNullable(row.getString(11));
    Integer start = PreparedSql.integer(row, 6);
    Optional<TaskFrames> frames = start == null ? Optional.empty()
        : Optional.of(new TaskFrames(start, row.getInt(7), row.getInt(8), RenderFrames.formatOf(payload)));
    return new ActiveAssignment(PreparedSql.uuid(row, 2), PreparedSql.uuid(row, 3),
        JobStatus.valueOf(row.getString(4)), row.getString(9), Optional.ofNullable(row.getString(10)), payload,
        Timestamps.fromDb(PreparedSql.timestamp(row, 5)), PreparedSql.uuid(row, 12),
        Optional.ofNullable(PreparedSql.uuid(row, 13)), PreparedSql.uuid(row, 1), frames,
        Optional.ofNullable(row.getString(14)));
  }

  /**
   * The assignments (DISPATCHED or RUNNING) each of {@code nodeIds} holds, in one query: the
   * periodic check of all streams of a replica at once. A node holding none is absent.
   */
  public Map<UUID, Set<UUID>> heldAssignments(Collection<UUID> nodeIds) {
    Map<UUID, Set<UUID>> held = new HashMap<>();
    if (!nodeIds.isEmpty()) {
      database.dsl().select(JOB_TASKS.NODE_ID, JOB_TASKS.ASSIGNMENT_ID).from(JOB_TASKS)
          .where(JOB_TASKS.NODE_ID.eq(DSL.any(nodeIds.toArray(UUID[]::new)))
              .and(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())))
          .forEach(row -> held.computeIfAbsent(row.value1(), node -> new HashSet<>()).add(row.value2()));
    }
    return held;
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

  /** The node started the task: DISPATCHED -> RUNNING, and its job RUNNING. One statement, job row locked first. */
  public ReportOutcome accepted(UUID nodeId, UUID jobId, UUID assignmentId) {
    OffsetDateTime now = now();
    if (starts.start(nodeId, jobId, assignmentId, now)) { // with the starts reported meanwhile (StartBatch)
      return ReportOutcome.APPLIED;
    }
    boolean applied = transactions.transactionResult(cfg -> TaskStatements.START.fetchOptional(cfg.dsl(),
            row -> PreparedSql.uuid(row, 1), jobId, now, assignmentId, nodeId, now, now)
        .map(taskId -> {
          events.record(cfg.dsl(), JobEvents.Event.ofTask(JobEvents.Type.TASK_STARTED, jobId, taskId, nodeId,
              JobStatus.RUNNING));
          return true;
        }).orElse(false));
    if (applied) {
      return ReportOutcome.APPLIED;
    }
    boolean alreadyRunning = database.dsl().fetchExists(JOB_TASKS, current(nodeId, jobId, assignmentId)
        .and(JOB_TASKS.STATUS.eq(JobStatus.RUNNING.name())));
    return alreadyRunning ? ReportOutcome.DUPLICATE : stale(nodeId, jobId, assignmentId, "accepted");
  }

  /** Progress without figures: it only has to come from the current holder to count. */
  public ReportOutcome progress(UUID nodeId, UUID jobId, UUID assignmentId) {
    boolean current = database.dsl().fetchExists(JOB_TASKS, current(nodeId, jobId, assignmentId)
        .and(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())));
    return current ? ReportOutcome.APPLIED : stale(nodeId, jobId, assignmentId, "progress");
  }

  /**
   * The holder's progress report of a task (percent 0..100, frames rendered so far), kept in
   * memory ({@link TaskProgress}): the task's next transition records it, or the periodic
   * {@link #flushProgress} stores it with a task.progress event, at most once a second per task;
   * the job then shows the aggregate of its tasks' latest reports. A report from a node that no
   * longer holds the task is dropped when written.
   */
  public void progress(UUID nodeId, UUID jobId, UUID assignmentId, int percent, int framesDone, String message) {
    progress.offer(new TaskProgress.Report(nodeId, jobId, assignmentId, percent, framesDone, message, now()));
  }

  /** COMPLETED results written by group commit ({@link CompletionBatch}) so far, and in how many batches. */
  public GroupCommit.Written batchedCompletions() {
    return completions.written();
  }

  /** The same for the starts of tasks ({@link StartBatch}). */
  public GroupCommit.Written batchedStarts() {
    return starts.written();
  }

  /** Writes the progress reports no transition took yet, in one transaction; returns the events recorded. */
  public int flushProgress() {
    return progress.flush();
  }

  public ReportOutcome finished(UUID nodeId, UUID jobId, UUID assignmentId, boolean completed, String errorMessage) {
    return finished(nodeId, jobId, assignmentId, completed, errorMessage, "");
  }

  /**
   * The node's final report of a task. COMPLETED completes the task once every frame it owes is
   * delivered (a render task whose frames are missing is taken back and retried, the node at
   * fault); the job completes with its last task, capturing its hold. FAILED with INVALID_INPUT
   * fails the job at once (its other tasks are cancelled, the delivered frames charged and the
   * rest released); any other failure is retried after a backoff on another node, until the
   * retries run out (RETRIES_EXHAUSTED). A failure counts towards the node's consecutive
   * failures. One transaction ends the task, moves the money and frees the node's slot; a queue
   * pass after the commit refills the freed slots (one pass, and one fair-share ranking, for all
   * the endings that arrive while it runs, instead of one per ending). If the money cannot move,
   * the job still ends, with its settlement pending for the sweeper, because a node's finished
   * work must not be lost to a billing failure.
   */
  public ReportOutcome finished(UUID nodeId, UUID jobId, UUID assignmentId, boolean completed, String errorMessage,
      String errorCode) {
    return end(new Finish(nodeId, jobId, assignmentId, completed, errorMessage, errorCode,
        completed ? Release.SUCCESS : Release.FAILURE, now()));
  }

  /**
   * The server could not build the job's dispatch for its node (e.g. a stored payload no node
   * message can carry): the job ends FAILED with its hold released, and the node's slot is freed
   * without counting against the node, so one bad job never blocks a node.
   */
  public ReportOutcome undeliverable(UUID nodeId, UUID jobId, UUID assignmentId, String reason) {
    return end(new Finish(nodeId, jobId, assignmentId, false, reason, "", Release.NEUTRAL, now()));
  }

  private ReportOutcome end(Finish finish) {
    UUID nodeId = finish.nodeId();
    UUID jobId = finish.jobId();
    UUID assignmentId = finish.assignmentId();
    Finished done;
    boolean settled = true;
    // the task's unwritten progress report is recorded by this transition, not by a flush of its own
    Optional<TaskProgress.Report> reported = progress.take(assignmentId);
    if (finish.completed()) {
      Optional<ReportOutcome> batched = completions.complete(nodeId, jobId, assignmentId, finish.now(), reported);
      if (batched.isPresent()) {
        if (batched.get() == ReportOutcome.APPLIED) {
          scheduler.requestQueuePass();
        } else if (batched.get() == ReportOutcome.STALE) {
          stale(nodeId, jobId, assignmentId, "result");
        }
        return batched.get();
      }
    }
    try {
      done = transactions.transactionResult(cfg -> finish(cfg.dsl(), finish, reported, true));
    } catch (SettlementFailed failed) {
      log.warn("settling job {} with its end failed; ending it with the settlement pending", jobId, failed.getCause());
      done = transactions.transactionResult(cfg -> finish(cfg.dsl(), finish, reported, false));
      settled = false;
    }
    if (done.outcome() == ReportOutcome.APPLIED) {
      if (!settled || done.settleAfter()) {
        settlements.settle(jobId);
      }
      done.otherNodes().forEach(notifier::jobsChanged);
      if (done.queuePass()) {
        scheduler.requestQueuePass();
      }
    } else if (done.outcome() == ReportOutcome.STALE) {
      stale(nodeId, jobId, assignmentId, "result");
    }
    return done.outcome();
  }

  private record Finish(UUID nodeId, UUID jobId, UUID assignmentId, boolean completed, String errorMessage,
      String errorCode, Release release, OffsetDateTime now) {
  }

  /** {@code queuePass}: a slot was freed or a task requeued, and the queue should be looked at. */
  private record Finished(ReportOutcome outcome, List<UUID> otherNodes, boolean queuePass, boolean settleAfter) {
    static Finished of(ReportOutcome outcome) {
      return new Finished(outcome, List.of(), false, false);
    }
  }

  private Finished finish(DSLContext tx, Finish finish, Optional<TaskProgress.Report> reported, boolean settleNow) {
    Optional<EndingJob> job = lockJob(tx, finish.jobId(), finish.nodeId());
    JobTasksRecord task = job.isEmpty() ? null : lockTask(tx, finish.assignmentId());
    if (task == null || !task.getJobId().equals(finish.jobId()) || !finish.nodeId().equals(task.getNodeId())) {
      return Finished.of(ReportOutcome.STALE);
    }
    if (!JobStatus.valueOf(task.getStatus()).isActive()) {
      return Finished.of(ReportOutcome.DUPLICATE);
    }
    OffsetDateTime now = finish.now();
    List<JobEvents.Event> taskEvents = new ArrayList<>();
    reported.ifPresent(report -> taskEvents.add(report.event(task.getId())));
    if (!finish.completed()) {
      ErrorCode code = ErrorCode.reportedByNode(finish.errorCode());
      String message = errorText(finish.errorMessage());
      if (code != ErrorCode.INVALID_INPUT && finish.release() != Release.NEUTRAL) {
        // any other failure is retried, on another node when there is one
        events.record(tx, taskEvents);
        Requeued requeued = requeueWithin(tx, job.get(), task, message, code, true, now);
        return new Finished(ReportOutcome.APPLIED, requeued.others(), !requeued.deadLettered(),
            requeued.deadLettered());
      }
      exitTask(tx, task, TaskExit.FAILED, code, message, now);
      taskEvents.add(taskEvent(JobEvents.Type.TASK_FAILED, task, JobStatus.FAILED).withError(code, message));
      events.record(tx, taskEvents);
      List<UUID> others = endings.fail(tx, job.get(), code, message, settleNow, now);
      releaseSlot(tx, finish.nodeId(), finish.release(), now);
      return new Finished(ReportOutcome.APPLIED, others, true, false);
    }
    Optional<String> resultRef = TaskOutputs.resultOf(tx, task, finish.assignmentId());
    if (resultRef.isEmpty()) {
      events.record(tx, taskEvents);
      Requeued requeued = requeueWithin(tx, job.get(), task,
          "reported completion without delivering every frame of its task", ErrorCode.PLUGIN_ERROR, true, now);
      return new Finished(ReportOutcome.APPLIED, requeued.others(), !requeued.deadLettered(),
          requeued.deadLettered());
    }
    exitTask(tx, task, TaskExit.COMPLETED, null, null, now);
    taskEvents.add(taskEvent(JobEvents.Type.TASK_COMPLETED, task, JobStatus.COMPLETED));
    boolean lastTask = job.get().row().getTasksTotal() == 1 || !tx.fetchExists(JOB_TASKS,
        JOB_TASKS.JOB_ID.eq(finish.jobId()).and(JOB_TASKS.STATUS.ne(JobStatus.COMPLETED.name())));
    if (lastTask) {
      endings.completeAll(tx, List.of(new JobEndings.Completing(job.get(), resultRef.get(), taskEvents)), settleNow,
          now);
    } else {
      events.record(tx, taskEvents);
      JobTaskStore.deriveJobs(tx, List.of(finish.jobId()), now);
    }
    // The node's row is locked last, after the money moved: every dispatch to this node waits
    // for that lock, so holding it across a capture (which queues on the platform account's row)
    // would stall the node's dispatches behind every other capture.
    releaseSlot(tx, finish.nodeId(), Release.SUCCESS, now);
    return new Finished(ReportOutcome.APPLIED, List.of(), true, false);
  }

  /**
   * Takes the task away from its node if it still holds {@code assignmentId}: back to QUEUED
   * with retry_count + 1, or FAILED once {@code maxRetries} retries are used up, which fails the
   * job (RETRIES_EXHAUSTED: its other tasks are cancelled and its hold released).
   * {@code nodeAtFault} counts the loss towards the node's consecutive failures (the node
   * accepted work and did not deliver), not for a lost connection. Returns whether it acted.
   */
  public boolean requeue(UUID jobId, UUID assignmentId, String reason, boolean nodeAtFault) {
    return requeue(jobId, assignmentId, reason, nodeAtFault ? ErrorCode.TIMEOUT : ErrorCode.NODE_LOST, nodeAtFault);
  }

  /** {@link #requeue(UUID, UUID, String, boolean)} with the failure typed by the server (NODE_LOST, TIMEOUT). */
  public boolean requeue(UUID jobId, UUID assignmentId, String reason, ErrorCode code, boolean nodeAtFault) {
    OffsetDateTime now = now();
    Optional<Requeued> requeued = transactions.transactionResult(cfg -> {
      DSLContext tx = cfg.dsl();
      Optional<EndingJob> job = lockJob(tx, jobId, null);
      JobTasksRecord task = job.isEmpty() ? null : lockTask(tx, assignmentId);
      if (task == null || !task.getJobId().equals(jobId) || !JobStatus.valueOf(task.getStatus()).isActive()) {
        return Optional.<Requeued>empty();
      }
      return Optional.of(requeueWithin(tx, job.get(), task, reason, code, nodeAtFault, now));
    });
    requeued.ifPresent(done -> {
      log.info("task {} of job {} taken from node {}: {} ({})", done.taskId(), jobId, done.nodeId(), reason,
          done.deadLettered() ? "dead-lettered" : "requeued");
      notifier.jobsChanged(done.nodeId());
      done.others().forEach(notifier::jobsChanged);
      if (done.deadLettered()) {
        settlements.settle(jobId);
      } else {
        scheduler.requestQueuePass();
      }
    });
    return requeued.isPresent();
  }

  private record Requeued(UUID taskId, UUID nodeId, boolean deadLettered, List<UUID> others) {
  }

  /**
   * The task failed on its node ({@code code}): back to the queue after its backoff, avoiding
   * that node, or FAILED with RETRIES_EXHAUSTED (failing the job) once its retries are used up.
   */
  private Requeued requeueWithin(DSLContext tx, EndingJob job, JobTasksRecord task, String reason, ErrorCode code,
      boolean nodeAtFault, OffsetDateTime now) {
    boolean deadLetter = task.getRetryCount() >= config.maxRetries();
    List<UUID> others = List.of();
    if (deadLetter) {
      String message = errorText("gave up after " + task.getRetryCount() + " retries; last attempt: " + reason);
      exitTask(tx, task, TaskExit.DEAD_LETTERED, ErrorCode.RETRIES_EXHAUSTED, message, now);
      events.record(tx, taskEvent(JobEvents.Type.TASK_FAILED, task, JobStatus.FAILED)
          .withError(ErrorCode.RETRIES_EXHAUSTED, message));
    } else {
      JobTaskStore.exit(tx, task.getId(), task.getAssignmentId(), TaskExit.REQUEUED, code, errorText(reason),
          task.getNodeId(), RetryBackoff.notBefore(config, task.getRetryCount(), now), now);
      events.record(tx, taskEvent(JobEvents.Type.TASK_RETRYING, task, JobStatus.QUEUED).withMessage(errorText(reason)));
    }
    if (deadLetter) {
      others = endings.fail(tx, job, ErrorCode.RETRIES_EXHAUSTED,
          errorText("gave up after " + task.getRetryCount() + " retries; last attempt: " + reason), false, now);
    } else {
      JobTaskStore.deriveJobs(tx, List.of(job.id()), now);
    }
    releaseSlot(tx, task.getNodeId(), nodeAtFault ? Release.FAILURE : Release.NEUTRAL, now);
    return new Requeued(task.getId(), task.getNodeId(), deadLetter, others);
  }

  /**
   * A node (re)connected saying it still runs {@code running} (assignment id to job id). Tasks
   * it holds and runs continue (a DISPATCHED one it already started becomes RUNNING); tasks it
   * held RUNNING but no longer runs were lost with its restart and are requeued. Returns the
   * listed assignments it must stop because it no longer holds them (assignment id to job id).
   */
  public Map<UUID, UUID> resumeAssignments(UUID nodeId, Map<UUID, UUID> running) {
    Map<UUID, UUID> withdrawn = new HashMap<>(running);
    for (ActiveAssignment held : activeAssignments(nodeId)) {
      if (running.containsKey(held.assignmentId())) {
        withdrawn.remove(held.assignmentId());
        if (held.status() == JobStatus.DISPATCHED) {
          accepted(nodeId, held.jobId(), held.assignmentId());
        }
      } else if (held.status() == JobStatus.RUNNING) {
        requeue(held.jobId(), held.assignmentId(), "the node restarted without the task", ErrorCode.NODE_LOST, false);
      }
    }
    return withdrawn;
  }

  private ReportOutcome stale(UUID nodeId, UUID jobId, UUID assignmentId, String what) {
    log.warn("STALE_ASSIGNMENT: node {} sent {} for job {} under assignment {} it does not hold; discarded",
        nodeId, what, jobId, assignmentId);
    return ReportOutcome.STALE;
  }

  /** The job's row, locked (first: lock order job, then tasks), with the operator of {@code nodeId}. */
  private static Optional<EndingJob> lockJob(DSLContext tx, UUID jobId, UUID nodeId) {
    // the whole row: the ending's charge is computed from it, without reading it again
    return TaskStatements.LOCK_JOB.fetchRecords(tx, TaskStatements.LOCKED_JOB_FIELDS, nodeId, jobId).stream()
        .findFirst()
        .map(row -> new EndingJob(row.into(JOBS), Optional.ofNullable(row.get(NODES.OPERATOR_USER_ID))));
  }

  private static JobTasksRecord lockTask(DSLContext tx, UUID assignmentId) {
    return TaskStatements.LOCK_TASK.fetchRecords(tx, JOB_TASKS.fields(), assignmentId).stream().findFirst()
        .map(row -> row.into(JOB_TASKS)).orElse(null);
  }

  private static org.jooq.Condition current(UUID nodeId, UUID jobId, UUID assignmentId) {
    return JOB_TASKS.ASSIGNMENT_ID.eq(assignmentId).and(JOB_TASKS.NODE_ID.eq(nodeId)).and(JOB_TASKS.JOB_ID.eq(jobId));
  }

  /** Ends the task (COMPLETED, FAILED or DEAD_LETTERED) and its assignment. */
  private static void exitTask(DSLContext tx, JobTasksRecord task, TaskExit exit, ErrorCode code, String message,
      OffsetDateTime now) {
    JobTaskStore.exit(tx, task.getId(), task.getAssignmentId(), exit, code, message, null, null, now);
  }

  private static JobEvents.Event taskEvent(JobEvents.Type type, JobTasksRecord task, JobStatus status) {
    return JobEvents.Event.ofTask(type, task.getJobId(), task.getId(), task.getNodeId(), status);
  }

  private static Transactions transactions(Database database) {
    return new Transactions(database.dsl());
  }

  /** Frees the slot through the nodes' state owner (a queue pass refills it after the commit). */
  private void releaseSlot(DSLContext tx, UUID nodeId, Release release, OffsetDateTime now) {
    NodeStates.release(tx, nodeId, release, config.unhealthyAfterFailures(), now);
  }

  static String errorText(String message) {
    String text = message == null || message.isBlank() ? "the node reported a failure" : message.strip();
    return text.length() <= MAX_ERROR_LENGTH ? text : text.substring(0, MAX_ERROR_LENGTH);
  }

  private OffsetDateTime now() {
    return Timestamps.toDb(clock.instant());
  }
}
