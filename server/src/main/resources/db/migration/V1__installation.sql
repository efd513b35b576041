-- One row naming this database installation: lets operators (and the dev launcher's tests)
-- see that a restart reused the same database instead of creating a fresh one.
CREATE TABLE installation (
    id          UUID        PRIMARY KEY,
    singleton   BOOLEAN     NOT NULL DEFAULT TRUE UNIQUE CHECK (singleton),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
