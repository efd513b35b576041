-- A job's hold placed and captured in one round trip each (the job lifecycle's hot path; see
-- credits.JobHolds). Both run inside the caller's transaction, so the jobs flow can place a
-- hold in the same transaction as the job row and capture it in the same transaction as the
-- job's completion. Neither raises for a business outcome: it answers with an outcome and
-- writes nothing, so the caller's transaction stays usable and the caller decides.

-- jOOQ's DDL parser (code generation) does not read PL/pgSQL; the application calls these by SQL.
/* [jooq ignore start] */

-- Places an ACTIVE hold of p_amount (> 0) on the user's account if its available amount
-- (balance - held) covers it. Outcomes: HELD, INSUFFICIENT (with what is available),
-- NO_ACCOUNT, or EXISTS (the job has a hold already; the caller answers from it).
CREATE FUNCTION credit_hold_place(p_job_id UUID, p_owner_id UUID, p_amount BIGINT)
RETURNS TABLE (outcome TEXT, available BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_account UUID;
    v_available BIGINT;
BEGIN
    SELECT a.id, a.balance - a.held INTO v_account, v_available
      FROM credit_accounts a WHERE a.owner_id = p_owner_id AND a.kind = 'USER' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'NO_ACCOUNT'::TEXT, 0::BIGINT;
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM credit_holds h WHERE h.job_id = p_job_id) THEN
        RETURN QUERY SELECT 'EXISTS'::TEXT, v_available;
        RETURN;
    END IF;
    IF v_available < p_amount THEN
        RETURN QUERY SELECT 'INSUFFICIENT'::TEXT, v_available;
        RETURN;
    END IF;
    INSERT INTO credit_holds (job_id, account_id, amount, status) VALUES (p_job_id, v_account, p_amount, 'ACTIVE');
    UPDATE credit_accounts SET held = held + p_amount WHERE id = v_account;
    RETURN QUERY SELECT 'HELD'::TEXT, v_available - p_amount;
END
$$;

-- Captures the job's ACTIVE hold as USAGE, exactly as JobHolds documents it: user -> the job
-- holds shard (the user's history row, reference = job id), then the shard -> the operator's
-- earnings (p_operator_share_percent of the amount, rounded down; none without an operator
-- account) and the shard -> the platform revenue shard (the rest). The user's account is
-- locked first (lock order: user accounts before system accounts); p_owner_id names its owner,
-- whose shards the caller passes. Outcomes: CAPTURED (with the amount and the USAGE entry, null
-- for a zero amount) or NOT_ACTIVE (no hold, or already resolved: nothing written; the caller
-- answers repeats and conflicts from the hold itself).
CREATE FUNCTION credit_hold_capture(
    p_job_id UUID, p_owner_id UUID, p_job_holds_account_id UUID, p_platform_account_id UUID,
    p_operator_account_id UUID, p_operator_share_percent INTEGER)
RETURNS TABLE (outcome TEXT, usage_entry_id UUID, amount BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    v_hold credit_holds%ROWTYPE;
    v_owner UUID;
    v_reference VARCHAR := p_job_id::TEXT;
    v_usage_entry UUID;
    v_operator_share BIGINT := 0;
    v_platform_share BIGINT;
BEGIN
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
        IF p_operator_account_id IS NOT NULL THEN
            v_operator_share := (v_hold.amount * p_operator_share_percent) / 100;
        END IF;
        v_platform_share := v_hold.amount - v_operator_share;
        IF v_operator_share > 0 THEN
            PERFORM credit_post(gen_random_uuid(), p_job_holds_account_id, p_operator_account_id, v_operator_share,
                                'USAGE', 'JOB', p_operator_account_id, v_reference, 'Operator earnings',
                                gen_random_uuid(), gen_random_uuid());
            IF NOT FOUND THEN
                RAISE EXCEPTION 'reference % already used on account %', v_reference, p_operator_account_id
                    USING ERRCODE = 'unique_violation';
            END IF;
        END IF;
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
       SET status = 'CAPTURED', operator_account_id = p_operator_account_id, usage_entry_id = v_usage_entry,
           resolved_at = now()
     WHERE job_id = p_job_id;
    RETURN QUERY SELECT 'CAPTURED'::TEXT, v_usage_entry, v_hold.amount;
END
$$;

/* [jooq ignore stop] */
