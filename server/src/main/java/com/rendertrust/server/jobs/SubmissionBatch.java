package com.rendertrust.server.jobs;

import static com.rendertrust.server.platform.db.PreparedSql.column;

import com.rendertrust.server.platform.config.JobsConfig;
import com.rendertrust.server.platform.db.BatchAnswer;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Timestamps;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.ConnectionLoss;
import com.rendertrust.server.platform.errors.DomainException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Group commit of the commonest submission: a priced job of one task, without an uploaded input,
 * when no per-user cap on running tasks applies. The submissions that arrive while a batch is
 * being written make the next batch, and that batch is one transaction for all of them: the holds
 * placed in one statement (each user's account locked and moved once), one slot claim per kind of
 * task, the jobs in one statement, their tasks and assignments in one, and their events in one.
 * It commits exactly what each submission's own transaction would have (the same rows, states and
 * money), so a crash leaves all of a batch or none of it.
 *
 * <p>What the batch cannot decide like the one-job path, it leaves to that path, after the batch
 * committed or rolled back: a hold refused (the user's credits ran short: 402, or an existing
 * hold), and every submission of a batch in which a task would queue for a kind no healthy node
 * offers (400 NO_HEALTHY_NODE), a concurrent submission took an idempotency key first (the replay),
 * or the transaction failed for any reason but a deadlock or serialization failure (those are
 * retried whole) or a lost connection: a batch that lost its connection may have committed, so
 * its submissions are answered 503 (DEPENDENCY_UNAVAILABLE), never written a second time. Nothing waits on
 * a timer: a lone submission is a batch of one.
 */
final class SubmissionBatch {

  /** Most submissions one transaction takes; the rest wait for the next batch. */
  static final int MAX_BATCH = 64;

  /** A validated, priced submission the batch takes ({@link #takes}); {@code traceParent} empty without a trace. */
  record Submission(UUID jobId, UUID userId, ValidSubmission valid, RenderFrames frames, long price,
      String traceParent) {
  }

  /** The whole batch goes the one-job path: its transaction rolled back. */
  private static final class Refused extends RuntimeException {
    Refused() {
      super(null, null, false, false);
    }
  }

  private final JobsConfig config;
  private final Clock clock;
  private final JobBilling billing;
  private final JobScheduler scheduler;
  private final JobEvents events;
  private final GroupCommit<Submission, BatchAnswer<Submitted>> commits;

  SubmissionBatch(Transactions transactions, JobsConfig config, Clock clock, JobBilling billing,
      JobScheduler scheduler, JobEvents events) {
    this.config = config;
    this.clock = clock;
    this.billing = billing;
    this.scheduler = scheduler;
    this.events = events;
    // retried whole on a deadlock or serialization failure (write has no effect outside the transaction)
    this.commits = new GroupCommit<>("submissions", MAX_BATCH, batch -> {
      try {
        return transactions.transactionResult(cfg -> write(cfg.dsl(), batch)).stream()
            .map(written -> written == null ? null : BatchAnswer.of(written)).toList();
      } catch (Refused refused) {
        return Collections.nCopies(batch.size(), null);
      } catch (DomainException refused) {
        if (!ConnectionLoss.isUnavailable(refused)) {
          throw refused; // rolled back: each submission takes the one-job path, which answers it
        }
        // Transactions' answer to a lost connection, which may have come after the commit: none of
        // the batch may be written again on the one-job path (a second job, a second hold)
        return Collections.nCopies(batch.size(), BatchAnswer.<Submitted>lost());
      }
    });
  }

  /** Whether a submission is one the batch takes; the others use the one-job path. */
  boolean takes(ValidSubmission valid, RenderFrames frames, long price) {
    return price > 0 && frames.taskCount() == 1 && valid.inputId().isEmpty() && config.maxRunningTasksPerUser() == 0;
  }

  /**
   * Writes the submission with the next batch; empty when the caller must write it on the one-job
   * path. Throws 503 when the batch lost its database connection (whether it committed is unknown:
   * the client's retry, with its idempotency key, finds out).
   */
  Optional<Submitted> submit(Submission submission) {
    return BatchAnswer.unwrap(commits.submit(submission));
  }

  /** The submissions batches answered since start (written, or failed with their connection), and the batches. */
  GroupCommit.Written written() {
    return commits.written();
  }

  private List<Submitted> write(DSLContext tx, List<Submission> batch) {
    OffsetDateTime now = Timestamps.toDb(clock.instant());
    List<Boolean> held = billing.holdAllWithin(tx, batch.stream()
        .map(submission -> new JobBilling.HoldRequest(submission.jobId(), submission.userId(), submission.price()))
        .toList());
    List<Submission> taken = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      if (held.get(i)) {
        taken.add(batch.get(i));
      }
    }
    Map<UUID, Submitted> written = taken.isEmpty() ? Map.of() : writeHeld(tx, taken, now);
    return batch.stream().map(submission -> written.get(submission.jobId())).toList();
  }

  /** The jobs whose holds were placed: slots and rows in one call ({@code job_submissions_place}), then events. */
  private Map<UUID, Submitted> writeHeld(DSLContext tx, List<Submission> taken, OffsetDateTime now) {
    List<JobTaskStore.FirstTask> tasks = taken.stream().map(submission -> JobTaskStore.FirstTask.of(submission.frames(),
        scheduler.maxRuntimeMillis(submission.valid().jobType()))).toList();
    List<Placed> placed = place(tx, taken, tasks, now);
    if (placed.size() != taken.size()) {
      throw new Refused(); // a concurrent submission took an idempotency key first: the one-job path replays it
    }
    Map<JobScheduler.TaskKind, Boolean> offered = new HashMap<>();
    List<JobEvents.Event> created = new ArrayList<>();
    Map<UUID, Submitted> written = new HashMap<>();
    for (int i = 0; i < taken.size(); i++) {
      Submission submission = taken.get(i);
      Placed row = placed.get(i);
      UUID node = row.nodeId();
      // a task may queue only for a kind some healthy node offers; otherwise the one-job path answers 400
      if (node == null && !offered.computeIfAbsent(new JobScheduler.TaskKind(submission.valid().jobType(),
          submission.valid().gpuRequired()), kind -> scheduler.anyHealthyNodeFor(tx, kind.jobType(),
          kind.gpuRequired()))) {
        throw new Refused();
      }
      JobStatus status = node == null ? JobStatus.QUEUED : JobStatus.DISPATCHED;
      created.addAll(JobEventDrafts.created(submission.jobId(),
          node == null ? List.of() : List.of(new JobTaskStore.DispatchedTask(row.taskId(), node)), status));
      List<UUID> taskNodes = node == null ? List.of() : List.of(node);
      Optional<ActiveAssignment> dispatch = node == null ? Optional.empty()
          : Optional.of(dispatched(submission, tasks.get(i), row, now));
      written.put(submission.jobId(), new Submitted(new DispatchOutcome(submission.jobId(), Optional.ofNullable(node),
          status, taskNodes), taskNodes, node == null ? List.of() : List.of(row.assignmentId()), dispatch));
    }
    events.record(tx, created);
    return written;
  }

  /** A held submission as {@code job_submissions_place} wrote it: its node and assignment (null when queued), its task. */
  record Placed(UUID jobId, UUID nodeId, UUID assignmentId, UUID taskId) {
  }

  /**
   * The dispatched task as {@link JobLifecycle#activeAssignment} reads it back after the commit
   * (the batch takes no uploaded input; the deadline is the insert's {@code now + max runtime}).
   */
  private static ActiveAssignment dispatched(Submission submission, JobTaskStore.FirstTask task, Placed placed,
      OffsetDateTime now) {
    ValidSubmission valid = submission.valid();
    Optional<ActiveAssignment.TaskFrames> frames = task.frameStart() == null ? Optional.empty()
        : Optional.of(new ActiveAssignment.TaskFrames(task.frameStart(), task.frameEnd(), task.frameStep(),
            RenderFrames.formatOf(valid.payloadJson())));
    return new ActiveAssignment(submission.jobId(), placed.assignmentId(), JobStatus.DISPATCHED, valid.jobType(),
        valid.payloadRef(), valid.payloadJson(), Timestamps.fromDb(now).plusMillis(task.maxRuntimeMillis()),
        submission.userId(), Optional.empty(), placed.taskId(), frames,
        submission.traceParent().isEmpty() ? Optional.empty() : Optional.of(submission.traceParent()));
  }

  /**
   * Claims the held submissions' slots and writes their jobs, tasks and assignments, as {@link
   * JobService}'s one-job path writes them (migration V24); answers each in batch order, or nothing
   * when a concurrent submission took an idempotency key first.
   */
  static List<Placed> place(DSLContext tx, List<Submission> taken, List<JobTaskStore.FirstTask> tasks,
      OffsetDateTime now) {
    return PLACE.fetch(tx, row -> new Placed(PreparedSql.uuid(row, 1), PreparedSql.uuid(row, 2),
            PreparedSql.uuid(row, 3), PreparedSql.uuid(row, 4)),
        column(taken, Submission::jobId, UUID[]::new), column(taken, Submission::userId, UUID[]::new),
        column(taken, s -> s.valid().jobType(), String[]::new),
        column(taken, s -> s.valid().payloadRef().orElse(null), String[]::new),
        column(taken, s -> s.valid().payloadJson().orElse(null), String[]::new),
        column(taken, s -> s.valid().priority().wireName(), String[]::new),
        column(taken, s -> (int) s.valid().priority().rank(), Integer[]::new),
        column(taken, s -> Boolean.toString(s.valid().gpuRequired()), String[]::new),
        column(taken, Submission::price, Long[]::new),
        column(taken, s -> s.valid().tier().wireName(), String[]::new),
        column(taken, s -> (int) s.valid().tier().rank(), Integer[]::new),
        column(taken, s -> Math.max(s.frames().frameCount(), s.frames().taskCount()), Integer[]::new),
        column(taken, s -> s.valid().idempotencyKey().orElse(null), String[]::new),
        column(taken, s -> s.valid().requestHash(), String[]::new),
        column(tasks, JobTaskStore.FirstTask::maxRuntimeMillis, Long[]::new),
        column(taken, s -> s.frames().frameCount(), Integer[]::new),
        column(taken, s -> s.traceParent().isEmpty() ? null : s.traceParent(), String[]::new),
        column(tasks, JobTaskStore.FirstTask::frameStart, Integer[]::new),
        column(tasks, JobTaskStore.FirstTask::frameEnd, Integer[]::new),
        column(tasks, JobTaskStore.FirstTask::frameStep, Integer[]::new), now);
  }

  private static final PreparedSql PLACE = new PreparedSql("""
      SELECT job_id, node_id, assignment_id, task_id
        FROM job_submissions_place(CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS varchar[]), CAST(? AS varchar[]),
                                   CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS int[]), CAST(? AS boolean[]),
                                   CAST(? AS bigint[]), CAST(? AS varchar[]), CAST(? AS int[]), CAST(? AS int[]),
                                   CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS bigint[]), CAST(? AS int[]),
                                   CAST(? AS varchar[]), CAST(? AS int[]), CAST(? AS int[]), CAST(? AS int[]),
                                   CAST(? AS timestamptz))""");
}
