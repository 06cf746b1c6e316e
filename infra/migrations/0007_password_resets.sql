-- Single-use password reset links: only a hash of the token is stored (like refresh tokens).
CREATE TABLE password_resets
(
    token_hash bytea       PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES accounts (user_id),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user ON password_resets (user_id);
