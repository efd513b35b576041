-- Identity and access: accounts, refresh-token families (RFC 9700 rotation with reuse
-- detection), the durable access-token denylist, and API keys.

-- A creator account. The e-mail is stored normalised (trimmed, NFC, lower case) by the
-- application, so the UNIQUE constraint is what makes duplicate registrations impossible,
-- even for two concurrent requests.
CREATE TABLE users (
    id             UUID         PRIMARY KEY,
    email          VARCHAR(254) NOT NULL,
    name           VARCHAR(200) NOT NULL,
    password_hash  VARCHAR(255) NOT NULL,
    role           VARCHAR(16)  NOT NULL DEFAULT 'user',
    is_active      BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT users_email_unique UNIQUE (email),
    CONSTRAINT users_role_known CHECK (role IN ('user', 'admin')),
    CONSTRAINT users_name_not_blank CHECK (length(name) > 0)
);

/* [jooq ignore start] */
ALTER TABLE users ADD CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND length(email) > 0);
/* [jooq ignore stop] */

-- One login session: every refresh token descended from one login (or registration) belongs to
-- its family. Revoking the family ends the session everywhere.
CREATE TABLE refresh_families (
    id              UUID        PRIMARY KEY,
    user_id         UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at      TIMESTAMPTZ,
    revoked_reason  VARCHAR(32),
    CONSTRAINT refresh_families_reason_known
        CHECK (revoked_reason IS NULL OR revoked_reason IN ('logout', 'reuse_detected')),
    CONSTRAINT refresh_families_revocation_complete
        CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);

CREATE INDEX refresh_families_user ON refresh_families (user_id);

-- Each issued refresh token, with the access token issued next to it, so that revoking a family
-- can also deny every access token of that session that has not expired yet. A token with
-- used_at set has been rotated; presenting it again is reuse.
CREATE TABLE refresh_tokens (
    jti                UUID        PRIMARY KEY,
    family_id          UUID        NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    issued_at          TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NOT NULL,
    used_at            TIMESTAMPTZ,
    access_jti         UUID        NOT NULL,
    access_expires_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT refresh_tokens_expiry_after_issue CHECK (expires_at > issued_at)
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- The source of truth for revoked JWTs (access and node tokens): Redis only caches it, so a
-- revoked token stays refused while Redis is down or after it restarts empty. Rows are useless
-- after expires_at (the token is refused as expired anyway) and are purged.
CREATE TABLE revoked_tokens (
    jti         UUID        PRIMARY KEY,
    expires_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

-- API keys for programmatic clients. Only the SHA-256 (hex) of the 256-bit random key is stored;
-- the prefix is shown so owners can recognise their keys.
CREATE TABLE api_keys (
    id            UUID         PRIMARY KEY,
    user_id       UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          VARCHAR(100) NOT NULL,
    prefix        VARCHAR(32)  NOT NULL,
    key_hash      VARCHAR(64)  NOT NULL,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    CONSTRAINT api_keys_hash_unique UNIQUE (key_hash),
    CONSTRAINT api_keys_hash_is_sha256 CHECK (length(key_hash) = 64),
    CONSTRAINT api_keys_name_not_blank CHECK (length(name) > 0)
);

CREATE INDEX api_keys_user_newest_first ON api_keys (user_id, created_at DESC);
