-- Notifications of bookings (confirmed, failed, refunded): the booking they are about, and
-- what the notifications projection keeps of each booking to word them.

ALTER TABLE notifications ADD COLUMN booking_id uuid;
ALTER TABLE notification_emails ADD COLUMN booking_id uuid;

CREATE TABLE notification_bookings
(
    booking_id uuid PRIMARY KEY,
    owner_id   uuid NOT NULL,
    -- The supplier's title once reserved, else the kind ("flight", "hotel", "activity").
    title      text NOT NULL,
    -- What the wallet holds or paid, e.g. "45.00 EUR", once funds are held.
    paid       text
);

-- refundPayment lists a top-up paid back to its card as kind WITHDRAWAL.
COMMENT ON COLUMN wallet_transactions.kind IS
    'DEPOSIT, HOLD, CAPTURE, RELEASE, REFUND or WITHDRAWAL';
