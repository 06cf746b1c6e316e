-- The posts projection (`post`, comments, reactions and their counts): posts, comments and
-- reactions, one row each, with the counts every reader shows, written with the checkpoint in
-- one transaction. Each row keeps its stream's version: an event at or below it is a
-- redelivery, so every count moves exactly once.

CREATE TABLE posts
(
    post_id        uuid        PRIMARY KEY,
    author_id      uuid        NOT NULL,
    content        text        NOT NULL,
    -- [{url, mediaType, caption}]
    media          jsonb       NOT NULL,
    itinerary_id   uuid,
    place_id       uuid,
    -- {name, lat, lon}
    location       jsonb,
    hashtags       text[]      NOT NULL,
    -- The original post this one shares.
    shared_post_id uuid,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    deleted        boolean     NOT NULL DEFAULT false,
    version        bigint      NOT NULL
);
CREATE INDEX posts_by_author ON posts (author_id, created_at DESC, post_id DESC) WHERE NOT deleted;
CREATE INDEX posts_by_hashtag ON posts USING gin (hashtags) WHERE NOT deleted;

CREATE TABLE post_comments
(
    comment_id        uuid        PRIMARY KEY,
    post_id           uuid        NOT NULL,
    parent_comment_id uuid,
    author_id         uuid        NOT NULL,
    content           text        NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted           boolean     NOT NULL DEFAULT false,
    hidden            boolean     NOT NULL DEFAULT false,
    hidden_reason     text,
    version           bigint      NOT NULL
);
-- A thread's level, oldest first: the post's top-level comments, or a comment's replies.
CREATE INDEX post_comments_by_thread ON post_comments (post_id, parent_comment_id, created_at, comment_id);

CREATE TABLE reactions
(
    reaction_id uuid   PRIMARY KEY,
    target_type text   NOT NULL,
    target_id   uuid   NOT NULL,
    user_id     uuid   NOT NULL,
    -- LIKE, LOVE, …; NULL once removed.
    reaction    text,
    version     bigint NOT NULL
);
CREATE INDEX reactions_by_user ON reactions (user_id, target_id);

-- Standing reactions per target and type.
CREATE TABLE reaction_counts
(
    target_type text    NOT NULL,
    target_id   uuid    NOT NULL,
    reaction    text    NOT NULL,
    count       integer NOT NULL,
    PRIMARY KEY (target_type, target_id, reaction)
);

-- What a post or comment counts: its visible comments (all depths, for a post), its visible
-- direct replies (for a comment) and its standing shares (for a post).
CREATE TABLE social_counts
(
    target_type text    NOT NULL,
    target_id   uuid    NOT NULL,
    comments    integer NOT NULL DEFAULT 0,
    replies     integer NOT NULL DEFAULT 0,
    shares      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (target_type, target_id)
);
