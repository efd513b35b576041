package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;

import com.rendertrust.server.nodes.NodeStates;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * The set-based writes of {@code job_tasks} and of the job row derived from them. Callers run
 * these inside their transaction, holding the job's row lock first when they change a known
 * job's tasks (lock order: job, then its tasks), so the derived status never goes backwards.
 *
 * <p>A job's status is derived from its tasks: QUEUED until a task is dispatched, DISPATCHED
 * while tasks are handed out and none started, RUNNING while any task runs or some are done;
 * the terminal statuses (COMPLETED, FAILED, CANCELLED) are set explicitly by whoever ends the
 * job, together with its settlement. A one-task job mirrors its task's assignment, node,
 * deadline and times on the job row, exactly as before tasks existed.
 */
final class JobTaskStore {

  private JobTaskStore() {
  }

  /** A task handed to a node: the assignment that fences it, and how long the node has. */
  record Placement(UUID taskId, UUID jobId, UUID nodeId, UUID assignmentId, long maxRuntimeMillis) {
  }

  /**
   * Writes all tasks of a new job in one statement: task {@code i < nodes.size()} dispatched to
   * {@code nodes[i]} under {@code assignments[i]} (with its assignment row), the rest QUEUED.
   */
  static void insertTasks(DSLContext tx, UUID jobId, UUID userId, ValidSubmission valid, RenderFrames frames,
      List<UUID> nodes,
      List<UUID> assignments, long maxRuntimeMillis, OffsetDateTime now) {
    tx.execute("""
            WITH inserted AS (
              INSERT INTO job_tasks (id, job_id, task_index, job_type, gpu_required, priority_rank, frame_start,
                                     frame_end, frame_step, status, node_id, assignment_id, attempts, retry_count,
                                     queued_at, dispatched_at, deadline, tier_rank, user_id)
              SELECT gen_random_uuid(), {0}, i, {1}, {2}, {3},
                     CASE WHEN {4} THEN ({5}::bigint + i::bigint * {6} * {7})::int END,
                     CASE WHEN {4} THEN LEAST({5}::bigint + ((i + 1)::bigint * {6} - 1) * {7}, {8})::int END,
                     CASE WHEN {4} THEN {7} END,
                     CASE WHEN i < {9} THEN 'DISPATCHED' ELSE 'QUEUED' END,
                     ({10}::uuid[])[i + 1], ({11}::uuid[])[i + 1],
                     CASE WHEN i < {9} THEN 1 ELSE 0 END, 0, {12},
                     CASE WHEN i < {9} THEN {12} END,
                     CASE WHEN i < {9} THEN {12} + {13} * interval '1 millisecond' END, {15}, {16}
                FROM generate_series(0, {14} - 1) AS i
              RETURNING id, job_id, node_id, assignment_id)
            INSERT INTO job_assignments (id, job_id, task_id, node_id, created_at)
            SELECT assignment_id, job_id, id, node_id, {12} FROM inserted WHERE assignment_id IS NOT NULL""",
        DSL.val(jobId), DSL.val(valid.jobType()), DSL.val(valid.gpuRequired()), DSL.val(valid.priority().rank()),
        DSL.val(frames.hasFrames()), DSL.val(frames.start()), DSL.val(frames.perTask()), DSL.val(frames.step()),
        DSL.val(frames.end()), DSL.val(nodes.size()), uuids(nodes), uuids(assignments), DSL.val(now),
        DSL.val(maxRuntimeMillis), DSL.val(frames.taskCount()), DSL.val(valid.tier().rank()), DSL.val(userId));
  }

  /**
   * Hands QUEUED tasks (locked by the caller) to the nodes whose slots the caller claimed; returns
   * when each of them had been queued (for the dispatch latency).
   */
  static List<OffsetDateTime> dispatch(DSLContext tx, List<Placement> placements, OffsetDateTime now) {
    if (placements.isEmpty()) {
      return List.of();
    }
    List<OffsetDateTime> queuedAt = tx.fetch("""
            WITH picked AS (
              SELECT * FROM unnest({0}::uuid[], {1}::uuid[], {2}::uuid[], {3}::bigint[])
                         AS p(task_id, node_id, assignment_id, runtime_ms)),
            moved AS (
              UPDATE job_tasks t
                 SET status = 'DISPATCHED', node_id = p.node_id, assignment_id = p.assignment_id,
                     attempts = t.attempts + 1, dispatched_at = {4}, started_at = NULL,
                     deadline = {4} + p.runtime_ms * interval '1 millisecond'
                FROM picked p
               WHERE t.id = p.task_id AND t.status = 'QUEUED'
              RETURNING t.id, t.job_id, t.node_id, t.assignment_id, t.queued_at),
            assigned AS (
              INSERT INTO job_assignments (id, job_id, task_id, node_id, created_at)
              SELECT assignment_id, job_id, id, node_id, {4} FROM moved)
            SELECT queued_at FROM moved""",
        uuids(placements.stream().map(Placement::taskId).toList()),
        uuids(placements.stream().map(Placement::nodeId).toList()),
        uuids(placements.stream().map(Placement::assignmentId).toList()),
        DSL.val(placements.stream().map(Placement::maxRuntimeMillis).toArray(Long[]::new), SQLDataType.BIGINT.array()),
        DSL.val(now)).map(row -> row.get(0, OffsetDateTime.class));
    if (queuedAt.size() != placements.size()) {
      throw new IllegalStateException("only " + queuedAt.size() + " of " + placements.size()
          + " tasks were QUEUED when assigned");
    }
    deriveJobs(tx, placements.stream().map(Placement::jobId).distinct().toList(), now);
    return queuedAt;
  }

  /** Re-derives the status, counters and mirrored fields of the given unfinished jobs from their tasks. */
  static void deriveJobs(DSLContext tx, Collection<UUID> jobIds, OffsetDateTime now) {
    if (jobIds.isEmpty()) {
      return;
    }
    tx.execute("""
            UPDATE jobs j
               SET status = CASE WHEN a.running > 0 OR a.completed > 0 THEN 'RUNNING'
                                 WHEN a.dispatched > 0 THEN 'DISPATCHED' ELSE 'QUEUED' END,
                   tasks_done = a.completed,
                   node_id = COALESCE(a.last_node, j.node_id),
                   assignment_id = CASE WHEN j.tasks_total = 1 THEN a.one_assignment END,
                   deadline = CASE WHEN j.tasks_total = 1 THEN a.one_deadline END,
                   dispatched_at = COALESCE(a.last_dispatched, j.dispatched_at),
                   started_at = a.first_started,
                   queued_at = COALESCE(a.last_queued, j.queued_at),
                   retry_count = a.retries,
                   updated_at = {1}
              FROM (SELECT job_id,
                           count(*) FILTER (WHERE status = 'RUNNING') AS running,
                           count(*) FILTER (WHERE status = 'COMPLETED') AS completed,
                           count(*) FILTER (WHERE status = 'DISPATCHED') AS dispatched,
                           (array_agg(node_id ORDER BY dispatched_at DESC) FILTER (WHERE dispatched_at IS NOT NULL))[1]
                               AS last_node,
                           (array_agg(assignment_id))[1] AS one_assignment,
                           max(deadline) AS one_deadline,
                           max(dispatched_at) AS last_dispatched,
                           min(started_at) AS first_started,
                           max(queued_at) AS last_queued,
                           sum(retry_count)::int AS retries
                      FROM job_tasks WHERE job_id = ANY({0}) GROUP BY job_id) a
             WHERE j.id = a.job_id AND j.status IN ('QUEUED', 'DISPATCHED', 'RUNNING')""",
        uuids(List.copyOf(jobIds)), DSL.val(now));
  }

  /**
   * Cancels every unfinished task of the job (whose row the caller locked): their open
   * assignments end CANCELLED and their nodes' slots are freed. Returns the nodes that held one,
   * to be told after the commit.
   */
  static List<UUID> cancelUnfinished(DSLContext tx, UUID jobId, OffsetDateTime now) {
    List<Record> cancelled = tx.fetch("""
            WITH old AS (
              SELECT id, status, node_id, assignment_id FROM job_tasks
               WHERE job_id = {0} AND status IN ('QUEUED', 'DISPATCHED', 'RUNNING') FOR UPDATE)
            UPDATE job_tasks t SET status = 'CANCELLED', completed_at = {1}, deadline = NULL
              FROM old WHERE t.id = old.id
            RETURNING old.status, old.node_id, old.assignment_id""",
        DSL.val(jobId), DSL.val(now));
    Map<UUID, Integer> slotsByNode = new HashMap<>();
    List<UUID> assignments = new java.util.ArrayList<>();
    for (Record task : cancelled) {
      if (JobStatus.valueOf(task.get(0, String.class)).isActive()) {
        slotsByNode.merge(task.get(1, UUID.class), 1, Integer::sum);
        assignments.add(task.get(2, UUID.class));
      }
    }
    if (!assignments.isEmpty()) {
      tx.update(JOB_ASSIGNMENTS).set(JOB_ASSIGNMENTS.ENDED_AT, now).set(JOB_ASSIGNMENTS.OUTCOME, "CANCELLED")
          .where(JOB_ASSIGNMENTS.ID.in(assignments).and(JOB_ASSIGNMENTS.ENDED_AT.isNull()))
          .execute();
    }
    NodeStates.releaseAll(tx, slotsByNode);
    return List.copyOf(slotsByNode.keySet());
  }

  /**
   * The task held under its current assignment leaves its node: {@code exit} says how (see
   * {@link TaskExit}), and its assignment ends with the same outcome. A requeued task keeps the
   * failure as its last error, counts a retry, waits until {@code notBefore} (null: due at once)
   * and remembers {@code failedNode} to avoid it.
   */
  static void exit(DSLContext tx, UUID taskId, UUID assignmentId, TaskExit exit, ErrorCode code, String message,
      UUID failedNode, OffsetDateTime notBefore, OffsetDateTime now) {
    var update = tx.with(DSL.name("ended_assignment").as(DSL.update(JOB_ASSIGNMENTS)
            .set(JOB_ASSIGNMENTS.ENDED_AT, now)
            .set(JOB_ASSIGNMENTS.OUTCOME, exit.name())
            .where(JOB_ASSIGNMENTS.ID.eq(assignmentId).and(JOB_ASSIGNMENTS.ENDED_AT.isNull()))
            .returning(JOB_ASSIGNMENTS.ID)))
        .update(JOB_TASKS)
        .set(JOB_TASKS.STATUS, exit.next().name())
        .set(JOB_TASKS.ERROR_CODE, code == null ? null : code.name())
        .set(JOB_TASKS.ERROR_MESSAGE, message);
    if (exit == TaskExit.REQUEUED) {
      update = update
          .setNull(JOB_TASKS.ASSIGNMENT_ID)
          .setNull(JOB_TASKS.DEADLINE)
          .setNull(JOB_TASKS.STARTED_AT)
          .set(JOB_TASKS.RETRY_COUNT, JOB_TASKS.RETRY_COUNT.plus(1))
          .set(JOB_TASKS.QUEUED_AT, now)
          .set(JOB_TASKS.NOT_BEFORE, notBefore)
          .set(JOB_TASKS.FAILED_NODES, failedNode == null ? JOB_TASKS.FAILED_NODES
              : DSL.field("array_append({0}, {1})", JOB_TASKS.FAILED_NODES.getDataType(), JOB_TASKS.FAILED_NODES,
                  DSL.val(failedNode)));
    } else {
      update = update
          .set(JOB_TASKS.STARTED_AT, DSL.coalesce(JOB_TASKS.STARTED_AT, DSL.val(now)))
          .set(JOB_TASKS.COMPLETED_AT, now);
    }
    // the assignment ends in the same statement (a data-modifying CTE runs whether read or not)
    update.where(JOB_TASKS.ID.eq(taskId)).execute();
  }

  private static org.jooq.Param<UUID[]> uuids(List<UUID> ids) {
    return DSL.val(ids.toArray(UUID[]::new), SQLDataType.UUID.array());
  }
}
