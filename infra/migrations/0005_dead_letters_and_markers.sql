-- Events a projection could not decode or apply after bounded retries. They are also
-- published to the topic `wayfarer.dlq`; this table keeps the count per projection and what
-- `wayfarer dlq replay` has re-applied. Written in the transaction that records the
-- projection's checkpoint past them, so an event is never skipped without a dead letter.
CREATE TABLE dead_letters
(
    id              bigserial   PRIMARY KEY,
    projection      text        NOT NULL,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    error           text        NOT NULL,
    -- The record's value as received (an envelope, or whatever could not be decoded).
    payload         text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    replayed_at     timestamptz,
    UNIQUE (projection, topic, kafka_partition, kafka_offset)
);
CREATE INDEX dead_letters_pending ON dead_letters (projection, id) WHERE replayed_at IS NULL;

-- Processed-event markers of multi-stream projections (idempotency where no single stream
-- version guards the model), written in the projection's transaction.
CREATE TABLE projection_processed
(
    projection text NOT NULL,
    event_id   uuid NOT NULL,
    PRIMARY KEY (projection, event_id)
);
