package com.rendertrust.server.jobs;

import static com.rendertrust.server.db.Tables.JOBS;
import static com.rendertrust.server.db.Tables.JOB_TASKS;
import static com.rendertrust.server.db.Tables.NODES;

import com.rendertrust.server.platform.db.PreparedSql;
import java.util.Arrays;
import java.util.stream.Stream;
import org.jooq.Field;

/**
 * The statements every task's lifecycle runs, written once ({@link PreparedSql}) instead of
 * rendered by jOOQ on each call: locking a job and a task for a transition, a node starting a
 * task, and a stream reading what its node holds.
 */
final class TaskStatements {

  private TaskStatements() {
  }

  static final Field<?>[] LOCKED_JOB_FIELDS = Stream.concat(Arrays.stream(JOBS.fields()),
      Stream.of(NODES.OPERATOR_USER_ID)).toArray(Field<?>[]::new);
  static final PreparedSql LOCK_JOB = new PreparedSql("SELECT " + PreparedSql.columns("jobs", JOBS.fields())
      + ", nodes.operator_user_id FROM jobs LEFT JOIN nodes ON nodes.id = COALESCE(CAST(? AS uuid), jobs.node_id)"
      + " WHERE jobs.id = ? FOR UPDATE OF jobs");
  static final PreparedSql LOCK_TASK = new PreparedSql("SELECT " + PreparedSql.columns("job_tasks", JOB_TASKS.fields())
      + " FROM job_tasks WHERE assignment_id = ? FOR UPDATE");
  static final PreparedSql START = new PreparedSql("""
      WITH j AS (SELECT id FROM jobs WHERE id = ? FOR UPDATE),
      t AS (UPDATE job_tasks SET status = 'RUNNING', started_at = ?
             WHERE assignment_id = ? AND node_id = ? AND job_id = (SELECT id FROM j) AND status = 'DISPATCHED'
            RETURNING job_id, id)
      UPDATE jobs SET status = 'RUNNING', started_at = COALESCE(jobs.started_at, ?), updated_at = ?
        FROM t WHERE jobs.id = t.job_id
      RETURNING t.id""");
  /** A node's tasks with what running them needs (the job's payload): {@code %s} narrows them. */
  private static final String ACTIVE_ASSIGNMENT_ROWS = """
      SELECT t.id, t.job_id, t.assignment_id, t.status, t.deadline, t.frame_start, t.frame_end, t.frame_step,
             j.job_type, j.payload_ref, j.payload::text, j.user_id, j.input_id, j.trace_parent
        FROM job_tasks t JOIN jobs j ON j.id = t.job_id
       WHERE t.node_id = ? AND t.status IN ('DISPATCHED', 'RUNNING')%s""";
  static final PreparedSql ACTIVE_ASSIGNMENTS = new PreparedSql(
      ACTIVE_ASSIGNMENT_ROWS.formatted(" ORDER BY t.dispatched_at, t.id"));
  static final PreparedSql ACTIVE_ASSIGNMENT = new PreparedSql(
      ACTIVE_ASSIGNMENT_ROWS.formatted(" AND t.assignment_id = ?"));
  /**
   * The same tasks without the job's row: a stream compares them with what it told its node on
   * every change, and only a new one needs its payload (one job row read instead of all of them).
   */
  static final PreparedSql HOLDINGS = new PreparedSql("""
      SELECT job_id, assignment_id, status FROM job_tasks
       WHERE node_id = ? AND status IN ('DISPATCHED', 'RUNNING')
       ORDER BY dispatched_at, id""");
}
