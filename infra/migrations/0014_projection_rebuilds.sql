-- The last rebuild of each projection, whoever started it (CLI, GraphQL, the admin page):
-- `projections status` and the admin views show a running rebuild's progress and a failed
-- one's reason from here, across processes.
CREATE TABLE projection_rebuilds
(
    projection   text        PRIMARY KEY,
    state        text        NOT NULL CHECK (state IN ('rebuilding', 'done', 'failed')),
    events_done  bigint      NOT NULL DEFAULT 0,
    events_total bigint      NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    error        text
);
