-- The template library (projection `templates`): itineraries saved as templates.
CREATE TABLE template_view (
    template_id         uuid PRIMARY KEY,
    author_id           uuid NOT NULL,
    source_itinerary_id uuid NOT NULL,
    title               text NOT NULL,
    description         text,
    category            text NOT NULL,
    -- The whole template (items as offsets from the first day), as recorded.
    details             jsonb NOT NULL,
    featured            boolean NOT NULL DEFAULT false,
    deleted             boolean NOT NULL DEFAULT false,
    saved_at            timestamptz NOT NULL,
    version             bigint NOT NULL
);
CREATE INDEX template_view_library ON template_view (featured DESC, saved_at DESC, template_id DESC)
    WHERE NOT deleted;
