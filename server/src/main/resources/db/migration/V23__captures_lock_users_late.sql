-- Captures lock the users' accounts as late as they can (issue 19). A completion batch's capture
-- (credit_holds_capture_all) locked its users' accounts before it wrote the transfers and the
-- settlement rows, and kept them until its transaction committed; a submission batch's hold
-- placement waits for those accounts (the same few users submit and complete), so every
-- statement between the lock and the commit delayed the submissions. The transfers and the
-- settlement rows need no account lock (the holds, locked first, keep the batch stable): they
-- are written first, and the accounts are locked just before the held amounts and the legs move
-- them. Same rows, same lock order (holds, users, then the system accounts), same outcome.

/* [jooq ignore start] */

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
            WHERE b.capture > 0)
    SELECT (SELECT array_agg(b.hold_key ORDER BY b.ord) FROM batch b),
           (SELECT array_agg(u.user_entry_id ORDER BY b.ord) FROM batch b LEFT JOIN transfers u ON u.hold_key = b.hold_key),
           array_agg(l.entry_id ORDER BY t.ord, l.leg), array_agg(t.id ORDER BY t.ord, l.leg),
           array_agg(l.account_id ORDER BY t.ord, l.leg), array_agg(l.amount ORDER BY t.ord, l.leg)
      INTO v_resolved, v_usage_entries, v_entry_ids, v_transfer_ids, v_account_ids, v_amounts
      FROM transfers t
     CROSS JOIN LATERAL (VALUES (1, t.user_entry_id, t.user_account_id, -t.capture),
                                (2, t.shard_entry_id, t.shard_id, t.capture)) AS l (leg, entry_id, account_id, amount);
    -- user accounts before system accounts (credit_lock_rank); credit_apply_legs locks the rest
    PERFORM 1 FROM credit_accounts a
     WHERE a.id IN (SELECT h.account_id FROM credit_holds h WHERE h.job_id = ANY (v_resolved))
     ORDER BY a.id FOR UPDATE;
    UPDATE credit_accounts a SET held = a.held - s.held
      FROM (SELECT h.account_id, sum(h.amount) AS held FROM credit_holds h WHERE h.job_id = ANY (v_resolved)
             GROUP BY h.account_id) s
     WHERE a.id = s.account_id;
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

/* [jooq ignore stop] */
