-- Webhooks to creators (owned by the webhooks feature, docs/webhooks.md). An endpoint subscribes
-- to event types; an event is stored once with the exact body every delivery of it POSTs; a
-- delivery (one endpoint, one event) is an outbox row that replicas lease with
-- FOR UPDATE SKIP LOCKED, so each attempt is made by one replica only.

CREATE TABLE webhook_endpoints (
    id                     UUID           PRIMARY KEY,
    user_id                UUID           NOT NULL,
    url                    VARCHAR(2048)  NOT NULL,
    events                 VARCHAR(64)[]  NOT NULL,
    description            VARCHAR(500)   NOT NULL,
    -- The signing secret ("whsec_..."); after a rotation the previous one signs too until it expires.
    secret                 VARCHAR(100)   NOT NULL,
    previous_secret        VARCHAR(100),
    previous_expires_at    TIMESTAMPTZ,
    enabled                BOOLEAN        NOT NULL,
    -- First failed attempt since the last success (null: not failing); disabled after RT_WEBHOOK_DISABLE_AFTER_HOURS.
    failing_since          TIMESTAMPTZ,
    disabled_at            TIMESTAMPTZ,
    created_at             TIMESTAMPTZ    NOT NULL
);

CREATE INDEX webhook_endpoints_by_user ON webhook_endpoints (user_id, created_at DESC, id DESC);

CREATE TABLE webhook_events (
    -- "evt_" + 32 hex digits: the stable id every delivery and redelivery of the event carries.
    id                 VARCHAR(40)    PRIMARY KEY,
    user_id            UUID           NOT NULL,
    type               VARCHAR(64)    NOT NULL,
    -- The exact JSON body POSTed: {"id","type","created_at","data"}.
    body               TEXT           NOT NULL,
    -- The global id of the job event it was made from (null for webhook.test): feeding twice is a no-op.
    source_event_id    BIGINT         UNIQUE,
    created_at         TIMESTAMPTZ    NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                 UUID           PRIMARY KEY,
    endpoint_id        UUID           NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id           VARCHAR(40)    NOT NULL REFERENCES webhook_events (id),
    status             VARCHAR(16)    NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    -- Attempts started so far; a lease increments it, so an attempt number is made once (the fencing token).
    attempts           INTEGER        NOT NULL CHECK (attempts >= 0),
    -- PENDING: when the next attempt is due; while leased, when the lease runs out.
    next_attempt_at    TIMESTAMPTZ    NOT NULL,
    -- Retries stop here: a failed attempt after it makes the delivery FAILED.
    retry_until        TIMESTAMPTZ    NOT NULL,
    response_status    INTEGER,
    last_error         VARCHAR(500),
    created_at         TIMESTAMPTZ    NOT NULL,
    finished_at        TIMESTAMPTZ
);

CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
/* [jooq ignore start] */
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
/* [jooq ignore stop] */

-- Where each follower of the job event feed stands (one row per feed name); a follower holds its
-- row's lock while it advances, so replicas never feed the same range twice at once.
CREATE TABLE webhook_feed_cursors (
    name               VARCHAR(64)    PRIMARY KEY,
    position           BIGINT         NOT NULL,
    updated_at         TIMESTAMPTZ    NOT NULL
);
