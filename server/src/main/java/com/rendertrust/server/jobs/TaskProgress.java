package com.rendertrust.server.jobs;

import com.rendertrust.server.platform.db.Transactions;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Nodes' progress reports, coalesced in memory and written in batches. A report costs nothing
 * on arrival: the latest one per assignment waits here until either
 * <ul>
 *   <li>the task's next transition (its end or retry) takes it and records its task.progress
 *       event in that transition's own statement ({@link #take}), or</li>
 *   <li>the periodic {@link #flush} writes every waiting report in one transaction: each task's
 *       latest percent and frames (at most once a second per task), each job's aggregate of its
 *       tasks (a completed task counts 100 % and all its frames), and a task.progress event.</li>
 * </ul>
 * Progress is advisory, so a replica that dies loses at most one flush interval of it; whether
 * the reporter still holds the task is checked when the report is written (a stale one is
 * dropped then).
 */
final class TaskProgress {

  /** One report as the node sent it, percent clamped to 0..100 and frames to 0 and up. */
  record Report(UUID nodeId, UUID jobId, UUID assignmentId, int percent, int framesDone, String message,
      OffsetDateTime at) {

    Report {
      percent = Math.max(0, Math.min(100, percent));
      framesDone = Math.max(0, framesDone);
    }

    JobEvents.Event event(UUID taskId) {
      return JobEvents.Event.ofTask(JobEvents.Type.TASK_PROGRESS, jobId, taskId, nodeId, JobStatus.RUNNING)
          .withProgress(percent / 100.0, framesDone).withMessage(message);
    }
  }

  private final Transactions transactions;
  private final JobEvents events;
  private final Map<UUID, Report> waiting = new ConcurrentHashMap<>();

  TaskProgress(Transactions transactions, JobEvents events) {
    this.transactions = transactions;
    this.events = events;
  }

  /** Keeps {@code report} until it is written; it replaces an unwritten earlier report of its assignment. */
  void offer(Report report) {
    waiting.put(report.assignmentId(), report);
  }

  /** The assignment's unwritten report, which the caller's transition records itself. */
  Optional<Report> take(UUID assignmentId) {
    return Optional.ofNullable(waiting.remove(assignmentId));
  }

  /**
   * Writes the waiting reports in one transaction. A report whose job is locked by a transition
   * right now is kept for the next flush (never waited for: a flush holds many jobs' rows, so
   * waiting could deadlock with a transition); a stale or too frequent one is dropped. Returns
   * how many task.progress events were recorded.
   */
  int flush() {
    if (waiting.isEmpty()) {
      return 0;
    }
    List<Report> batch = new ArrayList<>(waiting.values());
    batch.forEach(report -> waiting.remove(report.assignmentId(), report));
    Set<UUID> busyJobs = new HashSet<>();
    int recorded = transactions.transactionResult(cfg -> {
      busyJobs.clear();
      return write(cfg.dsl(), batch, busyJobs);
    });
    batch.stream().filter(report -> busyJobs.contains(report.jobId()))
        .forEach(report -> waiting.putIfAbsent(report.assignmentId(), report));
    return recorded;
  }

  private int write(DSLContext tx, List<Report> batch, Set<UUID> busyJobs) {
    int n = batch.size();
    UUID[] jobs = new UUID[n];
    UUID[] nodes = new UUID[n];
    UUID[] assignments = new UUID[n];
    Integer[] percents = new Integer[n];
    Integer[] frames = new Integer[n];
    OffsetDateTime[] times = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Report report = batch.get(i);
      jobs[i] = report.jobId();
      nodes[i] = report.nodeId();
      assignments[i] = report.assignmentId();
      percents[i] = report.percent();
      frames[i] = report.framesDone();
      times[i] = report.at();
    }
    // the jobs' rows first, in one order, as every transition locks a job before its tasks
    Set<UUID> locked = new HashSet<>(tx.resultQuery("""
            SELECT id FROM jobs WHERE id = ANY({0}) ORDER BY id FOR UPDATE SKIP LOCKED""",
        DSL.val(jobs)).fetch(row -> row.get(0, UUID.class)));
    for (UUID job : jobs) {
      if (!locked.contains(job)) {
        busyJobs.add(job);
      }
    }
    if (locked.isEmpty()) {
      return 0;
    }
    Map<UUID, UUID> taskByAssignment = new HashMap<>();
    tx.resultQuery("""
            UPDATE job_tasks t SET progress_percent = r.percent, progress_frames = r.frames, progress_at = r.at
              FROM unnest(CAST({0} AS UUID[]), CAST({1} AS UUID[]), CAST({2} AS UUID[]), CAST({3} AS INTEGER[]),
                          CAST({4} AS INTEGER[]), CAST({5} AS TIMESTAMPTZ[])) AS r(job_id, node_id, assignment_id,
                                                                                    percent, frames, at)
             WHERE t.assignment_id = r.assignment_id AND t.node_id = r.node_id AND t.job_id = r.job_id
               AND t.job_id = ANY({6})
               AND t.status IN ('DISPATCHED', 'RUNNING')
               AND (t.progress_at IS NULL OR t.progress_at <= r.at - interval '1 second')
            RETURNING t.assignment_id, t.id""", DSL.val(jobs), DSL.val(nodes), DSL.val(assignments),
            DSL.val(percents), DSL.val(frames), DSL.val(times), DSL.val(locked.toArray(UUID[]::new)))
        .forEach(row -> taskByAssignment.put(row.get(0, UUID.class), row.get(1, UUID.class)));
    if (taskByAssignment.isEmpty()) {
      return 0;
    }
    List<JobEvents.Event> recorded = new ArrayList<>();
    Set<UUID> progressed = new HashSet<>();
    for (Report report : batch) {
      UUID task = taskByAssignment.get(report.assignmentId());
      if (task != null) {
        recorded.add(report.event(task));
        progressed.add(report.jobId());
      }
    }
    tx.execute("""
            UPDATE jobs j SET reported_progress = a.progress, reported_frames = a.frames
              FROM (SELECT job_id,
                           sum(CASE WHEN status = 'COMPLETED' THEN 100 ELSE progress_percent END)::float8
                             / (100 * count(*)) AS progress,
                           sum(CASE WHEN status <> 'COMPLETED' THEN progress_frames
                                    WHEN frame_start IS NULL THEN 0
                                    ELSE (frame_end - frame_start) / frame_step + 1 END)::int AS frames
                      FROM job_tasks WHERE job_id = ANY({0}) GROUP BY job_id) a
             WHERE j.id = a.job_id""", DSL.val(progressed.toArray(UUID[]::new)));
    events.record(tx, recorded);
    return recorded.size();
  }
}
