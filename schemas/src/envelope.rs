//! The envelope every event travels in, from the store to Kafka to every consumer.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who caused an event and in which flow. Stored with each event and copied into the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventMetadata {
    /// The authenticated user that issued the command; `None` for system actors (demo seeding).
    pub actor: Option<Uuid>,
    /// Unique per command; every event of one command shares it.
    pub command_id: Uuid,
    /// Shared by everything one client request set in motion.
    pub correlation_id: Uuid,
    /// The command or event that directly caused this one.
    pub causation_id: Uuid,
}

impl EventMetadata {
    /// Metadata keys as stored in the event store's string map (cqrs-es metadata).
    pub const ACTOR: &'static str = "actor";
    pub const COMMAND_ID: &'static str = "commandId";
    pub const CORRELATION_ID: &'static str = "correlationId";
    pub const CAUSATION_ID: &'static str = "causationId";

    /// Metadata for a command that starts a new flow (causation = correlation = command).
    pub fn for_new_command(actor: Option<Uuid>, command_id: Uuid) -> Self {
        Self {
            actor,
            command_id,
            correlation_id: command_id,
            causation_id: command_id,
        }
    }

    /// The W3C trace context of the flow this event belongs to (`traceparent`): the trace id
    /// is the correlation id, the parent span id the low half of the command id, so every
    /// span a consumer opens for the event names the request that caused it.
    pub fn traceparent(&self) -> String {
        let span = (self.command_id.as_u128() as u64).max(1);
        format!("00-{}-{span:016x}-01", self.correlation_id.simple())
    }

    pub fn to_map(&self) -> std::collections::HashMap<String, String> {
        let mut map = std::collections::HashMap::new();
        if let Some(actor) = self.actor {
            map.insert(Self::ACTOR.to_owned(), actor.to_string());
        }
        map.insert(Self::COMMAND_ID.to_owned(), self.command_id.to_string());
        map.insert(
            Self::CORRELATION_ID.to_owned(),
            self.correlation_id.to_string(),
        );
        map.insert(Self::CAUSATION_ID.to_owned(), self.causation_id.to_string());
        map
    }

    /// Reads the stored map back; missing or malformed ids become the nil UUID rather than
    /// failing, so an old or hand-written event never stops a reader.
    pub fn from_map(map: &std::collections::HashMap<String, String>) -> Self {
        let id = |key: &str| {
            map.get(key)
                .and_then(|value| Uuid::parse_str(value).ok())
                .unwrap_or(Uuid::nil())
        };
        Self {
            actor: map.get(Self::ACTOR).and_then(|v| Uuid::parse_str(v).ok()),
            command_id: id(Self::COMMAND_ID),
            correlation_id: id(Self::CORRELATION_ID),
            causation_id: id(Self::CAUSATION_ID),
        }
    }
}

/// One stored event as published on `wayfarer.<aggregateType>` (key = aggregate id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope<P> {
    /// Stable id of this event (assigned by the store, identical on every re-publication).
    pub event_id: Uuid,
    pub aggregate_type: String,
    /// The aggregate's id as stored: a UUID for every aggregate today, but any text is kept
    /// as it is (never replaced by a placeholder).
    pub aggregate_id: String,
    /// 1-based position of the event within its aggregate's stream.
    pub sequence: u64,
    /// Position in the whole store; increases with insertion, not strictly with commit.
    pub global_position: i64,
    pub event_type: String,
    pub event_version: String,
    /// When the store committed the event.
    pub occurred_at: DateTime<Utc>,
    pub metadata: EventMetadata,
    pub payload: P,
}

impl<P> EventEnvelope<P> {
    /// The aggregate id as a UUID, for aggregates whose ids are UUIDs.
    pub fn aggregate_uuid(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.aggregate_id).ok()
    }
}
