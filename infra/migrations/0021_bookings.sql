-- The bookings projection (`booking`, `myBookings`): each booking as its owner sees it, from
-- the booking topic, written with the checkpoint and guarded by the booking's version.

CREATE TABLE bookings
(
    booking_id              uuid        PRIMARY KEY,
    owner_id                uuid        NOT NULL,
    -- FLIGHT, HOTEL or ACTIVITY.
    kind                    text        NOT NULL,
    supplier                text        NOT NULL,
    offer_id                text        NOT NULL,
    travellers              jsonb       NOT NULL,
    -- REQUESTED … CONFIRMED, CANCELLATION_REQUESTED, CANCELLED, REFUNDED or FAILED.
    status                  text        NOT NULL,
    itinerary_id            uuid,
    -- The item it shows as in its itinerary, while it does.
    item_id                 uuid,
    reservation_id          text,
    title                   text,
    starts_at               timestamptz,
    ends_at                 timestamptz,
    place_name              text,
    latitude                double precision,
    longitude               double precision,
    -- The supplier's price, in its currency.
    price_minor             bigint,
    price_currency          text,
    -- What the wallet paid (held, then captured), in its currency, and the rate used.
    wallet_currency         text        NOT NULL,
    paid_minor              bigint,
    rate                    text,
    rate_date               date,
    hold_expires_at         timestamptz,
    free_cancellation_until timestamptz,
    refund_percent_after    integer,
    confirmation_code       text,
    failure_reason          text,
    compensations           jsonb       NOT NULL DEFAULT '[]',
    refund_minor            bigint,
    requested_at            timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    version                 bigint      NOT NULL
);
CREATE INDEX bookings_by_owner ON bookings (owner_id, requested_at DESC, booking_id DESC);
