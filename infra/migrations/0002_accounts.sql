-- Credentials live outside the event log: emails and password hashes never reach Kafka.
CREATE TABLE accounts
(
    user_id       uuid        PRIMARY KEY,
    email         text        NOT NULL UNIQUE,
    user_name     text        NOT NULL,
    password_hash text        NOT NULL,
    role          text        NOT NULL DEFAULT 'USER',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_user_name ON accounts (lower(user_name));

-- Refresh tokens are stored hashed; each use rotates the token within its family, and reuse
-- of a rotated token revokes the whole family (token theft detection).
CREATE TABLE refresh_tokens
(
    token_hash  bytea       PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES accounts (user_id),
    family_id   uuid        NOT NULL,
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
