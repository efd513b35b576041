package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_TASKS;

import com.rendertrust.server.platform.db.Transactions;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;
import org.jooq.impl.DSL;

/**
 * Stores a node's progress reports: the task's latest percent and frames, at most once a second
 * per task, the job's aggregate of its tasks (a completed task counts 100 % and all its frames),
 * and a task.progress event, in one transaction under the job's row lock.
 */
final class TaskProgress {

  private final Transactions transactions;
  private final JobEvents events;

  TaskProgress(Transactions transactions, JobEvents events) {
    this.transactions = transactions;
    this.events = events;
  }

  /** True when the report came from the task's current holder (stored, or dropped as too frequent). */
  boolean store(UUID nodeId, UUID jobId, UUID assignmentId, int percent, int framesDone, String message,
      OffsetDateTime now) {
    int clampedPercent = Math.max(0, Math.min(100, percent));
    int frames = Math.max(0, framesDone);
    return transactions.transactionResult(cfg -> {
      var tx = cfg.dsl();
      Optional<UUID> stored = tx.fetchOptional("""
              WITH j AS (SELECT id FROM jobs WHERE id = {0} FOR UPDATE)
              UPDATE job_tasks SET progress_percent = {3}, progress_frames = {4}, progress_at = {5}
               WHERE assignment_id = {2} AND node_id = {1} AND job_id = (SELECT id FROM j)
                 AND status IN ('DISPATCHED', 'RUNNING')
                 AND (progress_at IS NULL OR progress_at <= {5} - interval '1 second')
              RETURNING id""", DSL.val(jobId), DSL.val(nodeId), DSL.val(assignmentId), DSL.val(clampedPercent),
          DSL.val(frames), DSL.val(now)).map(row -> row.get(0, UUID.class));
      if (stored.isEmpty()) {
        return tx.fetchExists(JOB_TASKS, JOB_TASKS.ASSIGNMENT_ID.eq(assignmentId).and(JOB_TASKS.NODE_ID.eq(nodeId))
            .and(JOB_TASKS.JOB_ID.eq(jobId))
            .and(JOB_TASKS.STATUS.in(JobStatus.DISPATCHED.name(), JobStatus.RUNNING.name())));
      }
      tx.execute("""
              UPDATE jobs j SET reported_progress = a.progress, reported_frames = a.frames
                FROM (SELECT sum(CASE WHEN status = 'COMPLETED' THEN 100 ELSE progress_percent END)::float8
                               / (100 * count(*)) AS progress,
                             sum(CASE WHEN status <> 'COMPLETED' THEN progress_frames
                                      WHEN frame_start IS NULL THEN 0
                                      ELSE (frame_end - frame_start) / frame_step + 1 END)::int AS frames
                        FROM job_tasks WHERE job_id = {0}) a
               WHERE j.id = {0}""", DSL.val(jobId));
      events.record(tx, JobEvents.Event.ofTask(JobEvents.Type.TASK_PROGRESS, jobId, stored.get(), nodeId,
          JobStatus.RUNNING).withProgress(clampedPercent / 100.0, frames).withMessage(message));
      return true;
    });
  }
}
