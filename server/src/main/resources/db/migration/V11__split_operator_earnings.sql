-- A job split into tasks can be rendered by nodes of several operators: its capture pays each
-- operator for the work (frames) its nodes delivered, not the operator that finished last.
-- credit_hold_capture (V7) takes the work per operator instead of one operator; a one-operator
-- capture posts exactly what V7 posted. See credits.JobHolds and docs/tasks-and-outputs.md.

/* [jooq ignore start] */

DROP FUNCTION credit_hold_capture(UUID, UUID, UUID, UUID, UUID, INTEGER);

-- Captures the job's ACTIVE hold as USAGE: user -> the job holds shard (the user's history row,
-- reference = job id), then per operator the shard -> its earnings account
-- (p_operator_share_percent of the amount x its work / p_total_work, rounded down), in account
-- order, then the shard -> the platform revenue shard (the rest: the rounding remainders and
-- the share of work without an operator). p_operator_account_ids are distinct, each with its
-- work (> 0) in p_operator_work at the same position; their sum is at most p_total_work (> 0).
-- The hold records its operator when exactly one operator is paid. Outcomes as in V7: CAPTURED
-- (amount, USAGE entry, null for a zero amount) or NOT_ACTIVE (nothing written).
CREATE FUNCTION credit_hold_capture(
    p_job_id UUID, p_owner_id UUID, p_job_holds_account_id UUID, p_platform_account_id UUID,
    p_operator_account_ids UUID[], p_operator_work BIGINT[], p_total_work BIGINT, p_operator_share_percent INTEGER)
RETURNS TABLE (outcome TEXT, usage_entry_id UUID, amount BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_hold credit_holds%ROWTYPE;
    v_owner UUID;
    v_reference VARCHAR := p_job_id::TEXT;
    v_usage_entry UUID;
    v_operators INTEGER := coalesce(cardinality(p_operator_account_ids), 0);
    v_operator_total BIGINT := 0;
    v_share RECORD;
    v_platform_share BIGINT;
BEGIN
    IF v_operators <> coalesce(cardinality(p_operator_work), 0) OR p_total_work IS NULL OR p_total_work <= 0
       OR (SELECT coalesce(sum(w), 0) FROM unnest(p_operator_work) w) > p_total_work
       OR EXISTS (SELECT 1 FROM unnest(p_operator_work) w WHERE w IS NULL OR w <= 0)
       OR EXISTS (SELECT 1 FROM unnest(p_operator_account_ids) a WHERE a IS NULL)
       OR (SELECT count(DISTINCT a) FROM unnest(p_operator_account_ids) a) <> v_operators THEN
        RAISE EXCEPTION 'invalid work split for job %', p_job_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_hold FROM credit_holds h WHERE h.job_id = p_job_id FOR UPDATE;
    IF NOT FOUND OR v_hold.status <> 'ACTIVE' THEN
        RETURN QUERY SELECT 'NOT_ACTIVE'::TEXT, NULL::UUID, NULL::BIGINT;
        RETURN;
    END IF;
    UPDATE credit_accounts SET held = held - v_hold.amount WHERE id = v_hold.account_id
    RETURNING owner_id INTO v_owner;
    IF v_owner IS DISTINCT FROM p_owner_id THEN
        RAISE EXCEPTION 'the hold of job % belongs to another user', p_job_id USING ERRCODE = 'check_violation';
    END IF;
    IF v_hold.amount > 0 THEN
        v_usage_entry := gen_random_uuid();
        PERFORM credit_post(gen_random_uuid(), v_hold.account_id, p_job_holds_account_id, v_hold.amount, 'USAGE',
                            'JOB', v_hold.account_id, v_reference, 'Job execution', v_usage_entry, gen_random_uuid());
        IF NOT FOUND THEN
            RAISE EXCEPTION 'reference % already used on account %', v_reference, v_hold.account_id
                USING ERRCODE = 'unique_violation';
        END IF;
        FOR v_share IN
            SELECT s.account_id,
                   div(v_hold.amount::NUMERIC * s.work * p_operator_share_percent, p_total_work::NUMERIC * 100)::BIGINT
                       AS share
              FROM unnest(p_operator_account_ids, p_operator_work) AS s (account_id, work)
             ORDER BY s.account_id
        LOOP
            CONTINUE WHEN v_share.share = 0;
            v_operator_total := v_operator_total + v_share.share;
            PERFORM credit_post(gen_random_uuid(), p_job_holds_account_id, v_share.account_id, v_share.share,
                                'USAGE', 'JOB', v_share.account_id, v_reference, 'Operator earnings',
                                gen_random_uuid(), gen_random_uuid());
            IF NOT FOUND THEN
                RAISE EXCEPTION 'reference % already used on account %', v_reference, v_share.account_id
                    USING ERRCODE = 'unique_violation';
            END IF;
        END LOOP;
        v_platform_share := v_hold.amount - v_operator_total;
        IF v_platform_share > 0 THEN
            PERFORM credit_post(gen_random_uuid(), p_job_holds_account_id, p_platform_account_id, v_platform_share,
                                'USAGE', 'JOB', p_platform_account_id, v_reference, 'Platform fee',
                                gen_random_uuid(), gen_random_uuid());
            IF NOT FOUND THEN
                RAISE EXCEPTION 'reference % already used on account %', v_reference, p_platform_account_id
                    USING ERRCODE = 'unique_violation';
            END IF;
        END IF;
    END IF;
    UPDATE credit_holds
       SET status = 'CAPTURED',
           operator_account_id = CASE WHEN v_operators = 1 THEN p_operator_account_ids[1] END,
           usage_entry_id = v_usage_entry, resolved_at = now()
     WHERE job_id = p_job_id;
    RETURN QUERY SELECT 'CAPTURED'::TEXT, v_usage_entry, v_hold.amount;
END
$$;

/* [jooq ignore stop] */
