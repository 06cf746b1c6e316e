//! An itinerary event with its envelope, as read from Kafka or from the store.

use uuid::Uuid;
use wayfarer_schemas::{EventEnvelope, ItineraryEvent};

use crate::ProjectionError;

/// One itinerary event with its envelope. Built only through [`checked`] (or [`decode`]), so
/// its aggregate id is known to be a UUID.
pub type ItineraryEnvelope = EventEnvelope<ItineraryEvent>;

/// Accepts an itinerary envelope only if its aggregate id is a UUID (itinerary ids always
/// are); anything else is a poison event.
pub fn checked(envelope: ItineraryEnvelope) -> Result<ItineraryEnvelope, ProjectionError> {
    if envelope.aggregate_uuid().is_none() {
        return Err(ProjectionError::Undecodable {
            position: envelope.global_position,
            reason: format!("itinerary id {:?} is not a UUID", envelope.aggregate_id),
        });
    }
    Ok(envelope)
}

/// Decodes a Kafka record's value as an itinerary envelope.
pub fn decode(bytes: &[u8]) -> Result<ItineraryEnvelope, ProjectionError> {
    let envelope: ItineraryEnvelope =
        serde_json::from_slice(bytes).map_err(|error| ProjectionError::Undecodable {
            position: -1,
            reason: error.to_string(),
        })?;
    checked(envelope)
}

/// The itinerary an envelope belongs to.
pub fn stream_id(envelope: &ItineraryEnvelope) -> Uuid {
    envelope
        .aggregate_uuid()
        .expect("itinerary envelopes are checked when decoded")
}
