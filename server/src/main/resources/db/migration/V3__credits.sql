-- Credits: a double-entry ledger (accounts, transfers, entries), job holds, Stripe Checkout
-- records and the Stripe webhook inbox. Amounts are integer ten-thousandths of a credit
-- ("10.0000" on the wire is 100000 here).
--
-- Invariants the database itself enforces (the code checks them first, so a violation here is
-- a bug, never a normal outcome; credits.LedgerInvariants re-checks all of them in SQL):
--   * every transfer moves a positive amount between two different accounts and has exactly
--     two entries, -amount on the debit account and +amount on the credit account (checked at
--     commit), so the sum of all entries is 0;
--   * an account's balance changes only by posting an entry (a trigger applies it and records
--     balance_after under the account's row lock), so balance = sum of its entries;
--   * only the clearing accounts may go negative; everyone else keeps balance - held >= 0;
--   * entries and transfers are append-only (UPDATE, DELETE and TRUNCATE raise);
--   * an idempotency reference is unique per (account, source, origin);
--   * a hold resolves at most once (ACTIVE -> CAPTURED | RELEASED).
--
-- Accounts are keyed by (owner_id, kind) with no foreign key to users: system accounts use the
-- nil UUID as owner, operator earnings use the operator's id.

CREATE TABLE credit_accounts (
    id          UUID        PRIMARY KEY,
    kind        VARCHAR(32) NOT NULL,
    owner_id    UUID        NOT NULL,
    balance     BIGINT      NOT NULL DEFAULT 0,
    held        BIGINT      NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT credit_accounts_kind_check CHECK (kind IN
        ('USER', 'OPERATOR_EARNINGS', 'PLATFORM_REVENUE', 'JOB_HOLDS', 'STRIPE_CLEARING', 'ADJUSTMENTS')),
    CONSTRAINT credit_accounts_owner_kind_key UNIQUE (owner_id, kind),
    CONSTRAINT credit_accounts_held_check CHECK (held >= 0 AND (held = 0 OR kind = 'USER')),
    -- Clearing accounts mirror money that entered from outside (Stripe payments, grants), so
    -- they run negative by design; every other account can never be overdrawn.
    CONSTRAINT credit_accounts_no_overdraft CHECK (kind IN ('STRIPE_CLEARING', 'ADJUSTMENTS') OR balance - held >= 0)
);


CREATE TABLE credit_transfers (
    id                   UUID         PRIMARY KEY,
    -- No foreign keys on transfers and entries: their checks would take KEY SHARE locks on the
    -- hot system accounts on every posting. The entry trigger checks the same (a leg names its
    -- transfer and an existing account; accounts are never deleted) and the deferred trigger
    -- makes a transfer commit only with both legs.
    debit_account_id     UUID         NOT NULL,
    credit_account_id    UUID         NOT NULL,
    amount               BIGINT       NOT NULL,
    source               VARCHAR(16)  NOT NULL,
    -- Who made the reference: a client's Deduct (CLIENT), the jobs flow (JOB), a Stripe Checkout
    -- session (CHECKOUT) or an administrator (ADMIN). Part of the idempotency key, so a client
    -- cannot pre-empt a system reference by guessing it (e.g. deducting with a job's id).
    origin               VARCHAR(16)  NOT NULL,
    -- The account whose reference this is (the user's side); idempotency is per this account.
    reference_account_id UUID         NOT NULL,
    reference_id         VARCHAR(255),
    description          VARCHAR(500),
    created_at           TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT credit_transfers_amount_check CHECK (amount > 0),
    CONSTRAINT credit_transfers_distinct_accounts CHECK (debit_account_id <> credit_account_id),
    CONSTRAINT credit_transfers_source_check CHECK (source IN ('PURCHASE', 'USAGE', 'REFUND', 'ADJUSTMENT', 'PAYOUT')),
    CONSTRAINT credit_transfers_origin_check CHECK (origin IN ('CLIENT', 'JOB', 'CHECKOUT', 'ADMIN')),
    CONSTRAINT credit_transfers_reference_account_check
        CHECK (reference_account_id = debit_account_id OR reference_account_id = credit_account_id),
    -- NULL references are distinct in PostgreSQL: transfers without a reference never collide.
    CONSTRAINT credit_transfers_reference_key UNIQUE (reference_account_id, source, origin, reference_id)
);

CREATE TABLE credit_entries (
    id             UUID        PRIMARY KEY,
    -- Set by the insert trigger from credit_entry_sequence: increasing in allocation order, the
    -- order Merkle batching follows (see LedgerSealHorizon for late-committing transactions).
    seq            BIGINT      NOT NULL,
    transfer_id    UUID        NOT NULL,
    account_id     UUID        NOT NULL,
    -- Signed: positive credits the account, negative debits it.
    amount         BIGINT      NOT NULL,
    -- Set by the insert trigger: the account's balance right after this entry.
    balance_after  BIGINT      NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT credit_entries_seq_key UNIQUE (seq),
    CONSTRAINT credit_entries_amount_check CHECK (amount <> 0),
    CONSTRAINT credit_entries_one_leg_per_account UNIQUE (transfer_id, account_id)
);

CREATE INDEX credit_entries_account_history ON credit_entries (account_id, seq);

-- A job's price reserved at submit: counted in the user account's `held` while ACTIVE, posted as
-- USAGE when CAPTURED, returned to `available` when RELEASED. One hold per job.
CREATE TABLE credit_holds (
    job_id               UUID        PRIMARY KEY,
    account_id           UUID        NOT NULL REFERENCES credit_accounts (id),
    amount               BIGINT      NOT NULL,
    status               VARCHAR(16) NOT NULL,
    operator_account_id  UUID        REFERENCES credit_accounts (id),
    usage_entry_id       UUID        REFERENCES credit_entries (id),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at          TIMESTAMPTZ,
    CONSTRAINT credit_holds_amount_check CHECK (amount >= 0),
    CONSTRAINT credit_holds_status_check CHECK (status IN ('ACTIVE', 'CAPTURED', 'RELEASED')),
    CONSTRAINT credit_holds_resolution_check CHECK ((status = 'ACTIVE') = (resolved_at IS NULL)),
    CONSTRAINT credit_holds_capture_check
        CHECK (status = 'CAPTURED' OR (operator_account_id IS NULL AND usage_entry_id IS NULL))
);

-- One row per Checkout we start: the only source of what a paid session is worth. Its id is
-- also the Stripe idempotency key and travels in the session's metadata as checkout_id.
CREATE TABLE credit_checkouts (
    id                 UUID         PRIMARY KEY,
    user_id            UUID         NOT NULL,
    package_id         VARCHAR(32)  NOT NULL,
    credits            BIGINT       NOT NULL,
    price_cents        INTEGER      NOT NULL,
    currency           VARCHAR(3)   NOT NULL,
    stripe_session_id  VARCHAR(255),
    status             VARCHAR(16)  NOT NULL,
    purchase_entry_id  UUID         REFERENCES credit_entries (id),
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
    paid_at            TIMESTAMPTZ,
    CONSTRAINT credit_checkouts_session_key UNIQUE (stripe_session_id),
    CONSTRAINT credit_checkouts_credits_check CHECK (credits > 0),
    CONSTRAINT credit_checkouts_price_check CHECK (price_cents > 0),
    CONSTRAINT credit_checkouts_status_check CHECK (status IN
        ('CREATING', 'CREATE_FAILED', 'OPEN', 'PAID', 'PAYMENT_FAILED', 'EXPIRED')),
    CONSTRAINT credit_checkouts_paid_check
        CHECK ((status = 'PAID') = (paid_at IS NOT NULL AND purchase_entry_id IS NOT NULL))
);

CREATE INDEX credit_checkouts_user ON credit_checkouts (user_id);

-- The Stripe webhook inbox: each event id is stored once, in the transaction that applies it.
CREATE TABLE stripe_events (
    event_id     VARCHAR(255) PRIMARY KEY,
    type         VARCHAR(255) NOT NULL,
    livemode     BOOLEAN      NOT NULL,
    session_id   VARCHAR(255),
    outcome      VARCHAR(32)  NOT NULL,
    received_at  TIMESTAMPTZ  NOT NULL DEFAULT now()
);

/* [jooq ignore start] */

-- The system accounts (operator earnings and user accounts appear on first use). Every
-- deduction and every job capture credits platform revenue, and every capture passes through
-- job_holds: as single rows they would serialize all money movement of all users on one row
-- lock. So each is 16 shard accounts (owner id = the shard number, shard of a movement = its
-- user's id, see SystemAccounts); the kind's balance is the sum of its shards.
INSERT INTO credit_accounts (id, kind, owner_id)
SELECT ('00000000-0000-0000-' || prefix || '-' || lpad(to_hex(shard), 12, '0'))::uuid, kind,
       ('00000000-0000-0000-0000-' || lpad(to_hex(shard), 12, '0'))::uuid
  FROM (VALUES ('0001', 'PLATFORM_REVENUE', 16), ('0002', 'JOB_HOLDS', 16),
               ('0003', 'STRIPE_CLEARING', 1), ('0004', 'ADJUSTMENTS', 1)) AS system (prefix, kind, shards)
 CROSS JOIN LATERAL generate_series(0, shards - 1) AS shard;

-- CACHE 1: every value is allocated from the shared sequence, so its last_value is a bound on
-- every value any transaction holds (LedgerSealHorizon relies on that).
CREATE SEQUENCE credit_entry_sequence AS BIGINT START WITH 1 INCREMENT BY 1 CACHE 1 NO CYCLE;

-- Posts one entry: checks it is a leg of its transfer, applies it to the account balance under
-- the row lock, records balance_after and allocates its sequence number.
CREATE FUNCTION credit_entry_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t credit_transfers%ROWTYPE;
BEGIN
    SELECT * INTO t FROM credit_transfers WHERE id = NEW.transfer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger entry % names no transfer', NEW.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NOT ((NEW.account_id = t.debit_account_id AND NEW.amount = -t.amount)
         OR (NEW.account_id = t.credit_account_id AND NEW.amount = t.amount)) THEN
        RAISE EXCEPTION 'ledger entry % is not a leg of transfer %', NEW.id, NEW.transfer_id
            USING ERRCODE = 'check_violation';
    END IF;
    -- Lock and move the account first, number the entry second: an account's entries are then
    -- numbered in the order they were applied, so balance_after follows seq on every account.
    UPDATE credit_accounts SET balance = balance + NEW.amount
     WHERE id = NEW.account_id
     RETURNING balance INTO NEW.balance_after;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger entry % names no account', NEW.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- The transaction has an id before it takes a number (the UPDATE above assigned one; this
    -- makes the rule explicit): any transaction holding a number <= the sequence's last_value
    -- is then in every later snapshot's in-progress list until it ends (LedgerSealHorizon).
    PERFORM pg_current_xact_id();
    NEW.seq := nextval('credit_entry_sequence');
    RETURN NEW;
END
$$;

CREATE TRIGGER credit_entries_post BEFORE INSERT ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION credit_entry_post();

-- The one way the application posts: the transfer and both legs in one round trip, the
-- reference account's leg first (lock order: user accounts before system accounts). Returns
-- the reference leg, or no row when the reference is already taken (nothing is written then);
-- callers hold the reference account's row lock, so that answer cannot race.
CREATE FUNCTION credit_post(
    p_transfer_id UUID, p_debit_account_id UUID, p_credit_account_id UUID, p_amount BIGINT,
    p_source VARCHAR, p_origin VARCHAR, p_reference_account_id UUID, p_reference_id VARCHAR,
    p_description VARCHAR, p_reference_entry_id UUID, p_other_entry_id UUID)
RETURNS TABLE (entry_id UUID, entry_seq BIGINT, entry_balance_after BIGINT, entry_created_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO credit_transfers (id, debit_account_id, credit_account_id, amount, source, origin,
                                  reference_account_id, reference_id, description)
    VALUES (p_transfer_id, p_debit_account_id, p_credit_account_id, p_amount, p_source, p_origin,
            p_reference_account_id, p_reference_id, p_description)
    ON CONFLICT ON CONSTRAINT credit_transfers_reference_key DO NOTHING;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO credit_entries (id, transfer_id, account_id, amount) VALUES
        (p_reference_entry_id, p_transfer_id, p_reference_account_id,
         CASE WHEN p_reference_account_id = p_debit_account_id THEN -p_amount ELSE p_amount END),
        (p_other_entry_id, p_transfer_id,
         CASE WHEN p_reference_account_id = p_debit_account_id THEN p_credit_account_id ELSE p_debit_account_id END,
         CASE WHEN p_reference_account_id = p_debit_account_id THEN p_amount ELSE -p_amount END);
    RETURN QUERY SELECT e.id, e.seq, e.balance_after, e.created_at FROM credit_entries e WHERE e.id = p_reference_entry_id;
END
$$;

-- A user's spending in one round trip (the deduction hot path): lock the user's account, and
-- post user -> p_credit_account only if balance - held covers the amount. Outcomes:
-- POSTED (with the user's leg), INSUFFICIENT (with what is available), NO_ACCOUNT, or
-- REFERENCE_TAKEN (the reference was used before; nothing written). The caller answers
-- replays and conflicts from the stored transfer, whose reference is final by then.
CREATE FUNCTION credit_debit_user(
    p_owner_id UUID, p_credit_account_id UUID, p_amount BIGINT, p_source VARCHAR, p_origin VARCHAR,
    p_reference_id VARCHAR, p_description VARCHAR, p_transfer_id UUID, p_user_entry_id UUID, p_other_entry_id UUID)
RETURNS TABLE (outcome TEXT, available BIGINT, entry_seq BIGINT, entry_balance_after BIGINT,
               entry_created_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
    v_account UUID;
    v_available BIGINT;
    v_leg RECORD;
BEGIN
    SELECT a.id, a.balance - a.held INTO v_account, v_available
      FROM credit_accounts a WHERE a.owner_id = p_owner_id AND a.kind = 'USER' FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'NO_ACCOUNT'::TEXT, 0::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;
    IF v_available < p_amount THEN
        RETURN QUERY SELECT 'INSUFFICIENT'::TEXT, v_available, NULL::BIGINT, NULL::BIGINT, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;
    SELECT * INTO v_leg FROM credit_post(p_transfer_id, v_account, p_credit_account_id, p_amount, p_source, p_origin,
                                         v_account, p_reference_id, p_description, p_user_entry_id, p_other_entry_id);
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'REFERENCE_TAKEN'::TEXT, v_available, NULL::BIGINT, NULL::BIGINT, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'POSTED'::TEXT, v_available, v_leg.entry_seq, v_leg.entry_balance_after, v_leg.entry_created_at;
END
$$;

-- At commit every transfer has both legs (a leg alone would break the zero sum).
CREATE FUNCTION credit_transfer_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    legs INTEGER;
BEGIN
    SELECT count(*) INTO legs FROM credit_entries WHERE transfer_id = NEW.id;
    IF legs <> 2 THEN
        RAISE EXCEPTION 'transfer % has % entries, needs 2', NEW.id, legs USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER credit_transfers_balanced AFTER INSERT ON credit_transfers
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION credit_transfer_check_balanced();

CREATE FUNCTION credit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER credit_entries_append_only BEFORE UPDATE OR DELETE ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION credit_reject_change();
CREATE TRIGGER credit_entries_no_truncate BEFORE TRUNCATE ON credit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION credit_reject_change();
CREATE TRIGGER credit_transfers_append_only BEFORE UPDATE OR DELETE ON credit_transfers
    FOR EACH ROW EXECUTE FUNCTION credit_reject_change();
CREATE TRIGGER credit_transfers_no_truncate BEFORE TRUNCATE ON credit_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION credit_reject_change();

-- Accounts: identity is fixed, they are never deleted, they open at 0, and the balance moves
-- only through credit_entry_post (trigger depth 2), never by a direct UPDATE.
CREATE FUNCTION credit_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF NEW.balance <> OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'credit account balances change only by posting entries' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER credit_accounts_guard BEFORE INSERT OR UPDATE OR DELETE ON credit_accounts
    FOR EACH ROW EXECUTE FUNCTION credit_account_guard();

-- A hold resolves once; what it holds never changes.
CREATE FUNCTION credit_hold_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'credit holds are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status <> 'ACTIVE' OR NEW.job_id <> OLD.job_id OR NEW.account_id <> OLD.account_id
       OR NEW.amount <> OLD.amount THEN
        RAISE EXCEPTION 'hold for job % is already % or was altered', OLD.job_id, OLD.status
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER credit_holds_guard BEFORE UPDATE OR DELETE ON credit_holds
    FOR EACH ROW EXECUTE FUNCTION credit_hold_guard();

/* [jooq ignore stop] */
