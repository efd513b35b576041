-- Tamper-evident ledger, anchoring side: sealed batches of ledger entries (their Merkle root and
-- leaf hashes) and the state of each batch's anchor on the EVM chain.
--
-- A batch moves PENDING -> SUBMITTED -> INCLUDED -> FINAL (README "How anchoring works"):
--   PENDING    sealed; no anchor transaction signed yet (or the last one reverted)
--   SUBMITTED  a signed transaction is recorded in anchor_transactions BEFORE it is broadcast
--   INCLUDED   its receipt is in block (block_number, block_hash); a reorg sends it back to SUBMITTED
--   FINAL      RT_ANCHOR_CONFIRMATIONS deep and the contract's rootOf(id) equals merkle_root
-- The batch id is the batchId under which the contract stores the root. Chain hashes and
-- addresses are stored as the chain prints them: 0x-prefixed lowercase hex.
CREATE TABLE anchor_batches (
    id                BIGSERIAL   PRIMARY KEY,
    merkle_root       BYTEA       NOT NULL,
    -- entry_count leaf hashes of 32 bytes end to end, in leaf order: any proof of the batch
    -- comes from these alone, and the root is recomputable from them.
    leaf_hashes       BYTEA       NOT NULL,
    entry_count       INTEGER     NOT NULL CHECK (entry_count > 0),
    first_sequence    BIGINT      NOT NULL,
    last_sequence     BIGINT      NOT NULL,
    status            TEXT        NOT NULL DEFAULT 'PENDING'
                                  CHECK (status IN ('PENDING', 'SUBMITTED', 'INCLUDED', 'FINAL')),
    -- The chain the anchor went to: id plus genesis block hash, so a reset chain (same id, new
    -- genesis) is recognised and its unfinished batches are halted, not silently redone.
    chain_id          BIGINT,
    genesis_hash      VARCHAR(66),
    contract_address  VARCHAR(42),
    tx_hash           VARCHAR(66),
    block_number      BIGINT,
    block_hash        VARCHAR(66),
    last_error        TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    submitted_at      TIMESTAMPTZ,
    anchored_at       TIMESTAMPTZ,
    -- Ledger sequences may have gaps (rolled-back transactions), never overlaps (see below).
    CHECK (first_sequence <= last_sequence AND last_sequence - first_sequence >= entry_count - 1),
    CHECK ((status = 'PENDING') = (tx_hash IS NULL)),
    CHECK (status = 'PENDING' OR (chain_id IS NOT NULL AND genesis_hash IS NOT NULL
                                  AND contract_address IS NOT NULL AND submitted_at IS NOT NULL)),
    CHECK ((status IN ('INCLUDED', 'FINAL')) = (block_number IS NOT NULL AND block_hash IS NOT NULL)),
    CHECK ((status = 'FINAL') = (anchored_at IS NOT NULL))
);

CREATE INDEX anchor_batches_created_at ON anchor_batches (created_at);

/* [jooq ignore start] */
ALTER TABLE anchor_batches
    ADD CONSTRAINT anchor_batches_root_is_sha256 CHECK (octet_length(merkle_root) = 32),
    ADD CONSTRAINT anchor_batches_leaves_match_count CHECK (octet_length(leaf_hashes) = 32 * entry_count),
    -- No ledger entry in two batches: sequence ranges never overlap.
    ADD CONSTRAINT anchor_batches_disjoint_sequences
        EXCLUDE USING gist (int8range(first_sequence, last_sequence, '[]') WITH &&);

-- The anchoring worker's scan: only batches that still have a state to advance.
CREATE INDEX anchor_batches_unfinished ON anchor_batches (id) WHERE status <> 'FINAL';
/* [jooq ignore stop] */

-- Every anchor transaction ever signed for a batch, written before it is broadcast, so a crash
-- at any point leaves the exact signed bytes to rebroadcast (same nonce, same hash) instead of
-- a second transaction. Replacements (fee bumps) reuse the nonce, so at most one can be mined.
CREATE TABLE anchor_transactions (
    tx_hash     VARCHAR(66)    PRIMARY KEY,
    batch_id    BIGINT         NOT NULL REFERENCES anchor_batches (id),
    nonce       BIGINT         NOT NULL CHECK (nonce >= 0),
    gas_price   NUMERIC(78, 0) NOT NULL CHECK (gas_price >= 0),
    raw         BYTEA          NOT NULL,
    created_at  TIMESTAMPTZ    NOT NULL
);

CREATE INDEX anchor_transactions_batch ON anchor_transactions (batch_id, created_at);

-- Anchor contracts this server deployed itself (RT_ANCHOR_CONTRACT unset, i.e. development),
-- per chain: a restart against the same chain reuses its contract, a reset chain (new genesis)
-- is recognised as a different chain.
CREATE TABLE anchor_contracts (
    chain_id          BIGINT      NOT NULL,
    genesis_hash      VARCHAR(66) NOT NULL,
    contract_address  VARCHAR(42) NOT NULL,
    deploy_tx_hash    VARCHAR(66) NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (chain_id, genesis_hash)
);
