-- Node identity: every RegisterNode call is a registration of its own. It holds the key it was
-- made for, its one-time challenge and the node's details as that call stated them; the node
-- token issued with it names the registration and the key. Nothing of a registration reaches its
-- node until the challenge is signed with that key, and its token is accepted by heartbeats and
-- streams only after that proof, and only while that key is still the node's (docs/security.md).
-- So knowing a node's public key (which is not a secret) gives no credential and changes nothing.

CREATE TABLE node_registrations (
    id                   UUID             PRIMARY KEY,
    node_id              UUID             NOT NULL REFERENCES nodes (id),
    -- The key this registration was made for, as registered (PEM) and raw (32 bytes, hex).
    public_key           VARCHAR(1000)    NOT NULL,
    public_key_raw       VARCHAR(64)      NOT NULL CHECK (length(public_key_raw) = 64),
    -- The node's details as this registration states them; applied to the node by the proof.
    name                 VARCHAR(255)     NOT NULL CHECK (length(name) > 0),
    capabilities         VARCHAR(100)[]   NOT NULL,
    metadata             JSONB            NOT NULL,
    -- The operator whose bearer came with the registration; linked to the node by the proof.
    operator_user_id     UUID,
    -- One-time challenge (64 hex); consumed (null) by the first proof attempt, whatever its outcome.
    challenge            VARCHAR(64),
    challenge_expires_at TIMESTAMPTZ      NOT NULL,
    proven_at            TIMESTAMPTZ,
    created_at           TIMESTAMPTZ      NOT NULL,
    CONSTRAINT node_registrations_proof_consumes_challenge CHECK (proven_at IS NULL OR challenge IS NULL)
);

CREATE INDEX node_registrations_by_node ON node_registrations (node_id, created_at);

-- The node row keeps only what proven registrations applied: the pending challenge and operator
-- now live in the registration that asked for them.
ALTER TABLE nodes DROP CONSTRAINT nodes_challenge_has_expiry;
ALTER TABLE nodes DROP COLUMN challenge;
ALTER TABLE nodes DROP COLUMN challenge_expires_at;
ALTER TABLE nodes DROP COLUMN pending_operator_user_id;
