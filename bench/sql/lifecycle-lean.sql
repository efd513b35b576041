-- A leaner data model's PostgreSQL-alone ceiling (issue 19, "what would reach the ratio"): the
-- batched design of bench/sql/lifecycle-batched.sql, with its money exactly as there (holds,
-- one USAGE transfer and one settlement row per job, the legs set-based, the shares aggregated),
-- but a one-task job kept in its job row alone:
--   - no job_tasks and no job_assignments rows (the job row already names its node and
--     assignment, and its timestamps are the task's);
--   - no job_events or job_event_heads rows (a one-task job's events would be derived from its
--     row's timestamps and status, not stored as one row per step).
-- The server does not run this model; the script measures what PostgreSQL alone would reach with
-- it, on the server's migrated schema (which the lean writes satisfy), so the ledger invariants
-- and the unfinished-jobs check after the run are the same as for the batched design.
-- Run it with RT_BENCH_JAVA_OPTS=-Drt.bench.batchedSql=bench/sql/lifecycle-lean.sql
-- bench/run-jobs.sh --ceiling-only [--batch N]; parameters as lifecycle-batched.sql.

\set first :client_id * :batch + 1
\set last :first + :batch - 1
\set offset random(0, :nodes - 1)
\set operator_share (:price * :operator_percent) / 100
\set accrue random(1, 1 + 1000 / :batch)

-- 1. submit
BEGIN;
SELECT count(*) AS locked_nodes
  FROM (SELECT id FROM nodes
         WHERE id = ANY (ARRAY(SELECT DISTINCT ('00000000-0000-4000-8002-'
                                                 || lpad(to_hex((n + CAST(:offset AS int)) % CAST(:nodes AS int) + 1), 12, '0'))::uuid
                                 FROM generate_series(CAST(:first AS int), CAST(:last AS int)) n))
         ORDER BY id FOR UPDATE) l
\gset
WITH s AS MATERIALIZED (
  SELECT n, gen_random_uuid() AS job, gen_random_uuid() AS assignment,
         ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid AS owner,
         ('00000000-0000-4000-8001-' || lpad(to_hex(n), 12, '0'))::uuid AS account,
         ('00000000-0000-4000-8002-' || lpad(to_hex((n + CAST(:offset AS int)) % CAST(:nodes AS int) + 1), 12, '0'))::uuid AS node
    FROM generate_series(CAST(:first AS int), CAST(:last AS int)) n),
claimed AS (
  UPDATE nodes SET active_jobs = active_jobs + c.k
    FROM (SELECT node, count(*)::int AS k FROM s GROUP BY node) c
   WHERE nodes.id = c.node AND nodes.status = 'HEALTHY' AND nodes.verified AND nodes.stream_session IS NOT NULL
     AND nodes.active_jobs + c.k <= nodes.slots AND 'echo' = ANY (nodes.capabilities)
  RETURNING c.k),
held AS (
  UPDATE credit_accounts a SET held = a.held + :price::bigint
    FROM s WHERE a.id = s.account AND a.balance - a.held >= :price::bigint
  RETURNING a.id),
holds AS (
  INSERT INTO credit_holds (job_id, account_id, amount, status)
  SELECT job, account, :price::bigint, 'ACTIVE' FROM s),
new_jobs AS (
  INSERT INTO jobs (id, user_id, job_type, priority, priority_rank, gpu_required, status, price, tier, settlement,
                    request_hash, first_status, first_node_id, node_id, assignment_id, dispatched_at, deadline,
                    tasks_total, frames_total, queued_at, created_at, updated_at)
  SELECT job, owner, 'echo', 'normal', 1, false, 'DISPATCHED', :price::bigint, 'standard', 'HELD',
         'dfa0856ea1e6d6656bd085e7e79f218c2868063de3d487ab95187d3af727bde1', 'DISPATCHED', node, node, assignment,
         now(), now() + interval '5 minutes', 1, 0, now(), now(), now()
    FROM s)
SELECT array_agg(job ORDER BY n)::text AS jobs, array_agg(assignment ORDER BY n)::text AS assignments,
       array_agg(account ORDER BY n)::text AS accounts, array_agg(node ORDER BY n)::text AS job_nodes,
       1 / ((SELECT coalesce(sum(k), 0) FROM claimed) = CAST(:batch AS int) AND (SELECT count(*) FROM held) = CAST(:batch AS int))::int AS submitted
  FROM s
\gset
COMMIT;

-- 2. accept: every job RUNNING (its row is its task)
WITH started AS (
  UPDATE jobs SET status = 'RUNNING', started_at = COALESCE(jobs.started_at, now()), updated_at = now()
   WHERE id = ANY (CAST(:jobs AS uuid[])) AND status = 'DISPATCHED'
  RETURNING jobs.id)
SELECT 1 / ((SELECT count(*) FROM started) = CAST(:batch AS int))::int AS accepted
\gset

-- 3. finish
BEGIN;
WITH j AS (SELECT id FROM jobs WHERE id = ANY (CAST(:jobs AS uuid[])) ORDER BY id FOR UPDATE),
completed AS (
  UPDATE jobs SET status = 'COMPLETED', tasks_done = tasks_total, frames_done = frames_total, reported_progress = 1.0,
                  reported_frames = frames_total, result_ref = 'results/' || jobs.id::text || '/' || jobs.assignment_id::text,
                  error_message = NULL, error_code = NULL, completed_at = now(), updated_at = now(),
                  settlement = 'CAPTURED', charged = :price::bigint
   WHERE jobs.id IN (SELECT id FROM j) AND jobs.status = 'RUNNING'
  RETURNING jobs.id)
SELECT 1 / ((SELECT count(*) FROM completed) = CAST(:batch AS int))::int AS finished
\gset
-- The money, the nodes' release and the aggregated shares: lifecycle-batched.sql's, spliced in
-- from its line starting with the marker below (LifecycleCeiling), so both designs move money alike.
-- splice: lifecycle-batched.sql from "-- The money:"
