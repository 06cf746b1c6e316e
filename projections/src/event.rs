//! An itinerary event with its envelope, as read from Kafka or from the store.

use uuid::Uuid;
use wayfarer_schemas::{EventEnvelope, ItineraryEvent};

use crate::ProjectionError;

/// One itinerary event with its envelope. Built only through [`checked`] (or
/// [`from_envelope`]), so its aggregate id is known to be a UUID.
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

/// The itinerary an envelope belongs to.
pub fn stream_id(envelope: &ItineraryEnvelope) -> Uuid {
    envelope
        .aggregate_uuid()
        .expect("itinerary envelopes are checked when decoded")
}

/// Decodes a projection envelope's payload as an itinerary event.
pub fn from_envelope(
    envelope: &crate::projection::Envelope,
) -> Result<ItineraryEnvelope, ProjectionError> {
    let payload: ItineraryEvent =
        serde_json::from_str(envelope.payload.get()).map_err(|error| {
            ProjectionError::Undecodable {
                position: envelope.global_position,
                reason: error.to_string(),
            }
        })?;
    checked(EventEnvelope {
        event_id: envelope.event_id,
        aggregate_type: envelope.aggregate_type.clone(),
        aggregate_id: envelope.aggregate_id.clone(),
        sequence: envelope.sequence,
        global_position: envelope.global_position,
        event_type: envelope.event_type.clone(),
        event_version: envelope.event_version.clone(),
        occurred_at: envelope.occurred_at,
        metadata: envelope.metadata.clone(),
        payload,
    })
}
