-- Idempotency keys of the account mutations (register, login, tokens, passwords, two-factor),
-- which do not go through the event store. The answer is kept to be given again on a repeat:
-- sealed with the person's data key when it holds tokens or secrets. Kept at least 24 hours.
CREATE TABLE account_requests
(
    scope           text        NOT NULL,
    idempotency_key uuid        NOT NULL,
    fingerprint     text        NOT NULL,
    outcome         text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX account_requests_created ON account_requests (created_at);
