-- The notifications projection (multi-stream: itinerary, user and inbox events). Besides the
-- notifications it keeps its own account of who belongs to which itinerary, who added which
-- item and wrote which comment, and each person's preferences and read marks, so it never
-- reads another projection's tables (each rebuilds on its own).

CREATE TABLE notification_itineraries
(
    itinerary_id uuid   PRIMARY KEY,
    owner_id     uuid   NOT NULL,
    title        text   NOT NULL,
    -- Accepted collaborators (the owner is not among them).
    members      uuid[] NOT NULL DEFAULT '{}'
);

CREATE TABLE notification_items
(
    item_id      uuid PRIMARY KEY,
    itinerary_id uuid NOT NULL,
    -- Who added it (the event's actor).
    author_id    uuid,
    title        text NOT NULL
);

CREATE TABLE notification_comments
(
    comment_id uuid PRIMARY KEY,
    author_id  uuid NOT NULL
);

CREATE TABLE notification_inboxes
(
    user_id         uuid        PRIMARY KEY,
    -- Kind → {"inApp": bool, "email": bool}, for the kinds that differ from their defaults.
    preferences     jsonb       NOT NULL DEFAULT '{}',
    -- Everything notified up to this instant counts as read (markAllNotificationsAsRead).
    read_all_before timestamptz
);

CREATE TABLE notifications
(
    notification_id uuid        PRIMARY KEY,
    recipient_id    uuid        NOT NULL,
    kind            text        NOT NULL,
    actor_id        uuid,
    itinerary_id    uuid,
    item_id         uuid,
    -- The itinerary's title when it happened.
    subject         text,
    -- The item's title, for comments; "reset" for a password changed through a reset link.
    detail          text,
    -- Changes folded into this notification (edits by one person within an hour).
    changes         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    -- Read up to this instant (a change folded in later makes it unread again).
    read_at         timestamptz
);
CREATE INDEX notifications_by_recipient
    ON notifications (recipient_id, created_at DESC, notification_id DESC);

-- Not part of the projection, so a rebuild neither fills nor replaces it: the emails the live
-- projector asked for, at most one per (event, recipient), sent by the API's mail sender.
-- A rebuild or replay finds the key taken and sends nothing again.
CREATE TABLE notification_emails
(
    event_id        uuid        NOT NULL,
    recipient_id    uuid        NOT NULL,
    notification_id uuid        NOT NULL,
    kind            text        NOT NULL,
    actor_id        uuid,
    itinerary_id    uuid,
    subject         text,
    detail          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    -- When a sender may take it (again): claimed senders push it forward while they work.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    abandoned_at    timestamptz,
    last_error      text,
    PRIMARY KEY (event_id, recipient_id)
);
CREATE INDEX notification_emails_due ON notification_emails (next_attempt_at)
    WHERE sent_at IS NULL AND abandoned_at IS NULL;
CREATE INDEX notification_emails_by_notification ON notification_emails (notification_id);
