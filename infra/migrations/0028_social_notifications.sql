-- Notifications of posts, comments, reactions and moderation: what a notification is about
-- beyond itineraries and bookings (a post, comment or review), and the facts the
-- notifications projection keeps to tell who to notify.

ALTER TABLE notifications ADD COLUMN target_type text;
ALTER TABLE notifications ADD COLUMN target_id uuid;
ALTER TABLE notification_emails ADD COLUMN target_type text;
ALTER TABLE notification_emails ADD COLUMN target_id uuid;

-- Each post's author and the start of its text (what notices quote).
CREATE TABLE notification_posts
(
    post_id   uuid PRIMARY KEY,
    author_id uuid NOT NULL,
    excerpt   text NOT NULL
);

-- Each comment on a post: its post and author.
CREATE TABLE notification_post_comments
(
    comment_id uuid PRIMARY KEY,
    post_id    uuid NOT NULL,
    author_id  uuid NOT NULL
);

-- Each moderation case: what was flagged, by whom (the open round), and its author.
CREATE TABLE notification_cases
(
    case_id     uuid PRIMARY KEY,
    target_type text NOT NULL,
    target_id   uuid NOT NULL,
    author_id   uuid NOT NULL
);
CREATE TABLE notification_case_flaggers
(
    case_id    uuid NOT NULL,
    flagger_id uuid NOT NULL,
    PRIMARY KEY (case_id, flagger_id)
);
