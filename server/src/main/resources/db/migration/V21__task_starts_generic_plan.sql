-- StartBatch's statement as a function with a fixed plan (issue 19). As a prepared statement,
-- PostgreSQL planned it again on every call (0.37 plans per job lifecycle in the jobs benchmark,
-- the most planned statement left): a batch of starts holds 2 or 3 reports, and a custom plan
-- that knows the arrays' real length always looked cheaper than the generic plan, which assumes
-- 10 rows from each unnest. Both plans have the same shape (index lookups of the reported jobs and
-- tasks), so the function keeps the generic one: PL/pgSQL caches it per session, and the function's
-- own plan_cache_mode applies only while it runs.

-- jOOQ's DDL parser (code generation) does not read PL/pgSQL; the application calls this by SQL.
/* [jooq ignore start] */

-- Starts a batch of reported tasks, as TaskStatements.START does one: the reported jobs locked in
-- id order first (lock order job, then task), then each task still DISPATCHED under the reported
-- assignment, node and job becomes RUNNING, and its job too. Answers the started tasks
-- (assignment id, task id); a report that started nothing is not answered.
CREATE FUNCTION job_tasks_start_all(p_job_ids UUID[], p_assignment_ids UUID[], p_node_ids UUID[],
                                    p_now TIMESTAMPTZ)
RETURNS TABLE (assignment_id UUID, task_id UUID)
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
        RETURNING job_tasks.assignment_id, job_tasks.id, job_tasks.job_id),
    running AS (
        UPDATE jobs SET status = 'RUNNING', started_at = COALESCE(jobs.started_at, p_now), updated_at = p_now
          FROM (SELECT DISTINCT started.job_id FROM started) AS s
         WHERE jobs.id = s.job_id)
    SELECT started.assignment_id, started.id FROM started;
END
$$;

/* [jooq ignore stop] */
