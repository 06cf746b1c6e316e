//! The chained hash of an event: SHA-256 over the predecessor's hash and the event's canonical
//! content. Must match the store's `event_hash` SQL function exactly (migration
//! `0013_hash_chain`): every stored field but the store-assigned positions, text fields as
//! their UTF-8 length (8 bytes, big endian) followed by their bytes, integers as 8 bytes big
//! endian, the event id as its 16 bytes, the recording time in microseconds since 1970.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The predecessor of every stream's first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// What a hash commits to, borrowed from a stored row.
#[derive(Debug, Clone, Copy)]
pub struct EventContent<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    pub event_type: &'a str,
    pub event_version: &'a str,
    /// The payload's JSON text exactly as stored.
    pub payload: &'a str,
    pub metadata: &'a str,
    pub event_id: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// The hash of `content` chained to `previous`.
pub fn event_hash(previous: &[u8], content: &EventContent<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    field(&mut hasher, content.aggregate_type);
    field(&mut hasher, content.aggregate_id);
    hasher.update(content.sequence.to_be_bytes());
    field(&mut hasher, content.event_type);
    field(&mut hasher, content.event_version);
    field(&mut hasher, content.payload);
    field(&mut hasher, content.metadata);
    hasher.update(content.event_id.as_bytes());
    hasher.update(content.recorded_at.timestamp_micros().to_be_bytes());
    hasher.finalize().into()
}

/// A text field, length-prefixed so that no two different contents hash the same bytes.
pub(crate) fn field(hasher: &mut Sha256, text: &str) {
    hasher.update((text.len() as i64).to_be_bytes());
    hasher.update(text.as_bytes());
}

/// Lowercase hex, as the findings and the CLI show hashes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content<'a>(payload: &'a str) -> EventContent<'a> {
        EventContent {
            aggregate_type: "itinerary",
            aggregate_id: "a",
            sequence: 1,
            event_type: "ItineraryCreated",
            event_version: "1.0",
            payload,
            metadata: "{}",
            event_id: Uuid::nil(),
            recorded_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
        }
    }

    #[test]
    fn the_hash_commits_to_the_content_and_the_predecessor() {
        let first = event_hash(&GENESIS, &content("{\"title\":\"x\"}"));
        assert_ne!(first, event_hash(&GENESIS, &content("{\"title\":\"y\"}")));
        assert_ne!(first, event_hash(&first, &content("{\"title\":\"x\"}")));
        assert_eq!(first, event_hash(&GENESIS, &content("{\"title\":\"x\"}")));
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let mut a = content("{}");
        a.aggregate_type = "itineraryA";
        a.aggregate_id = "B";
        let mut b = content("{}");
        b.aggregate_type = "itinerary";
        b.aggregate_id = "AB";
        assert_ne!(event_hash(&GENESIS, &a), event_hash(&GENESIS, &b));
    }

    #[test]
    fn hex_is_lowercase_and_two_digits_a_byte() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
