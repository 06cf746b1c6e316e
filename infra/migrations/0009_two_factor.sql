-- Two-factor sign-in (TOTP, RFC 6238): a credential like the password, so it lives beside the
-- account and never in the event log. `last_step` is the time step of the last code accepted:
-- a code is never accepted twice.
CREATE TABLE two_factor
(
    user_id      uuid        PRIMARY KEY REFERENCES accounts (user_id) ON DELETE CASCADE,
    secret       bytea       NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, stored hashed like refresh tokens.
CREATE TABLE two_factor_recovery_codes
(
    code_hash bytea       PRIMARY KEY,
    user_id   uuid        NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    used_at   timestamptz
);
CREATE INDEX two_factor_recovery_codes_user ON two_factor_recovery_codes (user_id);
