-- The feed projection (`feed`, `userActivity`, `feedUpdated`): what each person did that
-- their followers see (posts, shares, reviews, public itineraries created or completed), who
-- follows whom, and each itinerary's owner and visibility, written with the checkpoint in one
-- transaction. Followers' feeds of ordinary authors are also kept in Redis (fan-out on
-- write); authors with very many followers are read from here (fan-out on read).

CREATE TABLE feed_activities
(
    -- Derived from the subject's stream and sequence: the same on every replay.
    activity_id uuid        PRIMARY KEY,
    author_id   uuid        NOT NULL,
    -- POST, SHARE, REVIEW, ITINERARY_CREATED, ITINERARY_COMPLETED
    kind        text        NOT NULL,
    -- The post, review or itinerary.
    subject_id  uuid        NOT NULL,
    occurred_at timestamptz NOT NULL,
    -- The subject was deleted.
    withdrawn   boolean     NOT NULL DEFAULT false
);
CREATE INDEX feed_activities_by_author
    ON feed_activities (author_id, occurred_at DESC, activity_id DESC) WHERE NOT withdrawn;
CREATE INDEX feed_activities_by_subject ON feed_activities (subject_id);

CREATE TABLE feed_follows
(
    follower_id uuid NOT NULL,
    followee_id uuid NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX feed_follows_by_followee ON feed_follows (followee_id, follower_id);

CREATE TABLE feed_itineraries
(
    itinerary_id uuid    PRIMARY KEY,
    owner_id     uuid    NOT NULL,
    public       boolean NOT NULL
);
