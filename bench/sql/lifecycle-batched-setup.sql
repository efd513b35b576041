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

-- Set-based posting (credit_apply_legs) is migration V19 now, as the server's batched captures use it.
