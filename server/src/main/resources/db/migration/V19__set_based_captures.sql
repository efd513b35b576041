-- Set-based posting for batches of captures (issue 19). Through credit_entry_post every ledger
-- entry updates its account on its own: a batch of 64 captures updated its job_holds shards about
-- 200 times, each a new row version under a lock held to the commit. credit_apply_legs applies a
-- batch of legs instead: each touched account moves once, by the sum of its legs, and the entries
-- are numbered from the ledger sequence in leg order with balance_after computed per account in
-- that order, exactly what the row trigger would have written one by one. credit_holds_capture_all
-- settles a batch of jobs' holds with it (CompletionBatch). The single postings are unchanged.

-- jOOQ's DDL parser (code generation) does not read PL/pgSQL; the application calls these by SQL.
/* [jooq ignore start] */

-- The order every multi-account posting locks accounts in: user accounts first, then the system
-- accounts a capture passes through in the order credit_hold_settle posts to them, each kind in id
-- order. Two postings that both follow it never wait for each other in a cycle.
CREATE FUNCTION credit_lock_rank(p_kind VARCHAR) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_kind WHEN 'USER' THEN 0 WHEN 'JOB_HOLDS' THEN 1 WHEN 'OPERATOR_EARNINGS' THEN 2
                       WHEN 'PLATFORM_REVENUE' THEN 3 ELSE 4 END
$$;

-- As V3, except that a balance may also move while credit_apply_legs applies its legs (a
-- transaction-local setting it turns on and off around its one UPDATE of the accounts).
CREATE OR REPLACE FUNCTION credit_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.balance <> 0 OR NEW.held <> 0 THEN
            RAISE EXCEPTION 'credit account % must open with balance 0', NEW.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'credit accounts are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.owner_id <> OLD.owner_id OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'credit account % identity is immutable', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.balance <> OLD.balance AND pg_trigger_depth() < 2
       AND current_setting('rendertrust.applying_legs', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'credit account balances change only by posting entries' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

-- The entries credit_apply_legs inserts were applied by it already; every other insert still
-- goes through the row trigger.
DROP TRIGGER credit_entries_post ON credit_entries;
CREATE TRIGGER credit_entries_post BEFORE INSERT ON credit_entries
    FOR EACH ROW WHEN (current_setting('rendertrust.applying_legs', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION credit_entry_post();

-- Applies a batch of legs (entry id, transfer, account, signed amount; in the order they are to
-- be numbered). Checks every leg against its transfer in one query first (the row trigger's
-- check), locks the touched accounts (credit_lock_rank order), moves each once by the sum of its
-- legs, and inserts the entries numbered in leg order, balance_after being each account's running
-- balance in that order. The deferred credit_transfer_check_balanced still makes each transfer
-- commit only with both legs, and the accounts' CHECKs see each final balance. Returns the count.
CREATE FUNCTION credit_apply_legs(p_entry_ids UUID[], p_transfer_ids UUID[], p_account_ids UUID[], p_amounts BIGINT[])
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    v_legs INTEGER := coalesce(cardinality(p_entry_ids), 0);
    v_bad UUID;
    v_count INTEGER;
BEGIN
    IF coalesce(cardinality(p_transfer_ids), 0) <> v_legs OR coalesce(cardinality(p_account_ids), 0) <> v_legs
       OR coalesce(cardinality(p_amounts), 0) <> v_legs THEN
        RAISE EXCEPTION 'a batch of legs needs as many transfers, accounts and amounts as entries'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_legs = 0 THEN
        RETURN 0;
    END IF;
    SELECT l.entry_id INTO v_bad
      FROM unnest(p_entry_ids, p_transfer_ids, p_account_ids, p_amounts) AS l (entry_id, transfer_id, account_id, amount)
      LEFT JOIN credit_transfers t ON t.id = l.transfer_id
     WHERE t.id IS NULL OR l.entry_id IS NULL
        OR NOT ((l.account_id = t.debit_account_id AND l.amount = -t.amount)
             OR (l.account_id = t.credit_account_id AND l.amount = t.amount))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % is not a leg of its transfer', v_bad USING ERRCODE = 'check_violation';
    END IF;
    -- the transaction has an id before it takes a number (LedgerSealHorizon; see credit_entry_post)
    PERFORM pg_current_xact_id();
    PERFORM 1 FROM credit_accounts a WHERE a.id = ANY (p_account_ids) ORDER BY credit_lock_rank(a.kind), a.id FOR UPDATE;
    PERFORM set_config('rendertrust.applying_legs', 'on', true);
    WITH legs AS (
           SELECT l.*, sum(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.ord) AS running,
                  sum(l.amount) OVER (PARTITION BY l.account_id) AS delta
             FROM unnest(p_entry_ids, p_transfer_ids, p_account_ids, p_amounts) WITH ORDINALITY
                  AS l (entry_id, transfer_id, account_id, amount, ord)),
         moved AS (
           UPDATE credit_accounts a SET balance = a.balance + d.delta
             FROM (SELECT DISTINCT account_id, delta FROM legs) d
            WHERE a.id = d.account_id
           RETURNING a.id, a.balance),
         numbered AS (
           SELECT legs.*, nextval('credit_entry_sequence') AS seq
             FROM (SELECT * FROM legs ORDER BY ord) legs)
    INSERT INTO credit_entries (id, seq, transfer_id, account_id, amount, balance_after)
    SELECT n.entry_id, n.seq, n.transfer_id, n.account_id, n.amount, m.balance - n.delta + n.running
      FROM numbered n JOIN moved m ON m.id = n.account_id
     ORDER BY n.ord;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    PERFORM set_config('rendertrust.applying_legs', 'off', true);
    IF v_count <> v_legs THEN
        RAISE EXCEPTION 'applied % of % legs (an unknown account?)', v_count, v_legs
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN v_count;
END
$$;

-- Settles a batch of ACTIVE holds in full, each for one operator (or none): for each job exactly
-- what credit_hold_settle writes for a one-operator split (the user's "Job execution" transfer to
-- the job_holds shard, the operator's share of it, the platform the rest, each reference = the
-- hold's key; a capture of 0 releases the hold), but set-based: holds locked in key order, then the
-- user accounts, then every transfer in one INSERT, the legs through credit_apply_legs and every
-- hold in one UPDATE. Arrays are per job, in the order to lock (the caller sorts them by key).
-- Answers one row per job in input order: CAPTURED, RELEASED (capture 0) or NOT_ACTIVE (no hold,
-- or resolved before: nothing written for it; the caller answers it from the hold).
CREATE FUNCTION credit_holds_capture_all(
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
           SELECT gen_random_uuid() AS id, b.hold_key, b.ord, t.n, t.debit_id, t.credit_id, t.amount,
                  t.reference_account_id, t.description,
                  gen_random_uuid() AS reference_entry_id, gen_random_uuid() AS other_entry_id
             FROM batch b
             CROSS JOIN LATERAL (VALUES
                 (1, b.user_account_id, b.shard_id, b.capture, b.user_account_id, 'Job execution'),
                 (2, b.shard_id, b.operator_account_id, b.operator_share, b.operator_account_id, 'Operator earnings'),
                 (3, b.shard_id, b.platform_id, b.capture - b.operator_share, b.platform_id, 'Platform fee'))
                 AS t (n, debit_id, credit_id, amount, reference_account_id, description)
            WHERE t.amount > 0),
         posted AS (
           INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,
                                         reference_account_id, reference_id, description)
           SELECT t.id, t.debit_id, t.credit_id, t.amount, 'USAGE', 'JOB', t.reference_account_id, t.hold_key::TEXT,
                  t.description
             FROM transfers t ORDER BY t.ord, t.n),
         released AS (
           UPDATE credit_accounts a SET held = a.held - s.held
             FROM (SELECT user_account_id, sum(held) AS held FROM batch GROUP BY user_account_id) s
            WHERE a.id = s.user_account_id)
    SELECT (SELECT array_agg(b.hold_key ORDER BY b.ord) FROM batch b),
           (SELECT array_agg(u.reference_entry_id ORDER BY b.ord)
              FROM batch b LEFT JOIN transfers u ON u.hold_key = b.hold_key AND u.n = 1),
           array_agg(l.entry_id ORDER BY t.ord, t.n, l.leg), array_agg(t.id ORDER BY t.ord, t.n, l.leg),
           array_agg(l.account_id ORDER BY t.ord, t.n, l.leg), array_agg(l.amount ORDER BY t.ord, t.n, l.leg)
      INTO v_resolved, v_usage_entries, v_entry_ids, v_transfer_ids, v_account_ids, v_amounts
      FROM transfers t
     CROSS JOIN LATERAL (VALUES
         (1, t.reference_entry_id, t.reference_account_id,
          CASE WHEN t.reference_account_id = t.debit_id THEN -t.amount ELSE t.amount END),
         (2, t.other_entry_id, CASE WHEN t.reference_account_id = t.debit_id THEN t.credit_id ELSE t.debit_id END,
          CASE WHEN t.reference_account_id = t.debit_id THEN t.amount ELSE -t.amount END))
         AS l (leg, entry_id, account_id, amount);
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
