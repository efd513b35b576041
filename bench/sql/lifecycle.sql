-- One priced job lifecycle's database work in its minimal form, as one pgbench transaction:
-- submit (job, hold, slot, dispatch), accept (RUNNING), finish (COMPLETED, slot back, capture).
-- It runs against the real schema (Flyway V1..V6: every constraint, the ledger triggers and
-- credit_post) on the fixture bench/.../LifecycleCeiling.java creates: one funded USER account
-- per pgbench client, :nodes HEALTHY verified nodes with an open stream and 256 slots, one
-- operator earnings account per node. Ids are derived from numbers so that no statement has to
-- look them up: user n is 00000000-0000-4000-8000-<n in hex>, node n 00000000-0000-4000-8002-<n>.
--
-- What the server sends for the same lifecycle (captured with log_statement = all) is about 32
-- statements in 10 transactions: a submit is 3 transactions (insert, hold, dispatch), completion
-- is the finish transaction, then the capture in its own one, then the settlement mark. Here
-- every step keeps its writes but does them in 3 transactions and 15 statements, with no read
-- the caller could keep in memory (price, account ids) and the node picked at random.
--
-- Lock order, the same in every transaction: user account, job_holds shard, operator account,
-- platform revenue shard, node. So finishing releases the slot last (the server releases it in
-- the finish transaction and captures in the next one); the other order deadlocks against a
-- submit, which locks the user before claiming a slot.
--
-- Needs -M prepared or -M extended (the :variables become typed parameters) and
-- -D nodes=<count> -D price=<units> -D operator_percent=<0..100>.

\set u :client_id + 1
\set n random(1, :nodes)
\set shard :u % 16
\set operator_share (:price * :operator_percent) / 100
\set platform_share :price - :operator_share

-- 1. submit: the job row, the credit hold, a slot on the node, DISPATCHED with its assignment.
BEGIN;
INSERT INTO jobs (id, user_id, job_type, priority, priority_rank, gpu_required, status, price, settlement,
                  request_hash, queued_at, created_at, updated_at)
VALUES (gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad(to_hex(:u::int), 12, '0'))::uuid, 'echo', 'normal', 1,
        false, 'QUEUED', :price::bigint, 'HOLD_PENDING',
        'dfa0856ea1e6d6656bd085e7e79f218c2868063de3d487ab95187d3af727bde1', now(), now(), now())
RETURNING id AS job \gset
-- The hold: `held` grows under the account's row lock; credit_accounts_no_overdraft refuses a
-- hold larger than balance - held (the server checks that first, for its error message).
UPDATE credit_accounts SET held = held + :price::bigint
 WHERE owner_id = ('00000000-0000-4000-8000-' || lpad(to_hex(:u::int), 12, '0'))::uuid AND kind = 'USER'
RETURNING id AS account \gset
INSERT INTO credit_holds (job_id, account_id, amount, status) VALUES (:job::uuid, :account::uuid, :price::bigint, 'ACTIVE');
-- The slot claim re-checks eligibility like JobScheduler.claimOn; no row (\gset fails) = no slot.
UPDATE nodes SET active_jobs = active_jobs + 1
 WHERE id = ('00000000-0000-4000-8002-' || lpad(to_hex(:n::int), 12, '0'))::uuid
   AND status = 'HEALTHY' AND verified AND stream_session IS NOT NULL AND active_jobs < slots
   AND 'echo' = ANY (capabilities)
RETURNING id AS node, operator_user_id AS operator \gset
UPDATE jobs SET status = 'DISPATCHED', settlement = 'HELD', node_id = :node::uuid, assignment_id = gen_random_uuid(),
                dispatched_at = now(), deadline = now() + interval '5 minutes', first_status = 'DISPATCHED',
                first_node_id = :node::uuid, updated_at = now()
 WHERE id = :job::uuid AND status = 'QUEUED'
RETURNING assignment_id AS assignment \gset
INSERT INTO job_assignments (id, job_id, node_id, created_at) VALUES (:assignment::uuid, :job::uuid, :node::uuid, now());
COMMIT;

-- 2. accept: DISPATCHED -> RUNNING, fenced by the assignment (JobLifecycle.accepted).
UPDATE jobs SET status = 'RUNNING', started_at = now(), updated_at = now()
 WHERE id = :job::uuid AND node_id = :node::uuid AND assignment_id = :assignment::uuid AND status = 'DISPATCHED'
RETURNING 1 AS accepted \gset

-- 3. finish: COMPLETED, the assignment ended, the hold captured (USAGE user -> job_holds shard,
-- then the operator's and the platform's shares, as JobHolds.capture posts them through
-- credit_post), the slot released.
BEGIN;
UPDATE jobs SET status = 'COMPLETED', result_ref = 'results/' || :job::text || '/' || :assignment::text, error_message = NULL,
                completed_at = now(), updated_at = now(), settlement = 'CAPTURED'
 WHERE id = :job::uuid AND node_id = :node::uuid AND assignment_id = :assignment::uuid AND status = 'RUNNING'
RETURNING 1 AS finished \gset
UPDATE job_assignments SET ended_at = now(), outcome = 'COMPLETED' WHERE id = :assignment::uuid AND ended_at IS NULL;
UPDATE credit_accounts SET held = held - :price::bigint WHERE id = :account::uuid;
SELECT entry_id AS usage_entry
  FROM credit_post(gen_random_uuid(), :account::uuid,
                   ('00000000-0000-0000-0002-' || lpad(to_hex(:shard::int), 12, '0'))::uuid, :price::bigint,
                   'USAGE', 'JOB', :account::uuid, :job::text, 'Job execution', gen_random_uuid(), gen_random_uuid())
\gset
SELECT entry_id AS operator_entry
  FROM credit_post(gen_random_uuid(), ('00000000-0000-0000-0002-' || lpad(to_hex(:shard::int), 12, '0'))::uuid,
                   (SELECT id FROM credit_accounts WHERE owner_id = :operator::uuid AND kind = 'OPERATOR_EARNINGS'),
                   :operator_share::bigint, 'USAGE', 'JOB',
                   (SELECT id FROM credit_accounts WHERE owner_id = :operator::uuid AND kind = 'OPERATOR_EARNINGS'),
                   :job::text, 'Operator earnings', gen_random_uuid(), gen_random_uuid())
\gset
SELECT entry_id AS platform_entry
  FROM credit_post(gen_random_uuid(), ('00000000-0000-0000-0002-' || lpad(to_hex(:shard::int), 12, '0'))::uuid,
                   ('00000000-0000-0000-0001-' || lpad(to_hex(:shard::int), 12, '0'))::uuid, :platform_share::bigint,
                   'USAGE', 'JOB', ('00000000-0000-0000-0001-' || lpad(to_hex(:shard::int), 12, '0'))::uuid,
                   :job::text, 'Platform fee', gen_random_uuid(), gen_random_uuid())
\gset
UPDATE credit_holds SET status = 'CAPTURED', usage_entry_id = :usage_entry::uuid, resolved_at = now(),
                        operator_account_id = (SELECT id FROM credit_accounts
                                                WHERE owner_id = :operator::uuid AND kind = 'OPERATOR_EARNINGS')
 WHERE job_id = :job::uuid AND status = 'ACTIVE';
UPDATE nodes SET active_jobs = active_jobs - 1, consecutive_failures = 0 WHERE id = :node::uuid;
COMMIT;
