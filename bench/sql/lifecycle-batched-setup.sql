-- Run once before bench/sql/lifecycle-batched.sql, in the ceiling's own database: the batched
-- design's settlement table, which is not in the server's migrations yet. One row per captured
-- job: its USAGE transfer, the shares it owes, and the accrual that paid them (NULL until then).
CREATE TABLE ceiling_settlements (
    job_id              UUID    PRIMARY KEY,
    usage_transfer_id   UUID    NOT NULL,
    shard_account_id    UUID    NOT NULL,
    operator_account_id UUID    NOT NULL,
    operator_share      BIGINT  NOT NULL CHECK (operator_share >= 0),
    platform_share      BIGINT  NOT NULL CHECK (platform_share >= 0),
    accrual_id          BIGINT
);
CREATE INDEX ceiling_settlements_unaccrued ON ceiling_settlements (job_id) WHERE accrual_id IS NULL;

-- Set-based posting, the design's change to the ledger's triggers. Today every entry is applied
-- by a row trigger: one UPDATE of its account per entry, so a batch of 64 captures updates each
-- job_holds shard 4 times on average, each a new row version under a lock held to the commit.
-- credit_apply_legs applies a whole batch of legs instead: it locks the touched accounts in id
-- order, moves each by the sum of its legs in one UPDATE, and inserts the entries numbered from
-- the ledger sequence in leg order, with balance_after computed per account in that order. It
-- checks every leg against its transfer in one query first (the row trigger's check, set-based),
-- and the deferred trigger still makes each transfer commit only with both legs. While it runs
-- (a transaction-local setting) the row trigger is skipped and the account guard lets balances
-- move; every other path is unchanged.
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

DROP TRIGGER credit_entries_post ON credit_entries;
CREATE TRIGGER credit_entries_post BEFORE INSERT ON credit_entries
    FOR EACH ROW WHEN (current_setting('rendertrust.applying_legs', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION credit_entry_post();

CREATE FUNCTION credit_apply_legs(p_entry_ids UUID[], p_transfer_ids UUID[], p_account_ids UUID[], p_amounts BIGINT[])
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    v_bad UUID;
    v_count INTEGER;
BEGIN
    SELECT l.entry_id INTO v_bad
      FROM unnest(p_entry_ids, p_transfer_ids, p_account_ids, p_amounts) AS l (entry_id, transfer_id, account_id, amount)
      LEFT JOIN credit_transfers t ON t.id = l.transfer_id
     WHERE t.id IS NULL
        OR NOT ((l.account_id = t.debit_account_id AND l.amount = -t.amount)
             OR (l.account_id = t.credit_account_id AND l.amount = t.amount))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % is not a leg of its transfer', v_bad USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('rendertrust.applying_legs', 'on', true);
    -- an id before the numbers (LedgerSealHorizon): the caller's writes gave it one already
    PERFORM pg_current_xact_id();
    PERFORM 1 FROM credit_accounts WHERE id = ANY (p_account_ids) ORDER BY id FOR UPDATE;
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
    IF v_count <> cardinality(p_entry_ids) THEN
        RAISE EXCEPTION 'applied % of % legs (an unknown account?)', v_count, cardinality(p_entry_ids)
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM set_config('rendertrust.applying_legs', 'off', true);
    RETURN v_count;
END
$$;
