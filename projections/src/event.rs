//! An event as read from Kafka or from the store, decoded into its typed payload.

use chrono::{DateTime, Utc};
use wayfarer_schemas::{EventEnvelope, ItineraryEvent};

/// Where a consumed event came from, for checkpointing. `None` when replayed from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaOrigin {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// One itinerary event with its envelope.
pub type ItineraryEnvelope = EventEnvelope<ItineraryEvent>;

/// A decoded event plus its origin.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub envelope: ItineraryEnvelope,
    pub origin: Option<KafkaOrigin>,
}

impl StoredEvent {
    pub fn occurred_at(&self) -> DateTime<Utc> {
        self.envelope.occurred_at
    }
}
