-- People who sign in with an external identity provider (OpenID Connect): the provider's
-- issuer and subject, linked to the account provisioned on their first token.
CREATE TABLE external_identities
(
    issuer     text        NOT NULL,
    subject    text        NOT NULL,
    user_id    uuid        NOT NULL REFERENCES accounts (user_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX external_identities_user ON external_identities (user_id);
