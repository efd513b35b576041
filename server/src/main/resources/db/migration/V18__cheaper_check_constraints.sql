-- The same CHECK constraints, stored in a form that is cheaper to check (issue 19).
--
-- PostgreSQL reads every CHECK constraint of a table back from its stored expression and plans
-- it again for each INSERT or UPDATE statement (ExecRelCheck runs stringToNode and
-- expression_planner once per executor run, for every constraint, whatever columns the statement
-- sets). A perf profile of bench/run-jobs.sh (6 s of its measured window) put that at 13 % of
-- PostgreSQL's CPU, most of it for jobs (26 constraints) and job_tasks (10), which every task
-- transition updates. An `IN ('A', 'B')` list on a VARCHAR column is stored as an ARRAY of
-- VARCHAR constants coerced to TEXT[], which the planner builds and coerces again each time; a
-- TEXT[] constant is stored already folded. Measured on this schema (backend CPU of 5,000 single-row
-- UPDATEs of jobs, each committed): 0.22 ms each with the lists, 0.18 ms with the constants, 0.08 ms
-- with no CHECK at all. Each constraint below accepts exactly the rows it accepted before.
--
-- New constraints on hot tables: write `col = ANY ('{A,B}'::text[])`, not `col IN ('A', 'B')`.

ALTER TABLE credit_accounts DROP CONSTRAINT credit_accounts_kind_check,
    ADD CONSTRAINT credit_accounts_kind_check CHECK (((kind)::text = ANY ('{ADJUSTMENTS,CHAIN_CLEARING,JOB_HOLDS,OPERATOR_EARNINGS,PAYOUTS_CLEARING,PLATFORM_REVENUE,STRIPE_CLEARING,USER}'::text[])));
ALTER TABLE credit_accounts DROP CONSTRAINT credit_accounts_no_overdraft,
    ADD CONSTRAINT credit_accounts_no_overdraft CHECK ((((kind)::text = ANY ('{ADJUSTMENTS,CHAIN_CLEARING,STRIPE_CLEARING}'::text[])) OR ((balance - held) >= 0)));
ALTER TABLE credit_transfers DROP CONSTRAINT credit_transfers_origin_check,
    ADD CONSTRAINT credit_transfers_origin_check CHECK (((origin)::text = ANY ('{ADMIN,CHAIN,CHECKOUT,CLIENT,JOB,PAYOUT}'::text[])));
ALTER TABLE credit_transfers DROP CONSTRAINT credit_transfers_source_check,
    ADD CONSTRAINT credit_transfers_source_check CHECK (((source)::text = ANY ('{ADJUSTMENT,DEPOSIT,PAYOUT,PURCHASE,REFUND,USAGE}'::text[])));
ALTER TABLE credit_holds DROP CONSTRAINT credit_holds_status_check,
    ADD CONSTRAINT credit_holds_status_check CHECK (((status)::text = ANY ('{ACTIVE,CAPTURED,RELEASED}'::text[])));
ALTER TABLE nodes DROP CONSTRAINT nodes_admin_state_check,
    ADD CONSTRAINT nodes_admin_state_check CHECK (((admin_state)::text = ANY ('{ACTIVE,DRAINING,DISABLED}'::text[])));
ALTER TABLE nodes DROP CONSTRAINT nodes_status_check,
    ADD CONSTRAINT nodes_status_check CHECK (((status)::text = ANY ('{REGISTERED,HEALTHY,UNHEALTHY,OFFLINE}'::text[])));
ALTER TABLE jobs DROP CONSTRAINT jobs_active_has_assignment,
    ADD CONSTRAINT jobs_active_has_assignment CHECK (((tasks_total > 1) OR ((status)::text <> ALL ('{DISPATCHED,RUNNING}'::text[])) OR ((node_id IS NOT NULL) AND (assignment_id IS NOT NULL) AND (dispatched_at IS NOT NULL) AND (deadline IS NOT NULL))));
ALTER TABLE jobs DROP CONSTRAINT jobs_priority_check,
    ADD CONSTRAINT jobs_priority_check CHECK (((priority)::text = ANY ('{low,normal,high}'::text[])));
ALTER TABLE jobs DROP CONSTRAINT jobs_settlement_check,
    ADD CONSTRAINT jobs_settlement_check CHECK (((settlement)::text = ANY ('{NONE,HOLD_PENDING,HELD,CAPTURE_PENDING,CAPTURED,RELEASE_PENDING,RELEASED}'::text[])));
ALTER TABLE jobs DROP CONSTRAINT jobs_settlement_matches_status,
    ADD CONSTRAINT jobs_settlement_matches_status CHECK ( CASE WHEN ((status)::text = ANY ('{QUEUED,DISPATCHED,RUNNING}'::text[])) THEN ((settlement)::text = ANY ('{NONE,HOLD_PENDING,HELD}'::text[])) WHEN ((status)::text = 'COMPLETED'::text) THEN ((settlement)::text = ANY ('{NONE,CAPTURE_PENDING,CAPTURED}'::text[])) ELSE ((settlement)::text = ANY ('{NONE,RELEASE_PENDING,RELEASED,CAPTURE_PENDING,CAPTURED}'::text[])) END);
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check,
    ADD CONSTRAINT jobs_status_check CHECK (((status)::text = ANY ('{QUEUED,DISPATCHED,RUNNING,COMPLETED,FAILED,CANCELLED}'::text[])));
ALTER TABLE jobs DROP CONSTRAINT jobs_terminal_completed_at,
    ADD CONSTRAINT jobs_terminal_completed_at CHECK ((((status)::text = ANY ('{COMPLETED,FAILED,CANCELLED}'::text[])) = (completed_at IS NOT NULL)));
ALTER TABLE jobs DROP CONSTRAINT jobs_tier_check,
    ADD CONSTRAINT jobs_tier_check CHECK (((tier)::text = ANY ('{economy,standard,priority}'::text[])));
ALTER TABLE job_assignments DROP CONSTRAINT job_assignments_outcome_check,
    ADD CONSTRAINT job_assignments_outcome_check CHECK (((outcome)::text = ANY ('{COMPLETED,FAILED,CANCELLED,REQUEUED,DEAD_LETTERED}'::text[])));
ALTER TABLE job_tasks DROP CONSTRAINT job_tasks_active_has_assignment,
    ADD CONSTRAINT job_tasks_active_has_assignment CHECK ((((status)::text <> ALL ('{DISPATCHED,RUNNING}'::text[])) OR ((node_id IS NOT NULL) AND (assignment_id IS NOT NULL) AND (dispatched_at IS NOT NULL) AND (deadline IS NOT NULL))));
ALTER TABLE job_tasks DROP CONSTRAINT job_tasks_status_check,
    ADD CONSTRAINT job_tasks_status_check CHECK (((status)::text = ANY ('{QUEUED,DISPATCHED,RUNNING,COMPLETED,FAILED,CANCELLED}'::text[])));
ALTER TABLE job_tasks DROP CONSTRAINT job_tasks_terminal_completed_at,
    ADD CONSTRAINT job_tasks_terminal_completed_at CHECK ((((status)::text = ANY ('{COMPLETED,FAILED,CANCELLED}'::text[])) = (completed_at IS NOT NULL)));
