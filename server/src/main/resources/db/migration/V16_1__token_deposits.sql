-- Credits bought with ERC-20 tokens: the ledger learns the chain's accounts and sources, each user
-- gets a deposit reference, and every Deposit log seen is recorded once.

-- The ledger: CHAIN_CLEARING mirrors tokens (negative by the credits that entered as deposits, back
-- up by the payouts that left), PAYOUTS_CLEARING holds operator payouts on their way out; source
-- DEPOSIT; origins CHAIN (a Deposit log, reference "<tx hash>:<log index>") and PAYOUT (a payout,
-- reference its id). The three CHECKs are extended with whatever values they hold now, so this
-- migration adds to, and never drops, values another migration added.
CREATE FUNCTION pg_temp.rt_extend_check(p_table TEXT, p_constraint TEXT, p_expression TEXT, p_values TEXT[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_definition TEXT;
  v_values TEXT[];
BEGIN
  SELECT pg_get_constraintdef(oid) INTO v_definition FROM pg_constraint
   WHERE conrelid = p_table::regclass AND conname = p_constraint;
  IF v_definition IS NULL THEN
    RAISE EXCEPTION 'constraint % of % not found', p_constraint, p_table;
  END IF;
  SELECT array_agg(DISTINCT v ORDER BY v) INTO v_values
    FROM (SELECT (regexp_matches(v_definition, '''([A-Z_]+)''', 'g'))[1] AS v
          UNION SELECT unnest(p_values)) all_values;
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', p_table, p_constraint);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (' || p_expression || ')', p_table, p_constraint,
                 (SELECT string_agg(quote_literal(v), ', ') FROM unnest(v_values) v));
END $$;

SELECT pg_temp.rt_extend_check('credit_accounts', 'credit_accounts_kind_check', 'kind IN (%s)',
                               ARRAY['CHAIN_CLEARING', 'PAYOUTS_CLEARING']);
SELECT pg_temp.rt_extend_check('credit_accounts', 'credit_accounts_no_overdraft', 'kind IN (%s) OR balance - held >= 0',
                               ARRAY['CHAIN_CLEARING']);
SELECT pg_temp.rt_extend_check('credit_transfers', 'credit_transfers_source_check', 'source IN (%s)',
                               ARRAY['DEPOSIT']);
SELECT pg_temp.rt_extend_check('credit_transfers', 'credit_transfers_origin_check', 'origin IN (%s)',
                               ARRAY['CHAIN', 'PAYOUT']);

-- The two system accounts, with fixed ids like V3's (kind 5 and 6, shard 0).
INSERT INTO credit_accounts (id, kind, owner_id) VALUES
    ('00000000-0000-0000-0005-000000000000', 'CHAIN_CLEARING', '00000000-0000-0000-0000-000000000000'),
    ('00000000-0000-0000-0006-000000000000', 'PAYOUTS_CLEARING', '00000000-0000-0000-0000-000000000000');

-- The token and deposit contracts the server deployed itself (development), per chain: a
-- restart reuses them, a reset chain (new genesis) gets new ones.
CREATE TABLE token_contracts (
    chain_id          BIGINT      NOT NULL,
    genesis_hash      VARCHAR(66) NOT NULL,
    token_address     VARCHAR(42) NOT NULL,
    deposit_contract  VARCHAR(42) NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, genesis_hash)
);

-- Each user's deposit reference: the bytes32 they pass to deposit(reference, amount). Random, so
-- it tells nothing about the user; made on first use.
CREATE TABLE deposit_references (
    user_id     UUID        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reference   VARCHAR(66) NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT deposit_references_reference_key UNIQUE (reference),
    CONSTRAINT deposit_references_reference_hex CHECK (reference ~ '^0x[0-9a-f]{64}$')
);

-- Where the deposit watcher goes on, per deposit contract: every block below next_block is
-- settled (its logs are recorded and at least `confirmations` deep).
CREATE TABLE deposit_cursors (
    deposit_contract  VARCHAR(42) PRIMARY KEY,
    next_block        BIGINT      NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT deposit_cursors_next_block_check CHECK (next_block >= 0)
);

-- Every Deposit log seen, once per (tx hash, log index). PENDING until `confirmations` blocks
-- deep; then CONFIRMED (credited, credit_entry_id set), UNKNOWN_REFERENCE (no user has the
-- reference: recorded and alerted, never credited), TOO_SMALL (worth less than 0.0001 credits)
-- or REORGED (its block left the chain first; PENDING again if the log reappears).
CREATE TABLE deposits (
    tx_hash           VARCHAR(66)  NOT NULL,
    log_index         BIGINT       NOT NULL,
    deposit_contract  VARCHAR(42)  NOT NULL,
    block_number      BIGINT       NOT NULL,
    block_hash        VARCHAR(66)  NOT NULL,
    reference         VARCHAR(66)  NOT NULL,
    from_address      VARCHAR(42)  NOT NULL,
    token_amount      NUMERIC(78)  NOT NULL,
    user_id           UUID,
    credits           BIGINT,
    status            VARCHAR(20)  NOT NULL DEFAULT 'PENDING',
    credit_entry_id   UUID,
    created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
    settled_at        TIMESTAMPTZ,
    PRIMARY KEY (tx_hash, log_index),
    CONSTRAINT deposits_status_check
        CHECK (status IN ('PENDING', 'CONFIRMED', 'REORGED', 'UNKNOWN_REFERENCE', 'TOO_SMALL')),
    CONSTRAINT deposits_amount_check CHECK (token_amount > 0),
    CONSTRAINT deposits_credited_iff_confirmed CHECK ((status = 'CONFIRMED') = (credit_entry_id IS NOT NULL))
);

CREATE INDEX deposits_user ON deposits (user_id, created_at);
CREATE INDEX deposits_pending ON deposits (block_number) WHERE status = 'PENDING';
