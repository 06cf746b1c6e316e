-- Tamper evidence: every stream is a hash chain, and the store's heads are signed periodically.
--
-- Each event's `hash` is SHA-256 over its predecessor's hash (32 zero bytes for a stream's
-- first event) and its own canonical content: every stored field except the store-assigned
-- positions, each text field as its UTF-8 length (8 bytes, big endian) and bytes. It is
-- computed by a trigger in the appending transaction, whatever path appends, and recomputed
-- independently by `wayfarer events verify` (crate wayfarer-audit, module `chain`).

CREATE FUNCTION event_field(value text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT int8send(octet_length(value)::bigint) || convert_to(value, 'UTF8') $$;

CREATE FUNCTION event_hash(previous bytea, aggregate_type text, aggregate_id text,
                           sequence bigint, event_type text, event_version text,
                           payload text, metadata text, event_id uuid,
                           recorded_at timestamptz) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT sha256(previous
              || event_field(aggregate_type) || event_field(aggregate_id) || int8send(sequence)
              || event_field(event_type) || event_field(event_version)
              || event_field(payload) || event_field(metadata) || uuid_send(event_id)
              || int8send((extract(epoch FROM recorded_at) * 1000000)::bigint))
$$;

ALTER TABLE events ADD COLUMN hash bytea;

-- Events stored before this migration are chained in place, stream by stream.
DO $$
DECLARE
    zero     constant bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
    previous bytea;
    stream   text := NULL;
    e        record;
BEGIN
    FOR e IN SELECT aggregate_type, aggregate_id, sequence, event_type, event_version,
                    payload::text AS payload, metadata::text AS metadata, event_id, recorded_at
             FROM events ORDER BY aggregate_type, aggregate_id, sequence
    LOOP
        IF stream IS DISTINCT FROM e.aggregate_type || '/' || e.aggregate_id THEN
            stream := e.aggregate_type || '/' || e.aggregate_id;
            previous := zero;
        END IF;
        previous := event_hash(previous, e.aggregate_type, e.aggregate_id, e.sequence,
                               e.event_type, e.event_version, e.payload, e.metadata,
                               e.event_id, e.recorded_at);
        UPDATE events SET hash = previous
        WHERE aggregate_type = e.aggregate_type AND aggregate_id = e.aggregate_id
          AND sequence = e.sequence;
    END LOOP;
END $$;

ALTER TABLE events ALTER COLUMN hash SET NOT NULL;

-- Chains each appended event to its predecessor. A stream never has a gap: an event whose
-- predecessor is not stored (or not visible to the appending transaction) is refused.
CREATE FUNCTION events_chain() RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    previous bytea;
BEGIN
    IF NEW.sequence <= 1 THEN
        previous := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    ELSE
        SELECT hash INTO previous FROM events
        WHERE aggregate_type = NEW.aggregate_type AND aggregate_id = NEW.aggregate_id
          AND sequence = NEW.sequence - 1;
        IF previous IS NULL THEN
            RAISE EXCEPTION 'event % of stream %/% has no predecessor', NEW.sequence,
                NEW.aggregate_type, NEW.aggregate_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'events_chain';
        END IF;
    END IF;
    -- event_hash, written out: one plpgsql expression costs a fraction of calling SQL
    -- functions from a trigger, which plans them anew on every row.
    NEW.hash := sha256(previous
        || int8send(octet_length(NEW.aggregate_type)::bigint) || convert_to(NEW.aggregate_type, 'UTF8')
        || int8send(octet_length(NEW.aggregate_id)::bigint) || convert_to(NEW.aggregate_id, 'UTF8')
        || int8send(NEW.sequence)
        || int8send(octet_length(NEW.event_type)::bigint) || convert_to(NEW.event_type, 'UTF8')
        || int8send(octet_length(NEW.event_version)::bigint) || convert_to(NEW.event_version, 'UTF8')
        || int8send(octet_length(NEW.payload::text)::bigint) || convert_to(NEW.payload::text, 'UTF8')
        || int8send(octet_length(NEW.metadata::text)::bigint) || convert_to(NEW.metadata::text, 'UTF8')
        || uuid_send(NEW.event_id)
        || int8send((extract(epoch FROM NEW.recorded_at) * 1000000)::bigint));
    RETURN NEW;
END
$$;

CREATE TRIGGER events_chain BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_chain();

-- Signed checkpoints of the store. Checkpoint n covers the events after checkpoint n-1 up to a
-- commit position below every running transaction (so nothing can commit into its range
-- later); `heads` holds, for each stream it covers, the last sequence and hash in that range.
-- The signature (Ed25519) covers the number, the previous checkpoint's signature, the range,
-- the event count and a digest of the heads: rewriting history, even re-hashing whole
-- streams, or removing a checkpoint no longer matches what was signed.
CREATE TABLE event_checkpoints
(
    checkpoint         bigint PRIMARY KEY CHECK (checkpoint >= 1),
    tx_id              xid8        NOT NULL,
    global_position    bigint      NOT NULL,
    events             bigint      NOT NULL,
    heads_digest       bytea       NOT NULL,
    previous_signature bytea,
    public_key         bytea       NOT NULL,
    signature          bytea       NOT NULL,
    signed_at          timestamptz NOT NULL
);

CREATE TABLE event_checkpoint_heads
(
    checkpoint     bigint NOT NULL REFERENCES event_checkpoints ON DELETE CASCADE,
    aggregate_type text   NOT NULL,
    aggregate_id   text   NOT NULL,
    sequence       bigint NOT NULL,
    hash           bytea  NOT NULL,
    PRIMARY KEY (checkpoint, aggregate_type, aggregate_id)
);
