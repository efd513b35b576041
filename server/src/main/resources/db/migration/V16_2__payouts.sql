-- Operator payouts: earnings paid out as an ERC-20 transfer from the treasury key. The amount
-- leaves the operator's earnings (to PAYOUTS_CLEARING) when the payout is asked for; the
-- transfer is signed and recorded here before it is broadcast, and resent with the same nonce
-- (the same bytes) until it is mined, so a payout is paid at most once whatever crashes.
CREATE TABLE payouts (
    id              UUID         PRIMARY KEY,
    operator_id     UUID         NOT NULL REFERENCES users (id),
    reference_id    VARCHAR(255) NOT NULL,
    amount          BIGINT       NOT NULL,
    token_amount    NUMERIC(78)  NOT NULL,
    wallet_address  VARCHAR(42)  NOT NULL,
    status          VARCHAR(16)  NOT NULL DEFAULT 'PENDING',
    tx_hash         VARCHAR(66),
    nonce           BIGINT,
    raw_tx          BYTEA,
    block_number    BIGINT,
    last_error      VARCHAR(500),
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT payouts_reference_key UNIQUE (operator_id, reference_id),
    CONSTRAINT payouts_amount_check CHECK (amount > 0 AND token_amount > 0),
    CONSTRAINT payouts_wallet_lower_hex CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
    CONSTRAINT payouts_status_check CHECK (status IN ('PENDING', 'SUBMITTED', 'CONFIRMED', 'FAILED')),
    -- once signed, a payout keeps its transaction: SUBMITTED and CONFIRMED always have one
    CONSTRAINT payouts_signed_when_sent CHECK (status IN ('PENDING', 'FAILED')
        OR (tx_hash IS NOT NULL AND nonce IS NOT NULL AND raw_tx IS NOT NULL))
);

CREATE INDEX payouts_operator ON payouts (operator_id, created_at);
CREATE INDEX payouts_open ON payouts (created_at) WHERE status IN ('PENDING', 'SUBMITTED');
