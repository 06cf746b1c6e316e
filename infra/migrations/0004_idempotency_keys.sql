-- Idempotency keys: written by the same statement as the command's events, so a key exists
-- exactly when its effect does. Scoped per caller; kept at least 24 hours.
CREATE TABLE command_idempotency
(
    scope           text        NOT NULL,
    idempotency_key uuid        NOT NULL,
    fingerprint     text        NOT NULL,
    aggregate_type  text        NOT NULL,
    aggregate_id    text        NOT NULL,
    position        bigint      NOT NULL,
    version         bigint      NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT command_idempotency_pkey PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX command_idempotency_created ON command_idempotency (created_at);
