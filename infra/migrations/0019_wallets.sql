-- The wallets projection: each wallet's balance and holds, and every movement of money
-- (the seed's payment history), written with the checkpoint and guarded by the wallet's
-- version.

CREATE TABLE wallets
(
    wallet_id      uuid        PRIMARY KEY,
    owner_id       uuid        NOT NULL,
    currency       text        NOT NULL,
    -- Everything in the wallet, held or not.
    balance_minor  bigint      NOT NULL DEFAULT 0,
    held_minor     bigint      NOT NULL DEFAULT 0,
    -- The tokenised card (token, brand, last4, expiry): never a card number.
    payment_method jsonb,
    opened_at      timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint      NOT NULL
);
CREATE INDEX wallets_by_owner ON wallets (owner_id, currency);

CREATE TABLE wallet_transactions
(
    wallet_id             uuid        NOT NULL,
    -- The event's sequence in the wallet's stream.
    sequence              bigint      NOT NULL,
    owner_id              uuid        NOT NULL,
    operation_id          uuid        NOT NULL,
    -- DEPOSIT, HOLD, CAPTURE, RELEASE or REFUND.
    kind                  text        NOT NULL,
    amount_minor          bigint      NOT NULL,
    currency              text        NOT NULL,
    booking_id            uuid,
    -- The gateway's payment reference of a deposit; the hold's id for a capture or release.
    reference             text,
    balance_after_minor   bigint      NOT NULL,
    available_after_minor bigint      NOT NULL,
    occurred_at           timestamptz NOT NULL,
    PRIMARY KEY (wallet_id, sequence)
);
CREATE INDEX wallet_transactions_by_owner
    ON wallet_transactions (owner_id, occurred_at DESC, wallet_id DESC, sequence DESC);
