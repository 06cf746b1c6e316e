-- Mail sender claims carry a token: a sender marks a row only while the row is still under its
-- own claim, so one whose lease ran out cannot overwrite the work of the sender after it.
ALTER TABLE notification_emails ADD COLUMN claim uuid;

-- Edits folded into one notification are mailed once, for the first of them, even when a
-- rebuild's fill and the live projector request that email at the same moment. Keeps the
-- earliest request should two have been made already.
DELETE FROM notification_emails e
USING notification_emails earlier
WHERE e.kind = 'ITINERARY_CHANGED' AND earlier.kind = 'ITINERARY_CHANGED'
  AND e.notification_id = earlier.notification_id
  AND (earlier.created_at, earlier.event_id) < (e.created_at, e.event_id);
CREATE UNIQUE INDEX notification_emails_one_per_fold ON notification_emails (notification_id)
    WHERE kind = 'ITINERARY_CHANGED';

-- A closed account is told nothing more: the projection keeps the mark (and nothing else)
-- so that events still naming the person (as a member, an item's author) notify nobody.
ALTER TABLE notification_inboxes ADD COLUMN closed boolean NOT NULL DEFAULT false;
