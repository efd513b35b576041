-- Prices creators can see, pay for delivered work, typed retries elsewhere, fair share (issue 14).
-- See docs/pricing.md.

-- The tier multiplies the price and orders the queue (priority, then standard, then economy).
ALTER TABLE jobs ADD COLUMN tier VARCHAR(16) NOT NULL DEFAULT 'standard'
    CHECK (tier IN ('economy', 'standard', 'priority'));
-- What the job's settlements captured so far (ten-thousandths); null until its first settlement.
ALTER TABLE jobs ADD COLUMN charged BIGINT CHECK (charged >= 0);
-- Manual retries of a FAILED job: each round has its own hold (round 0's is keyed by the job id).
ALTER TABLE jobs ADD COLUMN hold_round INTEGER NOT NULL DEFAULT 0 CHECK (hold_round >= 0 AND hold_round <= 1000);
-- The price held by the current round (round 0: the job's price).
ALTER TABLE jobs ADD COLUMN round_price BIGINT CHECK (round_price >= 0);
-- The frames (or tasks) the current round runs, of which the delivered share is captured.
ALTER TABLE jobs ADD COLUMN round_units INTEGER CHECK (round_units >= 1);
-- Units (frames, or tasks) already delivered when the current round began: not charged again.
ALTER TABLE jobs ADD COLUMN round_base INTEGER NOT NULL DEFAULT 0 CHECK (round_base >= 0);

-- Queue keys: the tier (2 priority, 1 standard, 0 economy) and the job's owner (fair share).
ALTER TABLE job_tasks ADD COLUMN tier_rank SMALLINT NOT NULL DEFAULT 1 CHECK (tier_rank BETWEEN 0 AND 2);
ALTER TABLE job_tasks ADD COLUMN user_id UUID;
-- A retried task waits until then (exponential backoff with jitter); null: at once.
ALTER TABLE job_tasks ADD COLUMN not_before TIMESTAMPTZ;
-- Nodes on which the task failed: avoided while another eligible node exists.
ALTER TABLE job_tasks ADD COLUMN failed_nodes UUID[] NOT NULL DEFAULT '{}';

UPDATE job_tasks t SET user_id = j.user_id FROM jobs j WHERE j.id = t.job_id;
ALTER TABLE job_tasks ALTER COLUMN user_id SET NOT NULL;

-- A partial capture: the delivered share of the hold is captured, the rest returns to the user.
ALTER TABLE credit_holds ADD COLUMN captured BIGINT CHECK (captured >= 0);

/* [jooq ignore start] */
ALTER TABLE credit_holds ADD CONSTRAINT credit_holds_captured_bounded CHECK (captured IS NULL OR captured <= amount);

-- A FAILED or CANCELLED job captures the frames it delivered (CAPTURED), or releases all (RELEASED).
ALTER TABLE jobs DROP CONSTRAINT jobs_settlement_matches_status;
ALTER TABLE jobs ADD CONSTRAINT jobs_settlement_matches_status CHECK (
    CASE
        WHEN status IN ('QUEUED', 'DISPATCHED', 'RUNNING') THEN settlement IN ('NONE', 'HOLD_PENDING', 'HELD')
        WHEN status = 'COMPLETED' THEN settlement IN ('NONE', 'CAPTURE_PENDING', 'CAPTURED')
        ELSE settlement IN ('NONE', 'RELEASE_PENDING', 'RELEASED', 'CAPTURE_PENDING', 'CAPTURED')
    END);

DROP INDEX job_tasks_queue;
CREATE INDEX job_tasks_queue ON job_tasks (tier_rank DESC, priority_rank DESC, queued_at, job_id, task_index)
    WHERE status = 'QUEUED';

-- Settles the job's ACTIVE hold in one step: captures p_capture (0..amount) as USAGE exactly
-- like credit_hold_capture (V11: the user's one "Job execution" row with reference = the hold's
-- key, each operator's share of the captured amount by its work, the platform the rest) and
-- returns the rest of the hold to the user. With p_capture = 0 nothing is posted and the hold is
-- RELEASED. Outcomes: CAPTURED / RELEASED (with the captured amount) or NOT_ACTIVE (nothing written).
CREATE FUNCTION credit_hold_settle(
    p_job_id UUID, p_owner_id UUID, p_job_holds_account_id UUID, p_platform_account_id UUID,
    p_operator_account_ids UUID[], p_operator_work BIGINT[], p_total_work BIGINT, p_operator_share_percent INTEGER,
    p_capture BIGINT)
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
       OR p_capture IS NULL OR p_capture < 0
       OR (SELECT coalesce(sum(w), 0) FROM unnest(p_operator_work) w) > p_total_work
       OR EXISTS (SELECT 1 FROM unnest(p_operator_work) w WHERE w IS NULL OR w <= 0)
       OR EXISTS (SELECT 1 FROM unnest(p_operator_account_ids) a WHERE a IS NULL)
       OR (SELECT count(DISTINCT a) FROM unnest(p_operator_account_ids) a) <> v_operators THEN
        RAISE EXCEPTION 'invalid settlement for job %', p_job_id USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO v_hold FROM credit_holds h WHERE h.job_id = p_job_id FOR UPDATE;
    IF NOT FOUND OR v_hold.status <> 'ACTIVE' THEN
        RETURN QUERY SELECT 'NOT_ACTIVE'::TEXT, NULL::UUID, NULL::BIGINT;
        RETURN;
    END IF;
    IF p_capture > v_hold.amount THEN
        RAISE EXCEPTION 'job % captures % of a hold of %', p_job_id, p_capture, v_hold.amount
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE credit_accounts SET held = held - v_hold.amount WHERE id = v_hold.account_id
    RETURNING owner_id INTO v_owner;
    IF v_owner IS DISTINCT FROM p_owner_id THEN
        RAISE EXCEPTION 'the hold of job % belongs to another user', p_job_id USING ERRCODE = 'check_violation';
    END IF;
    IF p_capture > 0 THEN
        v_usage_entry := gen_random_uuid();
        PERFORM credit_post(gen_random_uuid(), v_hold.account_id, p_job_holds_account_id, p_capture, 'USAGE',
                            'JOB', v_hold.account_id, v_reference, 'Job execution', v_usage_entry, gen_random_uuid());
        IF NOT FOUND THEN
            RAISE EXCEPTION 'reference % already used on account %', v_reference, v_hold.account_id
                USING ERRCODE = 'unique_violation';
        END IF;
        FOR v_share IN
            SELECT s.account_id,
                   div(p_capture::NUMERIC * s.work * p_operator_share_percent, p_total_work::NUMERIC * 100)::BIGINT
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
        v_platform_share := p_capture - v_operator_total;
        IF v_platform_share > 0 THEN
            PERFORM credit_post(gen_random_uuid(), p_job_holds_account_id, p_platform_account_id, v_platform_share,
                                'USAGE', 'JOB', p_platform_account_id, v_reference, 'Platform fee',
                                gen_random_uuid(), gen_random_uuid());
            IF NOT FOUND THEN
                RAISE EXCEPTION 'reference % already used on account %', v_reference, p_platform_account_id
                    USING ERRCODE = 'unique_violation';
            END IF;
        END IF;
        UPDATE credit_holds
           SET status = 'CAPTURED', captured = p_capture,
               operator_account_id = CASE WHEN v_operators = 1 THEN p_operator_account_ids[1] END,
               usage_entry_id = v_usage_entry, resolved_at = now()
         WHERE job_id = p_job_id;
        RETURN QUERY SELECT 'CAPTURED'::TEXT, v_usage_entry, p_capture;
        RETURN;
    END IF;
    UPDATE credit_holds SET status = 'RELEASED', captured = 0, resolved_at = now() WHERE job_id = p_job_id;
    RETURN QUERY SELECT 'RELEASED'::TEXT, NULL::UUID, 0::BIGINT;
END
$$;
/* [jooq ignore stop] */
