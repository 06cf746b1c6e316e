//! An itinerary event with its envelope, as read from Kafka or from the store.

use wayfarer_schemas::{EventEnvelope, ItineraryEvent};

/// One itinerary event with its envelope.
pub type ItineraryEnvelope = EventEnvelope<ItineraryEvent>;
