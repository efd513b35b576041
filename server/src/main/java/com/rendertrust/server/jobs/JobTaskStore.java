package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOB_ASSIGNMENTS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.platform.db.PreparedSql.column;

import com.rendertrust.server.nodes.NodeStates;
import com.rendertrust.server.platform.db.PreparedSql;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

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
   * {@code nodes[i]} under {@code assignments[i]} (with its assignment row), the rest QUEUED. Returns the
   * dispatched tasks with their nodes, in task order (for their task.dispatched events).
   */
  static List<DispatchedTask> insertTasks(DSLContext tx, UUID jobId, UUID userId, ValidSubmission valid,
      RenderFrames frames, List<UUID> nodes, List<UUID> assignments, long maxRuntimeMillis, OffsetDateTime now) {
    return (frames.taskCount() == 1 ? INSERT_ONE_TASK : INSERT_TASKS).fetch(tx,
        row -> new DispatchedTask(PreparedSql.uuid(row, 1), PreparedSql.uuid(row, 2)),
        jobId, valid.jobType(), valid.gpuRequired(), valid.priority().rank(),
        frames.hasFrames(), frames.start(), frames.perTask(), frames.step(), frames.hasFrames(), frames.start(),
        frames.perTask(), frames.step(), frames.end(), frames.hasFrames(), frames.step(), nodes.size(),
        nodes.toArray(UUID[]::new), assignments.toArray(UUID[]::new), nodes.size(), now, nodes.size(), now,
        nodes.size(), now, maxRuntimeMillis, valid.tier().rank(), userId, frames.taskCount(), now);
  }

  /** The task insert; %s names the task indexes {@code i} (0..count - 1, the task count a parameter). */
  private static final String INSERT_TASKS_SQL = """
      WITH inserted AS (
        INSERT INTO job_tasks (id, job_id, task_index, job_type, gpu_required, priority_rank, frame_start,
                               frame_end, frame_step, status, node_id, assignment_id, attempts, retry_count,
                               queued_at, dispatched_at, deadline, tier_rank, user_id)
        SELECT gen_random_uuid(), CAST(? AS uuid), i, ?, ?, ?,
               CASE WHEN ? THEN (CAST(? AS bigint) + i::bigint * ? * ?)::int END,
               CASE WHEN ? THEN LEAST(CAST(? AS bigint) + ((i + 1)::bigint * ? - 1) * ?, ?)::int END,
               CASE WHEN ? THEN CAST(? AS int) END,
               CASE WHEN i < ? THEN 'DISPATCHED' ELSE 'QUEUED' END,
               (CAST(? AS uuid[]))[i + 1], (CAST(? AS uuid[]))[i + 1],
               CASE WHEN i < ? THEN 1 ELSE 0 END, 0, CAST(? AS timestamptz),
               CASE WHEN i < ? THEN CAST(? AS timestamptz) END,
               CASE WHEN i < ? THEN CAST(? AS timestamptz) + ? * interval '1 millisecond' END, ?, ?
          FROM %s
        RETURNING id, job_id, node_id, assignment_id, task_index),
      assigned AS (
        INSERT INTO job_assignments (id, job_id, task_id, node_id, created_at)
        SELECT assignment_id, job_id, id, node_id, ? FROM inserted WHERE assignment_id IS NOT NULL)
      SELECT id, node_id FROM inserted WHERE assignment_id IS NOT NULL ORDER BY task_index""";

  private static final PreparedSql INSERT_TASKS = new PreparedSql(
      INSERT_TASKS_SQL.formatted("generate_series(0, CAST(? AS int) - 1) AS i"));

  /**
   * A job of one task (every job type but a split render). Its own statement because PostgreSQL
   * plans the general one again on every call: a generic plan of generate_series with a
   * parameter expects 1,000 rows, so it always loses to a custom plan, and every submission
   * planned the insert anew. This one has no row count to guess, and keeps its generic plan; it
   * takes the same parameters (its one index, count - 1, is 0).
   */
  private static final PreparedSql INSERT_ONE_TASK = new PreparedSql(
      INSERT_TASKS_SQL.formatted("(VALUES (CAST(? AS int) - 1)) AS one(i)"));

  /**
   * What a batch of submissions works out for the only task of a new job beyond its submission
   * (SubmissionBatch, migration V24): its frames (null for a job without frames) and its runtime limit.
   */
  record FirstTask(Integer frameStart, Integer frameEnd, Integer frameStep, long maxRuntimeMillis) {

    /** The task of a one-task job; its frames are task 0's of {@link #INSERT_TASKS_SQL}. */
    static FirstTask of(RenderFrames frames, long maxRuntimeMillis) {
      boolean framed = frames.hasFrames();
      return new FirstTask(framed ? frames.start() : null,
          framed ? (int) Math.min(frames.start() + (frames.perTask() - 1L) * frames.step(), frames.end()) : null,
          framed ? frames.step() : null, maxRuntimeMillis);
    }
  }

  /** A task of a new job dispatched with its submission, and its node. */
  record DispatchedTask(UUID taskId, UUID nodeId) {
  }

  /**
   * Hands QUEUED tasks (locked by the caller) to the nodes whose slots the caller claimed; returns
   * when each of them had been queued (for the dispatch latency).
   */
  static List<OffsetDateTime> dispatch(DSLContext tx, List<Placement> placements, OffsetDateTime now) {
    if (placements.isEmpty()) {
      return List.of();
    }
    List<OffsetDateTime> queuedAt = DISPATCH.fetch(tx, row -> PreparedSql.timestamp(row, 1),
        placements.stream().map(Placement::taskId).toArray(UUID[]::new),
        placements.stream().map(Placement::nodeId).toArray(UUID[]::new),
        placements.stream().map(Placement::assignmentId).toArray(UUID[]::new),
        placements.stream().map(Placement::maxRuntimeMillis).toArray(Long[]::new), now, now, now);
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
    if (jobIds.size() == 1) {
      DERIVE_JOB.execute(tx, now, jobIds.iterator().next());
    } else {
      DERIVE_JOBS.execute(tx, now, jobIds.toArray(UUID[]::new));
    }
  }

  private static final PreparedSql DISPATCH = new PreparedSql("""
      WITH picked AS (
        SELECT * FROM unnest(CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS bigint[]))
                   AS p(task_id, node_id, assignment_id, runtime_ms)),
      moved AS (
        UPDATE job_tasks t
           SET status = 'DISPATCHED', node_id = p.node_id, assignment_id = p.assignment_id,
               attempts = t.attempts + 1, dispatched_at = CAST(? AS timestamptz), started_at = NULL,
               deadline = CAST(? AS timestamptz) + p.runtime_ms * interval '1 millisecond'
          FROM picked p
         WHERE t.id = p.task_id AND t.status = 'QUEUED'
        RETURNING t.id, t.job_id, t.node_id, t.assignment_id, t.queued_at),
      assigned AS (
        INSERT INTO job_assignments (id, job_id, task_id, node_id, created_at)
        SELECT assignment_id, job_id, id, node_id, ? FROM moved)
      SELECT queued_at FROM moved""");

  /** The derivation; %s selects the tasks of the jobs derived. */
  private static final String DERIVE_JOBS_SQL = """
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
             updated_at = ?
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
                FROM job_tasks WHERE %s GROUP BY job_id) a
       WHERE j.id = a.job_id AND j.status IN ('QUEUED', 'DISPATCHED', 'RUNNING')""";

  private static final PreparedSql DERIVE_JOBS = new PreparedSql(
      DERIVE_JOBS_SQL.formatted("job_id = ANY(CAST(? AS uuid[]))"));

  /**
   * One job's derivation: almost every transition changes one job. Its own statement because
   * with an array PostgreSQL plans the statement again on every call (a custom plan that knows
   * the array's length always looks cheaper than the generic one).
   */
  private static final PreparedSql DERIVE_JOB = new PreparedSql(DERIVE_JOBS_SQL.formatted("job_id = CAST(? AS uuid)"));

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
    String codeName = code == null ? null : code.name();
    // the assignment ends in the same statement (a data-modifying CTE runs whether read or not)
    if (exit == TaskExit.REQUEUED) {
      REQUEUE.execute(tx, now, exit.name(), assignmentId, exit.next().name(), codeName, message, now, notBefore,
          failedNode, failedNode, taskId);
    } else {
      END.execute(tx, now, exit.name(), assignmentId, exit.next().name(), codeName, message, now, now, taskId);
    }
  }

  /**
   * {@link #exit} of many tasks at once, each leaving its node under its current assignment the
   * same way ({@code exit}, not REQUEUED), in one statement: the group commit of completions.
   */
  static void exitAll(DSLContext tx, List<UUID> taskIds, List<UUID> assignmentIds, TaskExit exit, OffsetDateTime now) {
    if (exit == TaskExit.REQUEUED) {
      throw new IllegalArgumentException("a requeued task keeps its own failure and backoff: exit it alone");
    }
    END_ALL.execute(tx, now, exit.name(), assignmentIds.toArray(UUID[]::new), exit.next().name(), now, now,
        taskIds.toArray(UUID[]::new));
  }

  private static final PreparedSql END_ALL = new PreparedSql("""
      WITH ended_assignment AS (
        UPDATE job_assignments SET ended_at = CAST(? AS timestamptz), outcome = ?
         WHERE id = ANY(CAST(? AS uuid[])) AND ended_at IS NULL
        RETURNING id)
      UPDATE job_tasks
         SET status = ?, error_code = NULL, error_message = NULL,
             started_at = COALESCE(started_at, CAST(? AS timestamptz)), completed_at = CAST(? AS timestamptz)
       WHERE id = ANY(CAST(? AS uuid[]))""");

  private static final String END_ASSIGNMENT = """
      WITH ended_assignment AS (
        UPDATE job_assignments SET ended_at = CAST(? AS timestamptz), outcome = ?
         WHERE id = ? AND ended_at IS NULL
        RETURNING id)
      """;
  private static final PreparedSql REQUEUE = new PreparedSql(END_ASSIGNMENT + """
      UPDATE job_tasks
         SET status = ?, error_code = CAST(? AS varchar), error_message = CAST(? AS varchar), assignment_id = NULL,
             deadline = NULL, started_at = NULL, retry_count = retry_count + 1, queued_at = CAST(? AS timestamptz),
             not_before = CAST(? AS timestamptz),
             failed_nodes = CASE WHEN CAST(? AS uuid) IS NULL THEN failed_nodes
                                 ELSE array_append(failed_nodes, CAST(? AS uuid)) END
       WHERE id = ?""");
  private static final PreparedSql END = new PreparedSql(END_ASSIGNMENT + """
      UPDATE job_tasks
         SET status = ?, error_code = CAST(? AS varchar), error_message = CAST(? AS varchar),
             started_at = COALESCE(started_at, CAST(? AS timestamptz)), completed_at = CAST(? AS timestamptz)
       WHERE id = ?""");
}
