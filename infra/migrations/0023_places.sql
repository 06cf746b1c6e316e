-- The places projection (`place`, `nearbyPlaces`, and the duplicate check of `createPlace`):
-- the catalogue's cities and airports and the places people add, written with the checkpoint.

CREATE TABLE places
(
    place_id        uuid             PRIMARY KEY,
    name            text             NOT NULL,
    -- Case, common accents and punctuation folded: what duplicates are compared by.
    normalized_name text             NOT NULL,
    -- CITY, AIRPORT, RESTAURANT, … (the GraphQL PlaceCategory).
    category        text             NOT NULL,
    latitude        double precision NOT NULL,
    longitude       double precision NOT NULL,
    address         text,
    -- geonames:<id> or iata:<code> for the shipped extracts.
    catalogue_ref   text,
    added_by        uuid,
    added_at        timestamptz      NOT NULL
);
-- A latitude band narrows every "near" search before distances are computed.
CREATE INDEX places_by_latitude ON places (latitude);
CREATE INDEX places_by_name ON places (normalized_name);
