//! JSON Schema export of the published contract, one file per topic.

use schemars::schema_for;

use crate::{EventEnvelope, ItineraryEvent};

/// `(file name, pretty JSON schema)` for every topic's envelope, in a stable order.
pub fn all_schemas() -> Vec<(String, String)> {
    let itinerary = schema_for!(EventEnvelope<ItineraryEvent>);
    vec![(
        "wayfarer.itinerary.schema.json".to_owned(),
        pretty(&itinerary),
    )]
}

fn pretty(schema: &schemars::Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema always serialises");
    text.push('\n');
    text
}
