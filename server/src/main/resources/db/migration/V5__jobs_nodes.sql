-- Nodes, jobs and their assignments. Postgres is the queue and the truth: every state a job or
-- node can be in is a row here, guarded by CHECK constraints, so a replica crash loses nothing.
-- (user ids are not foreign keys yet: the users table arrives with the identity migration.)

CREATE TABLE nodes (
    id                       UUID             PRIMARY KEY,
    name                     VARCHAR(255)     NOT NULL CHECK (length(name) > 0),
    -- The PEM as registered, and the raw 32-byte key (hex): the key is the node's identity.
    public_key               VARCHAR(1000)    NOT NULL,
    public_key_raw           VARCHAR(64)      NOT NULL UNIQUE CHECK (length(public_key_raw) = 64),
    capabilities             VARCHAR(100)[]   NOT NULL,
    has_gpu                  BOOLEAN          NOT NULL DEFAULT FALSE,
    metadata                 JSONB            NOT NULL,
    status                   VARCHAR(16)      NOT NULL DEFAULT 'REGISTERED'
        CHECK (status IN ('REGISTERED', 'HEALTHY', 'UNHEALTHY', 'OFFLINE')),
    -- True once the holder of the private key signed the current registration's challenge.
    verified                 BOOLEAN          NOT NULL DEFAULT FALSE,
    verified_at              TIMESTAMPTZ,
    -- One-time challenge (64 hex) with its expiry; consumed by the first proof attempt.
    challenge                VARCHAR(64),
    challenge_expires_at     TIMESTAMPTZ,
    -- Operator named by the registration that issued the pending challenge; applied on proof,
    -- so re-registering someone else's key cannot redirect that node's earnings.
    pending_operator_user_id UUID,
    operator_user_id         UUID,
    consecutive_failures     INTEGER          NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    unhealthy_since          TIMESTAMPTZ,
    last_heartbeat_at        TIMESTAMPTZ,
    current_load             DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (current_load BETWEEN 0 AND 1),
    slots                    INTEGER          NOT NULL DEFAULT 1 CHECK (slots BETWEEN 1 AND 256),
    -- Jobs DISPATCHED or RUNNING on this node; maintained in the same transactions as the jobs.
    active_jobs              INTEGER          NOT NULL DEFAULT 0 CHECK (active_jobs >= 0),
    -- The Connect stream currently holding the node (null: no stream); a fencing token for streams.
    stream_session           UUID,
    connected_at             TIMESTAMPTZ,
    disconnected_at          TIMESTAMPTZ,
    agent_version            VARCHAR(64),
    created_at               TIMESTAMPTZ      NOT NULL,
    updated_at               TIMESTAMPTZ      NOT NULL,
    CONSTRAINT nodes_challenge_has_expiry CHECK ((challenge IS NULL) = (challenge_expires_at IS NULL)),
    CONSTRAINT nodes_unhealthy_since CHECK ((status = 'UNHEALTHY') = (unhealthy_since IS NOT NULL)),
    CONSTRAINT nodes_verified_at CHECK (verified = (verified_at IS NOT NULL))
);

CREATE TABLE jobs (
    id               UUID          PRIMARY KEY,
    user_id          UUID          NOT NULL,
    job_type         VARCHAR(100)  NOT NULL CHECK (length(job_type) > 0),
    payload_ref      VARCHAR(1000),
    payload          JSONB,
    priority         VARCHAR(8)    NOT NULL CHECK (priority IN ('low', 'normal', 'high')),
    -- Sort key of the queue (high first); derived from priority, kept in step by a CHECK.
    priority_rank    SMALLINT      NOT NULL,
    gpu_required     BOOLEAN       NOT NULL,
    status           VARCHAR(16)   NOT NULL
        CHECK (status IN ('QUEUED', 'DISPATCHED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    node_id          UUID          REFERENCES nodes (id),
    -- The current (or last) assignment: the fencing token every node frame about the job echoes.
    assignment_id    UUID,
    retry_count      INTEGER       NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
    error_message    VARCHAR(1000),
    result_ref       VARCHAR(1000),
    -- Price in ten-thousandths of a credit, fixed at submission.
    price            BIGINT        NOT NULL CHECK (price >= 0),
    -- Where the job's money stands; *_PENDING rows are settled (again) by the sweeper until done.
    settlement       VARCHAR(16)   NOT NULL
        CHECK (settlement IN ('NONE', 'HOLD_PENDING', 'HELD', 'CAPTURE_PENDING', 'CAPTURED',
                              'RELEASE_PENDING', 'RELEASED')),
    idempotency_key  VARCHAR(255),
    -- SHA-256 of the submission, to tell an identical retry from a conflicting reuse of a key.
    request_hash     VARCHAR(64)   NOT NULL,
    -- The answer the first submission got, returned again to identical retries.
    first_status     VARCHAR(16),
    first_node_id    UUID,
    queued_at        TIMESTAMPTZ,
    dispatched_at    TIMESTAMPTZ,
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    -- When the current assignment must have reported its result (dispatch + max run time).
    deadline         TIMESTAMPTZ,
    created_at       TIMESTAMPTZ   NOT NULL,
    updated_at       TIMESTAMPTZ   NOT NULL,
    CONSTRAINT jobs_idempotency_key_per_user UNIQUE (user_id, idempotency_key),
    CONSTRAINT jobs_priority_rank CHECK (
        priority_rank = CASE priority WHEN 'low' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END),
    CONSTRAINT jobs_active_has_assignment CHECK (
        status NOT IN ('DISPATCHED', 'RUNNING')
        OR (node_id IS NOT NULL AND assignment_id IS NOT NULL AND dispatched_at IS NOT NULL
            AND deadline IS NOT NULL)),
    CONSTRAINT jobs_queued_unassigned CHECK (status <> 'QUEUED' OR assignment_id IS NULL),
    CONSTRAINT jobs_running_started CHECK (status <> 'RUNNING' OR started_at IS NOT NULL),
    CONSTRAINT jobs_completed_has_result CHECK (status <> 'COMPLETED' OR result_ref IS NOT NULL),
    CONSTRAINT jobs_terminal_completed_at CHECK (
        (status IN ('COMPLETED', 'FAILED', 'CANCELLED')) = (completed_at IS NOT NULL)),
    CONSTRAINT jobs_settlement_matches_status CHECK (
        CASE
            WHEN status IN ('QUEUED', 'DISPATCHED', 'RUNNING') THEN settlement IN ('NONE', 'HOLD_PENDING', 'HELD')
            WHEN status = 'COMPLETED' THEN settlement IN ('NONE', 'CAPTURE_PENDING', 'CAPTURED')
            ELSE settlement IN ('NONE', 'RELEASE_PENDING', 'RELEASED')
        END),
    CONSTRAINT jobs_free_jobs_not_billed CHECK (price > 0 OR settlement = 'NONE'),
    CONSTRAINT jobs_retry_count_bounded CHECK (retry_count <= 100)
);

-- Every hand-over of a job to a node. At most one open assignment per job (see the partial
-- unique index below): no job is ever run by two nodes at once.
CREATE TABLE job_assignments (
    id          UUID         PRIMARY KEY,
    job_id      UUID         NOT NULL REFERENCES jobs (id),
    node_id     UUID         NOT NULL REFERENCES nodes (id),
    created_at  TIMESTAMPTZ  NOT NULL,
    ended_at    TIMESTAMPTZ,
    outcome     VARCHAR(16)
        CHECK (outcome IN ('COMPLETED', 'FAILED', 'CANCELLED', 'REQUEUED', 'DEAD_LETTERED')),
    CONSTRAINT job_assignments_ended CHECK ((ended_at IS NULL) = (outcome IS NULL))
);

CREATE INDEX jobs_by_user ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX job_assignments_by_job ON job_assignments (job_id);

/* [jooq ignore start] */
CREATE UNIQUE INDEX job_assignments_one_open_per_job ON job_assignments (job_id) WHERE ended_at IS NULL;
CREATE INDEX jobs_queue ON jobs (priority_rank DESC, queued_at, id) WHERE status = 'QUEUED';
CREATE INDEX jobs_active_by_node ON jobs (node_id) WHERE status IN ('DISPATCHED', 'RUNNING');
CREATE INDEX jobs_unsettled ON jobs (updated_at)
    WHERE settlement IN ('HOLD_PENDING', 'CAPTURE_PENDING', 'RELEASE_PENDING');
CREATE INDEX nodes_with_stream ON nodes (last_heartbeat_at) WHERE stream_session IS NOT NULL;
/* [jooq ignore stop] */
