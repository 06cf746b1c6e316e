-- Collaboration on itineraries (issue 9): the status, the collaborators and pending invitees,
-- and the last change (who and what) live on the itinerary's view row; comments on items in
-- their own projection.

ALTER TABLE itinerary_view
    ADD COLUMN status text NOT NULL DEFAULT 'DRAFT',
    -- [{userId, accessLevel, accepted, invitedBy, invitedAt}]
    ADD COLUMN collaborators jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN last_change jsonb;

-- "Shared with me" and "my invitations": containment of {userId, accepted}.
CREATE INDEX itinerary_view_collaborators ON itinerary_view
    USING gin (collaborators jsonb_path_ops);

-- Comments on items, threaded by parent; a deleted comment keeps its place (text gone).
CREATE TABLE itinerary_comment_view (
    comment_id        uuid PRIMARY KEY,
    itinerary_id      uuid NOT NULL,
    item_id           uuid NOT NULL,
    parent_comment_id uuid,
    author_id         uuid NOT NULL,
    text              text NOT NULL,
    deleted           boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    edited_at         timestamptz,
    position          bigint NOT NULL
);
CREATE INDEX itinerary_comment_view_item ON itinerary_comment_view (item_id, position);
CREATE INDEX itinerary_comment_view_itinerary ON itinerary_comment_view (itinerary_id);

-- The comment projection's guard: the last itinerary event it applied, per itinerary.
CREATE TABLE itinerary_comment_streams (
    itinerary_id uuid PRIMARY KEY,
    version      bigint NOT NULL
);

-- Snapshots of aggregate state (commands::snapshot): a shortcut for loading long streams,
-- one per aggregate, ignored unless its format is the aggregate's current one.
CREATE TABLE aggregate_snapshots (
    aggregate_type text NOT NULL,
    aggregate_id   text NOT NULL,
    sequence       bigint NOT NULL,
    format         text NOT NULL,
    state          jsonb NOT NULL,
    taken_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Expenses and budgets (projection itinerary_expenses). An expense's details (amount, split,
-- parts) are kept whole as recorded; a deleted expense's row goes.
CREATE TABLE itinerary_expense_view (
    expense_id   uuid PRIMARY KEY,
    itinerary_id uuid NOT NULL,
    item_id      uuid NOT NULL,
    details      jsonb NOT NULL,
    added_by     uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    position     bigint NOT NULL
);
CREATE INDEX itinerary_expense_view_itinerary ON itinerary_expense_view (itinerary_id);

CREATE TABLE itinerary_budget_view (
    itinerary_id uuid NOT NULL,
    category     text NOT NULL,
    amount_minor bigint NOT NULL,
    currency     text NOT NULL,
    PRIMARY KEY (itinerary_id, category)
);

CREATE TABLE itinerary_expense_streams (
    itinerary_id uuid PRIMARY KEY,
    version      bigint NOT NULL
);
