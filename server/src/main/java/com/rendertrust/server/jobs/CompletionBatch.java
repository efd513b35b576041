package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.db.tables.records.JobTasksRecord;
import com.rendertrust.server.jobs.JobEndings.Completing;
import com.rendertrust.server.jobs.JobEndings.EndingJob;
import com.rendertrust.server.nodes.NodeStates;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Transactions;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Group commit of the commonest ending: a node's COMPLETED result for the only task of a job
 * without frames. Results that arrive while a batch is being written wait for the next one, and
 * that batch is one transaction for all of them: their jobs and tasks locked in id order (jobs
 * first, as every transition here), the tasks and assignments ended in one statement, each hold
 * captured (one round trip per job, in job id order), the jobs completed in one statement, all
 * their events in one, and the nodes' slots freed in one. Nothing waits on a timer: a lone result
 * is a batch of one, written at once.
 *
 * <p>The batch takes only what it can finish exactly like {@link JobLifecycle}'s one-job path
 * would, and answers it the same (APPLIED, DUPLICATE, STALE). Anything else (a job of several
 * tasks or with frames, a settlement not HELD) is left to that path, after the batch committed;
 * so is every result of a batch whose transaction failed for any reason but a deadlock or
 * serialization failure (those are retried whole). The one-job path then settles what it can and
 * leaves the rest pending for the sweeper, as before.
 */
final class CompletionBatch {

  /** Most results one transaction takes; the rest wait for the next batch. */
  static final int MAX_BATCH = 64;

  /** A COMPLETED result, with the task's progress report no flush wrote yet. */
  private record Result(UUID nodeId, UUID jobId, UUID assignmentId, OffsetDateTime now,
      Optional<TaskProgress.Report> reported) {
  }

  private final JobEndings endings;
  private final GroupCommit<Result, ReportOutcome> commits;

  CompletionBatch(Transactions transactions, JobEndings endings) {
    this.endings = endings;
    // retried whole on a deadlock or serialization failure (write has no effect outside the transaction)
    this.commits = new GroupCommit<>("completions", MAX_BATCH,
        batch -> transactions.transactionResult(cfg -> write(cfg.dsl(), batch)));
  }

  /**
   * Completes the task under {@code assignmentId} with the next batch and answers its outcome once
   * the batch committed; empty when the caller must end it on the one-job path instead.
   */
  Optional<ReportOutcome> complete(UUID nodeId, UUID jobId, UUID assignmentId, OffsetDateTime now,
      Optional<TaskProgress.Report> reported) {
    return commits.submit(new Result(nodeId, jobId, assignmentId, now, reported));
  }

  /** The results committed by batches since start, and the batches. */
  GroupCommit.Written written() {
    return commits.written();
  }

  /** Writes what the batch can take; answers each result at its index (null: the one-job path takes it). */
  private List<ReportOutcome> write(DSLContext tx, List<Result> batch) {
    ReportOutcome[] outcomes = new ReportOutcome[batch.size()];
    // one result per job: a second one for the same job (never from one stream) takes the one-job path
    Map<UUID, Result> byJob = new LinkedHashMap<>();
    batch.forEach(result -> byJob.putIfAbsent(result.jobId(), result));
    Map<UUID, EndingJob> jobs = lockJobs(tx, byJob.values());
    Map<UUID, JobTasksRecord> tasks = lockTasks(tx, byJob.values());
    Map<Result, ReportOutcome> decided = new IdentityHashMap<>();
    List<Result> completing = new ArrayList<>();
    for (Result result : byJob.values()) {
      EndingJob job = jobs.get(result.jobId());
      JobTasksRecord task = tasks.get(result.assignmentId());
      if (job == null || task == null || !task.getJobId().equals(result.jobId())
          || !result.nodeId().equals(task.getNodeId())) {
        decided.put(result, ReportOutcome.STALE);
      } else if (!JobStatus.valueOf(task.getStatus()).isActive()) {
        decided.put(result, ReportOutcome.DUPLICATE);
      } else if (job.row().getTasksTotal() == 1 && task.getFrameStart() == null
          && (job.price() <= 0 || job.settlement() == Settlement.HELD)) {
        completing.add(result);
        decided.put(result, ReportOutcome.APPLIED);
      }
    }
    if (!completing.isEmpty()) {
      completeAll(tx, completing, jobs, tasks);
    }
    for (int i = 0; i < outcomes.length; i++) {
      outcomes[i] = decided.get(batch.get(i));
    }
    return Arrays.asList(outcomes);
  }

  private void completeAll(DSLContext tx, List<Result> completing, Map<UUID, EndingJob> jobs,
      Map<UUID, JobTasksRecord> tasks) {
    completing.sort(Comparator.comparing(Result::jobId)); // the captures lock accounts: in one order
    OffsetDateTime now = completing.stream().map(Result::now).max(Comparator.naturalOrder()).orElseThrow();
    List<UUID> taskIds = new ArrayList<>();
    List<UUID> assignmentIds = new ArrayList<>();
    List<Completing> ended = new ArrayList<>();
    Map<UUID, Integer> slotsByNode = new HashMap<>();
    for (Result result : completing) {
      JobTasksRecord task = tasks.get(result.assignmentId());
      taskIds.add(task.getId());
      assignmentIds.add(result.assignmentId());
      List<JobEvents.Event> taskEvents = new ArrayList<>();
      result.reported().ifPresent(report -> taskEvents.add(report.event(task.getId())));
      taskEvents.add(JobEvents.Event.ofTask(JobEvents.Type.TASK_COMPLETED, result.jobId(), task.getId(),
          result.nodeId(), JobStatus.COMPLETED));
      // a task without frames: its result is its assignment's key, found without a query
      ended.add(new Completing(jobs.get(result.jobId()), TaskOutputs.resultOf(tx, task, result.assignmentId())
          .orElseThrow(), taskEvents));
      slotsByNode.merge(result.nodeId(), 1, Integer::sum);
    }
    JobTaskStore.exitAll(tx, taskIds, assignmentIds, TaskExit.COMPLETED, now);
    endings.completeAll(tx, ended, true, now);
    // the nodes' rows last, after the money moved (as on the one-job path: dispatches wait for them)
    NodeStates.releaseSucceeded(tx, slotsByNode);
  }

  private static Map<UUID, EndingJob> lockJobs(DSLContext tx, Collection<Result> results) {
    UUID[] jobIds = results.stream().map(Result::jobId).toArray(UUID[]::new);
    UUID[] nodeIds = results.stream().map(Result::nodeId).toArray(UUID[]::new);
    Map<UUID, EndingJob> jobs = new HashMap<>();
    LOCK_JOBS.fetchRecords(tx, TaskStatements.LOCKED_JOB_FIELDS, jobIds, nodeIds).forEach(row -> jobs.put(
        row.get(JOBS.ID), new EndingJob(row.into(JOBS), Optional.ofNullable(row.get(NODES.OPERATOR_USER_ID)))));
    return jobs;
  }

  private static Map<UUID, JobTasksRecord> lockTasks(DSLContext tx, Collection<Result> results) {
    UUID[] assignmentIds = results.stream().map(Result::assignmentId).toArray(UUID[]::new);
    Map<UUID, JobTasksRecord> tasks = new HashMap<>();
    LOCK_TASKS.fetchRecords(tx, JOB_TASKS.fields(), (Object) assignmentIds).forEach(row -> {
      JobTasksRecord task = row.into(JOB_TASKS);
      tasks.put(task.getAssignmentId(), task);
    });
    return tasks;
  }

  /** The jobs' rows, locked in id order, each with the operator of the node that reports its result. */
  private static final PreparedSql LOCK_JOBS = new PreparedSql("SELECT " + PreparedSql.columns("jobs", JOBS.fields())
      + ", nodes.operator_user_id FROM jobs"
      + " JOIN unnest(CAST(? AS uuid[]), CAST(? AS uuid[])) AS reported (job_id, node_id) ON reported.job_id = jobs.id"
      + " LEFT JOIN nodes ON nodes.id = reported.node_id"
      + " ORDER BY jobs.id FOR UPDATE OF jobs");
  private static final PreparedSql LOCK_TASKS = new PreparedSql("SELECT "
      + PreparedSql.columns("job_tasks", JOB_TASKS.fields())
      + " FROM job_tasks WHERE assignment_id = ANY(CAST(? AS uuid[])) ORDER BY id FOR UPDATE");
}
