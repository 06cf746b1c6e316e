-- The reviews projection (`review`, `reviewsForPlace`, and each place's rating): one row per
-- review, the people who found it helpful, and each place's count, sum and histogram of
-- stars, all written with the checkpoint in one transaction.

CREATE TABLE reviews
(
    review_id     uuid        PRIMARY KEY,
    place_id      uuid        NOT NULL,
    author_id     uuid        NOT NULL,
    -- 1 to 5; kept while deleted so a rating is taken out of its place's figures once.
    rating        smallint    NOT NULL,
    content       text        NOT NULL,
    -- [{mediaId, url, mediaType, caption}] in the order they were added.
    media         jsonb       NOT NULL DEFAULT '[]',
    helpful_count integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted       boolean     NOT NULL DEFAULT false,
    -- The review's stream sequence last applied: an event at or below it is a redelivery.
    version       bigint      NOT NULL,
    -- What RELEVANCE matches the search text against (no stemming: reviews come in every
    -- language).
    search        tsvector    GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED
);
CREATE INDEX reviews_by_date ON reviews (place_id, created_at DESC, review_id DESC)
    WHERE NOT deleted;
CREATE INDEX reviews_by_rating ON reviews (place_id, rating DESC, created_at DESC, review_id DESC)
    WHERE NOT deleted;

-- Who marked which review helpful (a deleted review's marks go with it).
CREATE TABLE review_helpful_marks
(
    review_id uuid NOT NULL,
    user_id   uuid NOT NULL,
    PRIMARY KEY (review_id, user_id)
);

-- Each reviewed place's figures, over its standing reviews.
CREATE TABLE place_ratings
(
    place_id     uuid    PRIMARY KEY,
    review_count integer NOT NULL DEFAULT 0,
    rating_sum   bigint  NOT NULL DEFAULT 0,
    stars_1      integer NOT NULL DEFAULT 0,
    stars_2      integer NOT NULL DEFAULT 0,
    stars_3      integer NOT NULL DEFAULT 0,
    stars_4      integer NOT NULL DEFAULT 0,
    stars_5      integer NOT NULL DEFAULT 0
);
