-- The event store: postgres-es's `events` and `snapshots` tables (db/init.sql of postgres-es
-- 0.5), plus what the relay and auditors need. postgres-es lists its columns explicitly, so the
-- extra columns with defaults are filled in by PostgreSQL on every append.
CREATE TABLE events
(
    aggregate_type  text                         NOT NULL,
    aggregate_id    text                         NOT NULL,
    sequence        bigint CHECK (sequence >= 0) NOT NULL,
    event_type      text                         NOT NULL,
    event_version   text                         NOT NULL,
    payload         json                         NOT NULL,
    metadata        json                         NOT NULL,
    -- Insertion order across the whole store. Sequences commit out of order, so readers must
    -- not treat "highest position seen" as "everything below is visible": see tx_id.
    global_position bigserial                    NOT NULL UNIQUE,
    -- The writing transaction. A reader that only reads rows with tx_id below the oldest
    -- running transaction (pg_snapshot_xmin) and orders by (tx_id, global_position) never
    -- skips a late commit.
    tx_id           xid8                         NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at     timestamptz                  NOT NULL DEFAULT clock_timestamp(),
    event_id        uuid                         NOT NULL DEFAULT gen_random_uuid(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE INDEX events_commit_order ON events (tx_id, global_position);

-- Unused (cqrs-es snapshot modes apply events twice); kept so postgres-es's schema is whole.
CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- Where the relay has published up to, in commit order.
CREATE TABLE relay_checkpoints
(
    relay           text        PRIMARY KEY,
    tx_id           xid8        NOT NULL,
    global_position bigint      NOT NULL,
    published       bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
