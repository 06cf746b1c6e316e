//! Validates events against the JSON Schema the project publishes under `schemas/json`.

use serde_json::Value;
use sqlx::PgPool;
use wayfarer_projections::store::{self, CommitPosition};

/// The published schema of `wayfarer.itinerary` envelopes, as committed in the repository.
pub fn itinerary_schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/json/wayfarer.itinerary.schema.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file exists"))
        .expect("schema is json")
}

/// Panics with the first violation if any envelope does not match the published schema.
pub fn assert_envelopes_valid<'a>(envelopes: impl IntoIterator<Item = &'a Value>) -> usize {
    let validator = itinerary_validator();
    envelopes
        .into_iter()
        .map(|envelope| assert_valid(&validator, envelope))
        .count()
}

fn itinerary_validator() -> jsonschema::Validator {
    jsonschema::validator_for(&itinerary_schema()).expect("schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, envelope: &Value) {
    if let Err(error) = validator.validate(envelope) {
        panic!("event does not match the published schema: {error}\n{envelope}");
    }
}

/// Validates every event in the test's store, as the relay would publish it (read in commit
/// order, a chunk at a time; the test's writers have stopped, so every event is committed),
/// against its aggregate's schema: the committed file for the standard aggregates (the same
/// as the generated one, which CI checks), the generated schema for a test's own.
pub async fn assert_store_valid(pool: &PgPool, events: &wayfarer_schemas::Registry) -> usize {
    let mut validators: std::collections::HashMap<String, jsonschema::Validator> =
        std::collections::HashMap::new();
    validators.insert("itinerary".to_owned(), itinerary_validator());
    let mut connection = pool.acquire().await.expect("connection");
    let mut position = CommitPosition::default();
    let mut checked = 0;
    loop {
        let chunk = store::read_committed_after(&mut connection, position, None, 5_000)
            .await
            .expect("events");
        let Some(last) = chunk.last() else {
            break;
        };
        position = last.commit_position();
        for event in &chunk {
            let validator = validators
                .entry(event.aggregate_type.clone())
                .or_insert_with(|| {
                    let contract = events
                        .get(&event.aggregate_type)
                        .unwrap_or_else(|| panic!("no contract for {}", event.aggregate_type));
                    let schema = serde_json::to_value(contract.envelope_schema()).expect("json");
                    jsonschema::validator_for(&schema).expect("schema compiles")
                });
            let envelope =
                serde_json::to_value(event.envelope(events).expect("stored JSON")).expect("json");
            assert_valid(validator, &envelope);
        }
        checked += chunk.len();
    }
    checked
}
