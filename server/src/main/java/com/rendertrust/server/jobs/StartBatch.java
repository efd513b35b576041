package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Transactions;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Group commit of nodes starting tasks (JobAccepted): the reports that arrive while a batch is
 * being written make the next one, one transaction with one statement for all of them (their jobs
 * locked in id order, each task DISPATCHED -> RUNNING under its current assignment and node, its
 * job RUNNING) and one for their task.started events. A report the statement did not apply (a
 * repeat, or a stale assignment) is answered by {@link JobLifecycle}'s one-job path after the
 * commit, which tells a repeat from a stale report.
 */
final class StartBatch {

  /** Most reports one transaction takes. */
  static final int MAX_BATCH = 64;

  private record Start(UUID nodeId, UUID jobId, UUID assignmentId, OffsetDateTime now) {
  }

  /** A task the statement started: under this assignment, on this node. */
  private record Started(UUID assignmentId, UUID nodeId) {
  }

  private final JobEvents events;
  private final GroupCommit<Start, ReportOutcome> commits;

  StartBatch(Transactions transactions, JobEvents events) {
    this.events = events;
    this.commits = new GroupCommit<>("task starts", MAX_BATCH,
        batch -> transactions.transactionResult(cfg -> write(cfg.dsl(), batch)));
  }

  /** True when the next batch started the task; false when the caller must answer the report itself. */
  boolean start(UUID nodeId, UUID jobId, UUID assignmentId, OffsetDateTime now) {
    return commits.submit(new Start(nodeId, jobId, assignmentId, now)).isPresent();
  }

  GroupCommit.Written written() {
    return commits.written();
  }

  private List<ReportOutcome> write(DSLContext tx, List<Start> batch) {
    OffsetDateTime now = batch.stream().map(Start::now).max(Comparator.naturalOrder()).orElseThrow();
    // (assignment, node) -> task: a repeat in the batch updates once, and a stale start of the same
    // assignment from another node is not the one the statement applied, wherever it is in the batch
    Map<Started, UUID> startedTasks = new HashMap<>();
    START_ALL.fetch(tx, row -> startedTasks.put(new Started(PreparedSql.uuid(row, 1), PreparedSql.uuid(row, 3)),
            PreparedSql.uuid(row, 2)),
        batch.stream().map(Start::jobId).toArray(UUID[]::new),
        batch.stream().map(Start::assignmentId).toArray(UUID[]::new),
        batch.stream().map(Start::nodeId).toArray(UUID[]::new), now);
    List<JobEvents.Event> started = new ArrayList<>();
    List<ReportOutcome> outcomes = new ArrayList<>();
    for (Start start : batch) {
      // a repeat in the same batch finds its task taken: the one-job path answers it (DUPLICATE)
      UUID taskId = startedTasks.remove(new Started(start.assignmentId(), start.nodeId()));
      if (taskId != null) {
        started.add(JobEvents.Event.ofTask(JobEvents.Type.TASK_STARTED, start.jobId(), taskId, start.nodeId(),
            JobStatus.RUNNING));
      }
      outcomes.add(taskId != null ? ReportOutcome.APPLIED : null);
    }
    events.record(tx, started);
    return outcomes;
  }

  /**
   * {@link TaskStatements#START} for many reports, by {@code job_tasks_start_all} (migrations V21
   * and V25: the same statement with a plan kept across calls, answering each task's node too): the jobs locked in id order first (lock
   * order job, then task), then each task still DISPATCHED under the reported assignment, node and
   * job.
   */
  private static final PreparedSql START_ALL = new PreparedSql("""
      SELECT assignment_id, task_id, node_id FROM job_tasks_start_all(CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS uuid[]),
                                                             CAST(? AS timestamptz))""");
}
