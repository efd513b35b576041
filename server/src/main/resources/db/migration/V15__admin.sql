-- Administration (issue 18): the append-only audit of every admin call, the administrative
-- state of nodes (drained or disabled by an administrator, apart from their liveness status),
-- and the revocation reason of sessions ended by deactivating their user.

-- One row per admin RPC call, whatever its outcome. Append-only: the trigger below refuses
-- UPDATE, DELETE and TRUNCATE, so not even the server can rewrite what an administrator did.
CREATE TABLE admin_audit (
    id             UUID          PRIMARY KEY,
    admin_user_id  UUID          NOT NULL,
    -- The RPC, e.g. "AdjustCredits", "RefundJob", "DrainNode".
    action         VARCHAR(64)   NOT NULL CHECK (length(action) > 0),
    -- What it acted on: "user", "job" or "node", and its id as sent (null for list calls).
    target_type    VARCHAR(16),
    target_id      VARCHAR(255),
    -- The request's fields that matter (amount, reason, reference_id, filters), as JSON.
    details        JSONB         NOT NULL,
    -- "OK" or the error reason the call ended with, e.g. "NOT_FOUND".
    outcome        VARCHAR(64)   NOT NULL,
    created_at     TIMESTAMPTZ   NOT NULL DEFAULT now()
);

CREATE INDEX admin_audit_by_time ON admin_audit (created_at DESC, id);

-- Administrative state of a node: ACTIVE (schedulable when healthy), DRAINING (takes no new
-- tasks; running ones finish) or DISABLED (takes no new tasks until enabled again). Written
-- only by nodes.NodeService.
ALTER TABLE nodes ADD COLUMN admin_state VARCHAR(16) NOT NULL DEFAULT 'ACTIVE'
    CHECK (admin_state IN ('ACTIVE', 'DRAINING', 'DISABLED'));

ALTER TABLE refresh_families DROP CONSTRAINT refresh_families_reason_known;
ALTER TABLE refresh_families ADD CONSTRAINT refresh_families_reason_known
    CHECK (revoked_reason IS NULL OR revoked_reason IN ('logout', 'reuse_detected', 'deactivated'));

/* [jooq ignore start] */
CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER admin_audit_no_update_delete BEFORE UPDATE OR DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only();
CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_append_only();
/* [jooq ignore stop] */
