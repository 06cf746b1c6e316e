-- Each person's data key, wrapped (AES-256-GCM) by the master key from the settings. Personal
-- data in events is sealed with it; destroying it (wrapped_key NULL) forgets the person.
CREATE TABLE user_keys
(
    subject      uuid        PRIMARY KEY,
    wrapped_key  bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);
