-- What each Kafka-facing role (the relay, each projector) last saw of the broker, written
-- when it changes. `projections status` and the API's /health/ready report an outage from
-- here, whichever process runs the role.
CREATE TABLE broker_health
(
    component  text        PRIMARY KEY,
    reachable  boolean     NOT NULL,
    -- The error that made the role give up on the broker (NULL while reachable).
    detail     text,
    -- When `reachable` last changed.
    since      timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
