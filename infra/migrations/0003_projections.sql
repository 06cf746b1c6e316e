-- Consumer progress per projection, written in the same transaction as PostgreSQL read models.
CREATE TABLE projection_offsets
(
    projection  text        NOT NULL,
    topic       text        NOT NULL,
    partition   integer     NOT NULL,
    next_offset bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

-- One row per projection: the highest store position applied (for status and lag) and a row
-- that rebuilds lock to pause the live projector during the swap.
CREATE TABLE projection_state
(
    projection      text        PRIMARY KEY,
    last_position   bigint      NOT NULL DEFAULT 0,
    events_applied  bigint      NOT NULL DEFAULT 0,
    rebuilt_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Itinerary detail view (serves `itinerary` and `myItineraries`). `version` is the aggregate
-- sequence last applied: the idempotency guard. Deleted itineraries stay as tombstones so a
-- redelivered event can never resurrect them.
CREATE TABLE itinerary_view
(
    itinerary_id  uuid        PRIMARY KEY,
    owner_id      uuid        NOT NULL,
    title         text        NOT NULL,
    start_date    date        NOT NULL,
    end_date      date        NOT NULL,
    visibility    text        NOT NULL,
    base_currency text        NOT NULL,
    version       bigint      NOT NULL,
    last_position bigint      NOT NULL,
    deleted       boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX itinerary_view_owner ON itinerary_view (owner_id, created_at DESC, itinerary_id DESC);

CREATE TABLE itinerary_item_view
(
    itinerary_id  uuid             NOT NULL,
    item_id       uuid             NOT NULL,
    ordinal       integer          NOT NULL,
    title         text             NOT NULL,
    description   text,
    start_time    timestamptz      NOT NULL,
    end_time      timestamptz      NOT NULL,
    location_name text,
    lat           double precision,
    lon           double precision,
    category      text             NOT NULL,
    cost_minor    bigint,
    cost_currency text,
    PRIMARY KEY (itinerary_id, item_id)
);
CREATE INDEX itinerary_item_view_order ON itinerary_item_view (itinerary_id, ordinal);
