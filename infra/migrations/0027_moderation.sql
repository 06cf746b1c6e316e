-- Moderation: content a moderator hid (only its author still sees it, with the reason), and
-- the moderation projection (`moderationQueue`): one row per flagged post, comment or review
-- and one per flag, written with the checkpoint in one transaction.

ALTER TABLE posts ADD COLUMN hidden boolean NOT NULL DEFAULT false;
ALTER TABLE posts ADD COLUMN hidden_reason text;
ALTER TABLE reviews ADD COLUMN hidden boolean NOT NULL DEFAULT false;
ALTER TABLE reviews ADD COLUMN hidden_reason text;

CREATE TABLE moderation_cases
(
    case_id          uuid        PRIMARY KEY,
    -- POST, COMMENT, REVIEW
    target_type      text        NOT NULL,
    target_id        uuid        NOT NULL,
    author_id        uuid        NOT NULL,
    -- OPEN, ESCALATED, RESOLVED
    status           text        NOT NULL,
    -- Flags since the case was last decided, and ever.
    open_flags       integer     NOT NULL,
    total_flags      integer     NOT NULL,
    -- The first flag of the open round (the queue's age).
    first_flagged_at timestamptz NOT NULL,
    last_flagged_at  timestamptz NOT NULL,
    last_action      text,
    resolved_by      uuid,
    note             text,
    resolved_at      timestamptz,
    version          bigint      NOT NULL
);
-- The queue: most flagged first, then oldest.
CREATE INDEX moderation_queue
    ON moderation_cases (status, open_flags DESC, first_flagged_at, case_id);

CREATE TABLE moderation_flags
(
    case_id            uuid        NOT NULL,
    flagged_by         uuid        NOT NULL,
    rule_code          text        NOT NULL,
    guidelines_version integer     NOT NULL,
    reason             text,
    flagged_at         timestamptz NOT NULL,
    PRIMARY KEY (case_id, flagged_by)
);
