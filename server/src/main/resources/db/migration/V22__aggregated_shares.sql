-- Aggregated shares (issue 19). A batched capture (credit_holds_capture_all) wrote three transfers
-- per job: the user's "Job execution" to the job_holds shard, then the operator's share and the
-- platform's fee out of it, six ledger entries in all. It now writes the user's transfer and one
-- settlement row owing the two shares; credit_settlements_accrue pays what the rows owe every
-- second or so, one transfer per (job_holds shard, operator) and per (shard, platform revenue
-- shard). Every user's entry stays its own (and provable in the Merkle batches), and each job still
-- leads to the transfer that paid its operator: its row names the accrual, and the accrual's
-- transfers are referenced "<accrual id>:<shard id>". A job_holds shard holds exactly the shares
-- not accrued yet. Captures of one job by several operators (credit_hold_settle) are unchanged.

-- No foreign keys to credit_accounts, like credit_transfers: the check of one would take a KEY
-- SHARE lock on the operator's account while the capture still waits for its shards, and an
-- accrual holding a shard waits for that account (FOR UPDATE): a deadlock. An unknown account
-- fails the accrual instead (credit_apply_legs), and the invariants check every row.
CREATE TABLE credit_settlements (
    hold_key             UUID        PRIMARY KEY REFERENCES credit_holds (job_id),
    shard_account_id     UUID        NOT NULL,
    operator_account_id  UUID,
    operator_share       BIGINT      NOT NULL,
    platform_account_id  UUID        NOT NULL,
    platform_share       BIGINT      NOT NULL,
    -- the accrual that paid the row (NULL: owed); when, is its transfers' created_at
    accrual_id           UUID,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT credit_settlements_shares_check
        CHECK (operator_share >= 0 AND platform_share >= 0 AND operator_share + platform_share > 0),
    CONSTRAINT credit_settlements_operator_check CHECK (operator_account_id IS NOT NULL OR operator_share = 0)
);

-- what the next accrual pays (a few seconds of captures at most)
CREATE INDEX credit_settlements_unaccrued ON credit_settlements (created_at) WHERE accrual_id IS NULL;
-- an operator's earnings, job by job
CREATE INDEX credit_settlements_operator ON credit_settlements (operator_account_id, created_at)
    WHERE operator_share > 0;

/* [jooq ignore start] */

-- Origin ACCRUAL: an accrual of settlement rows, reference "<accrual id>:<job_holds shard id>"
-- (the constraint in V18's cheaper form, with the values it held).
ALTER TABLE credit_transfers DROP CONSTRAINT credit_transfers_origin_check,
    ADD CONSTRAINT credit_transfers_origin_check
        CHECK (((origin)::text = ANY ('{ACCRUAL,ADMIN,CHAIN,CHECKOUT,CLIENT,JOB,PAYOUT}'::text[])));

-- As V19, except that each captured job gets one transfer (the user's "Job execution" to the
-- job_holds shard) and one settlement row owing the operator's share and the platform's fee.
CREATE OR REPLACE FUNCTION credit_holds_capture_all(
    p_hold_keys UUID[], p_owner_ids UUID[], p_job_holds_account_ids UUID[], p_platform_account_ids UUID[],
    p_operator_account_ids UUID[], p_captures BIGINT[], p_operator_share_percent INTEGER)
RETURNS TABLE (hold_key UUID, outcome TEXT, usage_entry_id UUID)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_count INTEGER := coalesce(cardinality(p_hold_keys), 0);
    v_bad UUID;
    v_resolved UUID[];
    v_usage_entries UUID[];
    v_entry_ids UUID[];
    v_transfer_ids UUID[];
    v_account_ids UUID[];
    v_amounts BIGINT[];
BEGIN
    IF coalesce(cardinality(p_owner_ids), 0) <> v_count OR coalesce(cardinality(p_job_holds_account_ids), 0) <> v_count
       OR coalesce(cardinality(p_platform_account_ids), 0) <> v_count
       OR coalesce(cardinality(p_operator_account_ids), 0) <> v_count OR coalesce(cardinality(p_captures), 0) <> v_count
       OR p_operator_share_percent IS NULL OR p_operator_share_percent NOT BETWEEN 0 AND 100
       OR EXISTS (SELECT 1
                    FROM unnest(p_hold_keys, p_owner_ids, p_job_holds_account_ids, p_platform_account_ids, p_captures)
                         AS b (hold_key, owner_id, shard_id, platform_id, capture)
                   WHERE b.hold_key IS NULL OR b.owner_id IS NULL OR b.shard_id IS NULL OR b.platform_id IS NULL
                      OR b.capture IS NULL OR b.capture < 0)
       OR (SELECT count(DISTINCT k) FROM unnest(p_hold_keys) k) <> v_count THEN
        RAISE EXCEPTION 'invalid batch of captures' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_count = 0 THEN
        RETURN;
    END IF;
    -- holds before accounts, as credit_hold_settle locks them
    PERFORM 1 FROM credit_holds h WHERE h.job_id = ANY (p_hold_keys) ORDER BY h.job_id FOR UPDATE;
    SELECT b.hold_key INTO v_bad
      FROM unnest(p_hold_keys, p_owner_ids, p_captures) AS b (hold_key, owner_id, capture)
      JOIN credit_holds h ON h.job_id = b.hold_key AND h.status = 'ACTIVE'
      JOIN credit_accounts a ON a.id = h.account_id
     WHERE b.capture > h.amount OR a.owner_id <> b.owner_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the capture of hold % exceeds it or names another owner', v_bad USING ERRCODE = 'check_violation';
    END IF;
    -- user accounts before system accounts (credit_lock_rank); credit_apply_legs locks the rest
    PERFORM 1 FROM credit_accounts a
     WHERE a.id IN (SELECT h.account_id FROM credit_holds h WHERE h.job_id = ANY (p_hold_keys) AND h.status = 'ACTIVE')
     ORDER BY a.id FOR UPDATE;
    WITH batch AS (
           SELECT b.*, h.account_id AS user_account_id, h.amount AS held,
                  CASE WHEN b.operator_account_id IS NULL THEN 0
                       ELSE div(b.capture::NUMERIC * p_operator_share_percent, 100)::BIGINT END AS operator_share
             FROM unnest(p_hold_keys, p_job_holds_account_ids, p_platform_account_ids, p_operator_account_ids, p_captures)
                  WITH ORDINALITY AS b (hold_key, shard_id, platform_id, operator_account_id, capture, ord)
             JOIN credit_holds h ON h.job_id = b.hold_key AND h.status = 'ACTIVE'),
         transfers AS MATERIALIZED (
           SELECT gen_random_uuid() AS id, b.hold_key, b.ord, b.user_account_id, b.shard_id, b.capture,
                  gen_random_uuid() AS user_entry_id, gen_random_uuid() AS shard_entry_id
             FROM batch b
            WHERE b.capture > 0),
         posted AS (
           INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,
                                         reference_account_id, reference_id, description)
           SELECT t.id, t.user_account_id, t.shard_id, t.capture, 'USAGE', 'JOB', t.user_account_id, t.hold_key::TEXT,
                  'Job execution'
             FROM transfers t ORDER BY t.ord),
         owed AS (
           INSERT INTO credit_settlements (hold_key, shard_account_id, operator_account_id, operator_share,
                                           platform_account_id, platform_share)
           SELECT b.hold_key, b.shard_id, CASE WHEN b.operator_share > 0 THEN b.operator_account_id END,
                  b.operator_share, b.platform_id, b.capture - b.operator_share
             FROM batch b
            WHERE b.capture > 0),
         released AS (
           UPDATE credit_accounts a SET held = a.held - s.held
             FROM (SELECT user_account_id, sum(held) AS held FROM batch GROUP BY user_account_id) s
            WHERE a.id = s.user_account_id)
    SELECT (SELECT array_agg(b.hold_key ORDER BY b.ord) FROM batch b),
           (SELECT array_agg(u.user_entry_id ORDER BY b.ord) FROM batch b LEFT JOIN transfers u ON u.hold_key = b.hold_key),
           array_agg(l.entry_id ORDER BY t.ord, l.leg), array_agg(t.id ORDER BY t.ord, l.leg),
           array_agg(l.account_id ORDER BY t.ord, l.leg), array_agg(l.amount ORDER BY t.ord, l.leg)
      INTO v_resolved, v_usage_entries, v_entry_ids, v_transfer_ids, v_account_ids, v_amounts
      FROM transfers t
     CROSS JOIN LATERAL (VALUES (1, t.user_entry_id, t.user_account_id, -t.capture),
                                (2, t.shard_entry_id, t.shard_id, t.capture)) AS l (leg, entry_id, account_id, amount);
    IF v_entry_ids IS NOT NULL THEN
        PERFORM credit_apply_legs(v_entry_ids, v_transfer_ids, v_account_ids, v_amounts);
    END IF;
    -- after the legs: a hold names its user's USAGE entry
    UPDATE credit_holds h
       SET status = CASE WHEN b.capture > 0 THEN 'CAPTURED' ELSE 'RELEASED' END, captured = b.capture,
           operator_account_id = CASE WHEN b.capture > 0 THEN b.operator_account_id END,
           usage_entry_id = r.usage_entry_id, resolved_at = now()
      FROM unnest(v_resolved, v_usage_entries) AS r (hold_key, usage_entry_id)
      JOIN unnest(p_hold_keys, p_operator_account_ids, p_captures) AS b (hold_key, operator_account_id, capture)
        ON b.hold_key = r.hold_key
     WHERE h.job_id = r.hold_key;
    RETURN QUERY
        SELECT b.hold_key,
               CASE WHEN NOT b.hold_key = ANY (coalesce(v_resolved, '{}'::UUID[])) THEN 'NOT_ACTIVE'
                    WHEN b.capture > 0 THEN 'CAPTURED' ELSE 'RELEASED' END,
               h.usage_entry_id
          FROM unnest(p_hold_keys, p_captures) WITH ORDINALITY AS b (hold_key, capture, ord)
          LEFT JOIN credit_holds h ON h.job_id = b.hold_key
         ORDER BY b.ord;
END
$$;

-- Pays what unaccrued settlement rows owe: up to p_limit of them, oldest first, only p_hold_keys
-- (NULL: any) and only rows owing p_operator_account_id a share (NULL: any). Rows another
-- transaction holds are skipped (a concurrent accrual pays them). One accrual: the rows are marked
-- with its id, one USAGE transfer per (job_holds shard, operator) of the operators' shares and one
-- per (shard, platform revenue shard) of the fees, origin ACCRUAL, reference "<accrual id>:<shard
-- id>", applied set-based (credit_apply_legs: the shards, then the operators, then the platform).
-- Returns the number of rows paid.
CREATE FUNCTION credit_settlements_accrue(p_hold_keys UUID[], p_operator_account_id UUID, p_limit INTEGER)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    v_accrual UUID := gen_random_uuid();
    v_count INTEGER;
    v_entry_ids UUID[];
    v_transfer_ids UUID[];
    v_account_ids UUID[];
    v_amounts BIGINT[];
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'an accrual needs a positive limit' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH picked AS (
           SELECT s.hold_key FROM credit_settlements s
            WHERE s.accrual_id IS NULL AND (p_hold_keys IS NULL OR s.hold_key = ANY (p_hold_keys))
              AND (p_operator_account_id IS NULL OR s.operator_account_id = p_operator_account_id)
            ORDER BY s.created_at
            LIMIT p_limit
              FOR UPDATE SKIP LOCKED),
         marked AS (
           UPDATE credit_settlements s SET accrual_id = v_accrual
             FROM picked WHERE s.hold_key = picked.hold_key
           RETURNING s.shard_account_id, s.operator_account_id, s.operator_share, s.platform_account_id,
                     s.platform_share),
         owed AS (
           SELECT shard_account_id AS debit_id, operator_account_id AS credit_id, sum(operator_share) AS amount,
                  'Operator earnings' AS description, count(*) AS n
             FROM marked WHERE operator_share > 0 GROUP BY 1, 2
           UNION ALL
           SELECT shard_account_id, platform_account_id, sum(platform_share), 'Platform fee', count(*)
             FROM marked WHERE platform_share > 0 GROUP BY 1, 2),
         transfers AS MATERIALIZED (
           SELECT gen_random_uuid() AS id, o.*, gen_random_uuid() AS debit_entry_id, gen_random_uuid() AS credit_entry_id
             FROM owed o),
         posted AS (
           INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,
                                         reference_account_id, reference_id, description)
           SELECT t.id, t.debit_id, t.credit_id, t.amount, 'USAGE', 'ACCRUAL', t.credit_id,
                  v_accrual::TEXT || ':' || t.debit_id::TEXT,
                  t.description || ' of ' || t.n || CASE WHEN t.n = 1 THEN ' job' ELSE ' jobs' END
             FROM transfers t)
    SELECT (SELECT count(*) FROM marked), array_agg(l.entry_id ORDER BY t.id, l.leg), array_agg(t.id ORDER BY t.id, l.leg),
           array_agg(l.account_id ORDER BY t.id, l.leg), array_agg(l.amount ORDER BY t.id, l.leg)
      INTO v_count, v_entry_ids, v_transfer_ids, v_account_ids, v_amounts
      FROM transfers t
     CROSS JOIN LATERAL (VALUES (1, t.debit_entry_id, t.debit_id, -t.amount),
                                (2, t.credit_entry_id, t.credit_id, t.amount)) AS l (leg, entry_id, account_id, amount);
    IF v_entry_ids IS NOT NULL THEN
        PERFORM credit_apply_legs(v_entry_ids, v_transfer_ids, v_account_ids, v_amounts);
    END IF;
    RETURN coalesce(v_count, 0);
END
$$;

/* [jooq ignore stop] */
