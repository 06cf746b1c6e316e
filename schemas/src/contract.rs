//! The event contract of one aggregate type, and the registry of every contract.
//!
//! Each aggregate's event enum implements [`EventContract`]: its aggregate type, the current
//! schema version, the names of its event types and an upcaster hook that turns a payload
//! stored under an older version into the current shape. Every reader of stored events (the
//! command side's loader, the relay, projectors, rebuilds and replays) decodes through
//! [`decode_event`] or [`Registry::to_current`], so an old version is upcast on read and the
//! log itself is never rewritten. `schemas export|check` iterate the [`Registry`].

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::EventEnvelope;

/// Why a stored payload could not become a current event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The payload is not the JSON the contract describes.
    #[error("{event_type} v{version}: {source}")]
    Payload {
        event_type: String,
        version: String,
        #[source]
        source: serde_json::Error,
    },
    /// No upcaster knows this version (written by a newer release, or corrupted).
    #[error("no upcaster from {event_type} v{version} to the current version")]
    UnknownVersion { event_type: String, version: String },
    /// No contract is registered for the aggregate type.
    #[error("no event contract registered for aggregate type {0:?}")]
    UnknownAggregate(String),
}

/// The published contract of one aggregate type's events.
pub trait EventContract {
    /// The aggregate type, as stored and in the topic name `wayfarer.<type>`.
    const AGGREGATE_TYPE: &'static str;
    /// The current schema version of every event of this aggregate.
    const VERSION: &'static str;
    /// The `type` tag of every event, in declaration order.
    const EVENT_TYPES: &'static [&'static str];

    /// Whether payloads hold a person's data under `"personal"` keys. The store seals those
    /// with the person's own key (the aggregate is the person), so that forgetting them
    /// erases it from the log and every topic (see `wayfarer_vault`).
    const PERSONAL_DATA: bool = false;

    /// The `type` tag of this event (the store's `event_type`, the `ce_type` suffix).
    fn event_type(&self) -> &'static str;

    /// Upcaster hook: rewrites a payload stored as `event_type` at an older `version` into
    /// the current shape. There is no older version yet, so by default none is known.
    fn upcast(event_type: &str, version: &str, payload: Value) -> Result<Value, DecodeError> {
        let _ = payload;
        Err(DecodeError::UnknownVersion {
            event_type: event_type.to_owned(),
            version: version.to_owned(),
        })
    }
}

/// Decodes a stored payload into the current event type, upcasting older versions.
pub fn decode_event<E>(event_type: &str, version: &str, payload: &str) -> Result<E, DecodeError>
where
    E: EventContract + DeserializeOwned,
{
    let payload_error = |source| DecodeError::Payload {
        event_type: event_type.to_owned(),
        version: version.to_owned(),
        source,
    };
    if version == E::VERSION {
        return serde_json::from_str(payload).map_err(payload_error);
    }
    let value: Value = serde_json::from_str(payload).map_err(payload_error)?;
    let current = E::upcast(event_type, version, value)?;
    serde_json::from_value(current).map_err(payload_error)
}

/// One registered contract, type-erased so the registry can list them together.
#[derive(Clone, Copy)]
pub struct RegisteredContract {
    pub aggregate_type: &'static str,
    pub version: &'static str,
    pub event_types: &'static [&'static str],
    schema: fn() -> schemars::Schema,
    upcast: fn(&str, &str, Value) -> Result<Value, DecodeError>,
    /// Decodes a stored payload of any version into the current event; its event type.
    decode: fn(&str, &str, &str) -> Result<&'static str, DecodeError>,
}

impl RegisteredContract {
    pub fn of<E: EventContract + JsonSchema + DeserializeOwned>() -> Self {
        Self {
            aggregate_type: E::AGGREGATE_TYPE,
            version: E::VERSION,
            event_types: E::EVENT_TYPES,
            schema: || schemars::schema_for!(EventEnvelope<E>),
            upcast: E::upcast,
            decode: |event_type, version, payload| {
                decode_event::<E>(event_type, version, payload).map(|event| event.event_type())
            },
        }
    }

    /// The event type a stored payload (of any version) becomes in the current version.
    pub fn decodes(
        &self,
        event_type: &str,
        version: &str,
        payload: &str,
    ) -> Result<&'static str, DecodeError> {
        (self.decode)(event_type, version, payload)
    }

    /// The JSON Schema of this aggregate's envelopes as published on its topic.
    pub fn envelope_schema(&self) -> schemars::Schema {
        (self.schema)()
    }

    /// File name of the published schema: `wayfarer.<type>.schema.json`.
    pub fn schema_file(&self) -> String {
        format!("{}.schema.json", crate::topic_for(self.aggregate_type))
    }
}

/// Every aggregate's event contract. Built once by the composition root (and by tests that add
/// their own aggregates); adding an aggregate is one [`Registry::register`] call.
#[derive(Clone, Default)]
pub struct Registry {
    contracts: Vec<RegisteredContract>,
}

impl Registry {
    /// The contracts of every aggregate this release ships.
    pub fn standard() -> Self {
        Self::default()
            .register::<crate::ItineraryEvent>()
            .register::<crate::UserEvent>()
            .register::<crate::TemplateEvent>()
            .register::<crate::InboxEvent>()
            .register::<crate::WalletEvent>()
            .register::<crate::BookingEvent>()
            .register::<crate::PlaceEvent>()
            .register::<crate::ReviewEvent>()
            .register::<crate::PostEvent>()
            .register::<crate::CommentEvent>()
            .register::<crate::ReactionEvent>()
            .register::<crate::GuidelinesEvent>()
            .register::<crate::ModerationEvent>()
    }

    pub fn register<E: EventContract + JsonSchema + DeserializeOwned>(mut self) -> Self {
        self.contracts
            .retain(|contract| contract.aggregate_type != E::AGGREGATE_TYPE);
        self.contracts.push(RegisteredContract::of::<E>());
        self
    }

    pub fn contracts(&self) -> &[RegisteredContract] {
        &self.contracts
    }

    pub fn get(&self, aggregate_type: &str) -> Option<&RegisteredContract> {
        self.contracts
            .iter()
            .find(|contract| contract.aggregate_type == aggregate_type)
    }

    /// A stored payload in the current version of its contract, with that version: borrowed
    /// as it is when it is current (the common case, no parsing), upcast otherwise. Aggregates
    /// without a registered contract pass through unchanged, with no version (analysts still
    /// get them).
    pub fn to_current<'a>(
        &self,
        aggregate_type: &str,
        event_type: &str,
        version: &str,
        payload: &'a str,
    ) -> Result<(Cow<'a, str>, Option<&'static str>), DecodeError> {
        let Some(contract) = self.get(aggregate_type) else {
            return Ok((Cow::Borrowed(payload), None));
        };
        if version == contract.version {
            return Ok((Cow::Borrowed(payload), Some(contract.version)));
        }
        let value: Value =
            serde_json::from_str(payload).map_err(|source| DecodeError::Payload {
                event_type: event_type.to_owned(),
                version: version.to_owned(),
                source,
            })?;
        let current = (contract.upcast)(event_type, version, value)?;
        Ok((Cow::Owned(current.to_string()), Some(contract.version)))
    }

    /// `(file name, pretty JSON Schema)` for every registered topic, in registration order.
    pub fn schema_files(&self) -> Vec<(String, String)> {
        self.contracts
            .iter()
            .map(|contract| {
                let mut text = serde_json::to_string_pretty(&contract.envelope_schema())
                    .expect("a schema always serialises");
                text.push('\n');
                (contract.schema_file(), text)
            })
            .collect()
    }
}
