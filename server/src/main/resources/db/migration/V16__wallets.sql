-- Wallet sign-in (EIP-4361, "Sign-In with Ethereum") and the wallets linked to accounts.

-- A wallet belongs to at most one account (the primary key), an account may link several.
-- Addresses are stored in lower case; the API shows them EIP-55 checksummed.
CREATE TABLE wallets (
    address     VARCHAR(42) PRIMARY KEY,
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT wallets_address_lower_hex CHECK (address ~ '^0x[0-9a-f]{40}$')
);

CREATE INDEX wallets_user ON wallets (user_id, created_at);

-- Each sign-in message the server issued: the exact text (a signature is only accepted over
-- it), for which address, until when. used_at set = spent: a nonce signs in once.
CREATE TABLE siwe_nonces (
    nonce       VARCHAR(32)  PRIMARY KEY,
    address     VARCHAR(42)  NOT NULL,
    message     VARCHAR(2000) NOT NULL,
    issued_at   TIMESTAMPTZ  NOT NULL,
    expires_at  TIMESTAMPTZ  NOT NULL,
    used_at     TIMESTAMPTZ,
    CONSTRAINT siwe_nonces_address_lower_hex CHECK (address ~ '^0x[0-9a-f]{40}$'),
    CONSTRAINT siwe_nonces_expiry_after_issue CHECK (expires_at > issued_at)
);

CREATE INDEX siwe_nonces_expiry ON siwe_nonces (expires_at);
