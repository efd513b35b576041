-- job_tasks_start_all answers the node of each task it started, too. StartBatch matched what the
-- statement started to the batch's reports by assignment alone, so when a node's start and a
-- stale start of the same assignment from another node shared a batch, whichever came first in the
-- batch was answered APPLIED: the stale node was told to run the task, and the task.started event
-- named it. Matching by assignment and node gives the start to the node that holds the task.

-- jOOQ's DDL parser (code generation) does not read PL/pgSQL; the application calls this by SQL.
/* [jooq ignore start] */

DROP FUNCTION job_tasks_start_all(UUID[], UUID[], UUID[], TIMESTAMPTZ);

-- As in migration V21, answering (assignment id, task id, node id) for each started task.
CREATE FUNCTION job_tasks_start_all(p_job_ids UUID[], p_assignment_ids UUID[], p_node_ids UUID[],
                                    p_now TIMESTAMPTZ)
RETURNS TABLE (assignment_id UUID, task_id UUID, node_id UUID)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH reported AS (
        SELECT * FROM unnest(p_job_ids, p_assignment_ids, p_node_ids) AS r (job_id, assignment_id, node_id)),
    locked AS (
        SELECT jobs.id FROM jobs WHERE jobs.id IN (SELECT reported.job_id FROM reported) ORDER BY jobs.id FOR UPDATE),
    started AS (
        UPDATE job_tasks SET status = 'RUNNING', started_at = p_now
          FROM reported
         WHERE job_tasks.assignment_id = reported.assignment_id AND job_tasks.node_id = reported.node_id
           AND job_tasks.job_id = reported.job_id AND job_tasks.job_id IN (SELECT locked.id FROM locked)
           AND job_tasks.status = 'DISPATCHED'
        RETURNING job_tasks.assignment_id, job_tasks.id, job_tasks.job_id, job_tasks.node_id),
    running AS (
        UPDATE jobs SET status = 'RUNNING', started_at = COALESCE(jobs.started_at, p_now), updated_at = p_now
          FROM (SELECT DISTINCT started.job_id FROM started) AS s
         WHERE jobs.id = s.job_id)
    SELECT started.assignment_id, started.id, started.node_id FROM started;
END
$$;

/* [jooq ignore stop] */
