-- The people read model (projection `users`): one row per person, guarded by their stream
-- version, and the follow relations decided on the followed person's stream.
CREATE TABLE users
(
    user_id       uuid        PRIMARY KEY,
    user_name     text        NOT NULL,
    profile       jsonb       NOT NULL,
    privacy       text        NOT NULL,
    role          text        NOT NULL,
    banned        boolean     NOT NULL DEFAULT false,
    banned_until  timestamptz,
    ban_reason    text,
    deleted       boolean     NOT NULL DEFAULT false,
    registered_at timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint      NOT NULL
);
CREATE INDEX users_admins ON users (role) WHERE role = 'ADMIN';

CREATE TABLE user_follows
(
    followee_id uuid        NOT NULL,
    follower_id uuid        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('PENDING', 'APPROVED')),
    since       timestamptz NOT NULL,
    PRIMARY KEY (followee_id, follower_id)
);
CREATE INDEX user_follows_by_followee ON user_follows (followee_id, status, since, follower_id);
CREATE INDEX user_follows_by_follower ON user_follows (follower_id, status, since, followee_id);
