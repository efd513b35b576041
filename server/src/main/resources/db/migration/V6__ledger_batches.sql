-- Tamper-evident ledger, ledger side: which batch each sealed ledger entry is in, and where.
--
-- The sealer (ledger.LedgerSealer) writes these rows in the same transaction that inserts the
-- anchor_batches row, so an entry is in exactly one batch or in none: the primary key forbids a
-- second batch, and a batch's sequence range (anchor_batches.first_sequence..last_sequence,
-- never overlapping another) covers every leaf entry of that range (LedgerSealHorizon: no late
-- commit can add one afterwards). Leaves are the entries on USER accounts, the ones a user sees
-- in credit history and may ask a proof for; system-account legs are not leaves.
CREATE TABLE ledger_entry_batches (
    entry_id    UUID    PRIMARY KEY REFERENCES credit_entries (id),
    batch_id    BIGINT  NOT NULL REFERENCES anchor_batches (id),
    -- Position of the entry's leaf in the batch's tree (0-based, sequence order).
    leaf_index  INTEGER NOT NULL CHECK (leaf_index >= 0),
    CONSTRAINT ledger_entry_batches_position_key UNIQUE (batch_id, leaf_index)
);
