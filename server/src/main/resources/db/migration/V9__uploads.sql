-- Creators' uploaded inputs (owned by the uploads feature). A row is declared PENDING with its
-- size and SHA-256; `complete` checks the stored bytes against them (READY, or FAILED with the
-- bytes deleted). PENDING rows expire and are swept with their bytes; DELETED rows stay listed.

CREATE TABLE uploads (
    id            UUID          PRIMARY KEY,
    user_id       UUID          NOT NULL,
    filename      VARCHAR(255)  NOT NULL CHECK (length(filename) > 0),
    size_bytes    BIGINT        NOT NULL CHECK (size_bytes > 0),
    sha256        CHAR(64)      NOT NULL,
    content_type  VARCHAR(255)  NOT NULL,
    status        VARCHAR(16)   NOT NULL CHECK (status IN ('PENDING', 'READY', 'FAILED', 'DELETED')),
    -- Where the bytes live in the object store; chosen by the server, never by the client.
    object_key    VARCHAR(512)  NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ   NOT NULL,
    expires_at    TIMESTAMPTZ   NOT NULL,
    completed_at  TIMESTAMPTZ,
    CONSTRAINT uploads_completed_at CHECK ((status = 'PENDING') = (completed_at IS NULL) OR status = 'DELETED')
);

CREATE INDEX uploads_by_user ON uploads (user_id, created_at DESC, id DESC);

/* [jooq ignore start] */
ALTER TABLE uploads ADD CONSTRAINT uploads_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$');
-- The quota sums a user's live uploads; the sweeper scans expired PENDING ones.
CREATE INDEX uploads_live_by_user ON uploads (user_id) INCLUDE (size_bytes) WHERE status IN ('PENDING', 'READY');
CREATE INDEX uploads_pending_expiry ON uploads (expires_at) WHERE status = 'PENDING';
/* [jooq ignore stop] */

-- Owned by the jobs feature: the upload a job uses as its input (null: none). Added here so
-- that uploads can refuse to delete an input an unfinished job still uses.
ALTER TABLE jobs ADD COLUMN input_id UUID REFERENCES uploads (id);
/* [jooq ignore start] */
CREATE INDEX jobs_by_input ON jobs (input_id) WHERE input_id IS NOT NULL;
/* [jooq ignore stop] */
