-- The batched design's PostgreSQL-alone ceiling (issue 19): :batch priced job lifecycles per
-- pgbench transaction, each step one set-based statement for the whole batch, the way a group
-- committing server would write them. Compare bench/sql/lifecycle.sql, one lifecycle per
-- statement and today's money postings.
--
-- What a batch is: :batch lifecycles of :batch different users (user n, n in the client's own
-- range), spread over the nodes. Per batch:
--   submit  (1 transaction): lock the nodes in id order; then one statement that claims the
--           slots, places the holds, and writes the jobs, their one task, the assignments and the
--           job.submitted / task.dispatched events;
--   accept  (1 statement): every task RUNNING, its job RUNNING, the task.started event;
--   finish  (1 transaction): one statement ends the tasks, the assignments and the jobs (with
--           task.progress, task.completed, job.completed); one captures the holds, releases the
--           users' held amounts and writes one USAGE transfer per job (user -> its job_holds shard,
--           reference = the job: every user's entry stays its own, provable in the Merkle batches)
--           and one settlement row per job; one applies the transfers' legs set-based (each touched
--           account moves once, credit_apply_legs of migration V19); one marks the holds captured; then the
--           nodes are locked in id order and their slots freed.
--   shares  (aggregated): the operator's and the platform's shares are not two transfers per job.
--           About once every 1,000 lifecycles (a second at the goal rate) one client accrues every
--           unaccrued settlement row with the server's credit_settlements_accrue (migration V22):
--           one transfer per (job_holds shard, operator) and per (shard, platform revenue), each
--           settlement row marked with its accrual, so a job still leads to the transfer that paid
--           its operator. The settlement rows are the server's (credit_settlements), and the
--           ledger invariants after the run are the server's.
--
-- Lock order: nodes before the users' accounts at submit; jobs before their tasks; the accounts a
-- posting touches all at once, in id order; nodes last at the end. Every batch has its own users,
-- so only nodes and shards are shared between clients.
--
-- Needs -M prepared or -M extended, and -D nodes=<count> -D price=<units>
-- -D operator_percent=<0..100> -D batch=<lifecycles per transaction>. A batch that does not
-- write all of its rows divides by zero, so pgbench reports it and the ledger checks see it.

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
  SELECT n, gen_random_uuid() AS job, gen_random_uuid() AS task, gen_random_uuid() AS assignment,
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
    FROM s),
new_tasks AS (
  INSERT INTO job_tasks (id, job_id, task_index, job_type, gpu_required, priority_rank, status, node_id, assignment_id,
                         attempts, retry_count, queued_at, dispatched_at, deadline, tier_rank, user_id)
  SELECT task, job, 0, 'echo', false, 1, 'DISPATCHED', node, assignment, 1, 0, now(), now(),
         now() + interval '5 minutes', 1, owner
    FROM s),
new_assignments AS (
  INSERT INTO job_assignments (id, job_id, task_id, node_id, created_at) SELECT assignment, job, task, node, now() FROM s),
heads AS (INSERT INTO job_event_heads (job_id, user_id, last_seq) SELECT job, owner, 2 FROM s),
new_events AS (
  INSERT INTO job_events (job_id, user_id, seq, type, task_id, node_id, status, created_at)
  SELECT s.job, s.owner, e.seq, e.type, CASE WHEN e.seq = 2 THEN s.task END, s.node, 'DISPATCHED', now()
    FROM s, (VALUES (1, 'job.submitted'), (2, 'task.dispatched')) AS e (seq, type))
SELECT array_agg(job ORDER BY n)::text AS jobs, array_agg(assignment ORDER BY n)::text AS assignments,
       array_agg(account ORDER BY n)::text AS accounts, array_agg(node ORDER BY n)::text AS job_nodes,
       1 / ((SELECT coalesce(sum(k), 0) FROM claimed) = CAST(:batch AS int) AND (SELECT count(*) FROM held) = CAST(:batch AS int))::int AS submitted
  FROM s
\gset
COMMIT;

-- 2. accept: jobs locked first (in id order), then their tasks
WITH j AS (SELECT id FROM jobs WHERE id = ANY (CAST(:jobs AS uuid[])) ORDER BY id FOR UPDATE),
t AS (
  UPDATE job_tasks SET status = 'RUNNING', started_at = now()
   WHERE assignment_id = ANY (CAST(:assignments AS uuid[])) AND job_id IN (SELECT id FROM j) AND status = 'DISPATCHED'
  RETURNING job_id, id, node_id, user_id),
started AS (
  UPDATE jobs SET status = 'RUNNING', started_at = COALESCE(jobs.started_at, now()), updated_at = now()
    FROM t WHERE jobs.id = t.job_id
  RETURNING jobs.id),
heads AS (
  UPDATE job_event_heads h SET last_seq = h.last_seq + 1 FROM t WHERE h.job_id = t.job_id RETURNING h.job_id, h.last_seq),
new_events AS (
  INSERT INTO job_events (job_id, user_id, seq, type, task_id, node_id, status, created_at)
  SELECT t.job_id, t.user_id, heads.last_seq, 'task.started', t.id, t.node_id, 'RUNNING', now()
    FROM t JOIN heads ON heads.job_id = t.job_id)
SELECT 1 / ((SELECT count(*) FROM started) = CAST(:batch AS int))::int AS accepted
\gset

-- 3. finish
BEGIN;
WITH j AS (SELECT id FROM jobs WHERE id = ANY (CAST(:jobs AS uuid[])) ORDER BY id FOR UPDATE),
ended_assignments AS (
  UPDATE job_assignments SET ended_at = now(), outcome = 'COMPLETED'
   WHERE id = ANY (CAST(:assignments AS uuid[])) AND ended_at IS NULL
  RETURNING id),
t AS (
  UPDATE job_tasks SET status = 'COMPLETED', completed_at = now(), progress_percent = 100
   WHERE assignment_id = ANY (CAST(:assignments AS uuid[])) AND job_id IN (SELECT id FROM j) AND status = 'RUNNING'
  RETURNING job_id, id, node_id, user_id),
completed AS (
  UPDATE jobs SET status = 'COMPLETED', tasks_done = tasks_total, frames_done = frames_total, reported_progress = 1.0,
                  reported_frames = frames_total, result_ref = 'results/' || jobs.id::text || '/' || jobs.assignment_id::text,
                  error_message = NULL, error_code = NULL, completed_at = now(), updated_at = now(),
                  settlement = 'CAPTURED', charged = :price::bigint
    FROM t WHERE jobs.id = t.job_id
  RETURNING jobs.id),
heads AS (
  UPDATE job_event_heads h SET last_seq = h.last_seq + 3 FROM t WHERE h.job_id = t.job_id RETURNING h.job_id, h.last_seq),
new_events AS (
  INSERT INTO job_events (job_id, user_id, seq, type, task_id, node_id, status, progress, created_at)
  SELECT t.job_id, t.user_id, heads.last_seq - 3 + e.ord, e.type, CASE WHEN e.ord < 3 THEN t.id END, t.node_id,
         e.status, 1.0, now()
    FROM t JOIN heads ON heads.job_id = t.job_id,
         (VALUES (1, 'task.progress', 'RUNNING'), (2, 'task.completed', 'COMPLETED'), (3, 'job.completed', 'COMPLETED'))
           AS e (ord, type, status))
SELECT 1 / ((SELECT count(*) FROM completed) = CAST(:batch AS int) AND (SELECT count(*) FROM ended_assignments) = CAST(:batch AS int))::int
       AS finished
\gset
-- The money: the holds (locked in job id order), the users' held amounts released, one USAGE
-- transfer and one settlement row per job.
WITH x AS MATERIALIZED (
  SELECT x.job, x.account, gen_random_uuid() AS transfer, gen_random_uuid() AS user_entry,
         gen_random_uuid() AS shard_entry,
         ('00000000-0000-0000-0002-' || lpad(to_hex(('x' || right(x.account::text, 8))::bit(32)::int % 16), 12, '0'))::uuid
           AS shard,
         overlay(x.node::text PLACING '8004' FROM 20 FOR 4)::uuid AS operator
    FROM unnest(CAST(:jobs AS uuid[]), CAST(:accounts AS uuid[]), CAST(:job_nodes AS uuid[])) AS x (job, account, node)),
h AS (
  SELECT job_id, amount FROM credit_holds
   WHERE job_id = ANY (CAST(:jobs AS uuid[])) AND status = 'ACTIVE'
   ORDER BY job_id FOR UPDATE),
released AS (
  UPDATE credit_accounts a SET held = a.held - h.amount
    FROM x JOIN h ON h.job_id = x.job WHERE a.id = x.account
  RETURNING a.id),
usage AS (
  INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin, reference_account_id,
                                reference_id, description)
  SELECT x.transfer, x.account, x.shard, h.amount, 'USAGE', 'JOB', x.account, x.job::text, 'Job execution'
    FROM x JOIN h ON h.job_id = x.job
  RETURNING id),
settled AS (
  INSERT INTO credit_settlements (hold_key, shard_account_id, operator_account_id, operator_share, platform_account_id,
                                  platform_share)
  SELECT x.job, x.shard, x.operator, h.amount * CAST(:operator_percent AS int) / 100,
         ('00000000-0000-0000-0001-' || right(x.shard::text, 12))::uuid,
         h.amount - h.amount * CAST(:operator_percent AS int) / 100
    FROM x JOIN h ON h.job_id = x.job)
SELECT array_agg(x.transfer ORDER BY x.account)::text AS transfers,
       array_agg(x.user_entry ORDER BY x.account)::text AS user_entries,
       array_agg(x.shard_entry ORDER BY x.account)::text AS shard_entries,
       array_agg(x.shard ORDER BY x.account)::text AS shards,
       array_agg(x.account ORDER BY x.account)::text AS sorted_accounts,
       array_agg(x.job ORDER BY x.account)::text AS sorted_jobs,
       array_agg(x.operator ORDER BY x.account)::text AS sorted_operators,
       1 / ((SELECT count(*) FROM usage) = CAST(:batch AS int) AND (SELECT count(*) FROM released) = CAST(:batch AS int))::int
         AS charged
  FROM x
\gset
-- The legs, applied set-based (credit_apply_legs, migration V19): each
-- touched account moves once by the sum of its legs, the entries numbered in leg order.
SELECT credit_apply_legs(CAST(:user_entries AS uuid[]) || CAST(:shard_entries AS uuid[]),
                         CAST(:transfers AS uuid[]) || CAST(:transfers AS uuid[]),
                         CAST(:sorted_accounts AS uuid[]) || CAST(:shards AS uuid[]),
                         array_fill(-:price::bigint, ARRAY[CAST(:batch AS int)])
                           || array_fill(:price::bigint, ARRAY[CAST(:batch AS int)])) AS legs
\gset
-- The holds captured, each naming its user's entry.
UPDATE credit_holds h SET status = 'CAPTURED', captured = h.amount, operator_account_id = c.operator,
                          usage_entry_id = c.user_entry, resolved_at = now()
  FROM unnest(CAST(:sorted_jobs AS uuid[]), CAST(:user_entries AS uuid[]), CAST(:sorted_operators AS uuid[]))
       AS c (job, user_entry, operator)
 WHERE h.job_id = c.job AND h.status = 'ACTIVE';
SELECT count(*) AS locked_nodes
  FROM (SELECT id FROM nodes WHERE id = ANY (CAST(:job_nodes AS uuid[])) ORDER BY id FOR UPDATE) l
\gset
UPDATE nodes SET active_jobs = active_jobs - c.k, consecutive_failures = 0
  FROM (SELECT node, count(*)::int AS k FROM unnest(CAST(:job_nodes AS uuid[])) AS node GROUP BY node) c
 WHERE nodes.id = c.node;
COMMIT;

-- 4. the shares, aggregated: about once per 1,000 lifecycles, by one client at a time
\if :accrue = 1
BEGIN;
SELECT CASE WHEN pg_try_advisory_xact_lock(1919) THEN 1 ELSE 0 END AS accruing
\gset
\if :accruing = 1
SELECT credit_settlements_accrue(NULL, NULL, 1000000) AS accrued
\gset
\endif
COMMIT;
\endif
