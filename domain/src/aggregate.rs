//! The contract every aggregate implements: a pure decide/apply pair in the style of esrs.
//!
//! `decide` checks a command against the current state and returns the events it causes,
//! without changing anything; `apply` folds one recorded event into the state and never
//! fails. The command side (`wayfarer_commands::CommandHandler`) drives any implementation:
//! load or cache, decide, append, retry a lost race. Nothing here performs IO.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wayfarer_schemas::EventContract;

/// The coarse class of a rejection, so every edge maps errors the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The target does not exist, or the actor may not know that it does (HTTP 404).
    NotFound,
    /// The actor may not do this (HTTP 403).
    Forbidden,
    /// The command clashes with the current state (HTTP 409); a version mismatch is
    /// retryable after reloading.
    Conflict,
    /// The input is invalid (HTTP 400/422); retrying unchanged will fail again.
    Validation,
}

/// A rejection an aggregate returns; `kind` tells a caller how to react.
pub trait DomainError: std::error::Error + Send + Sync + 'static {
    fn kind(&self) -> ErrorKind;
}

/// One aggregate type: its commands, events, rejections and how it evolves.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    /// The aggregate type as stored and published (`wayfarer.<TYPE>` is its topic).
    const TYPE: &'static str;
    /// What a caller may ask; carries its own context (actor, time, expected version).
    type Command: Clone + Send + Sync + 'static;
    /// What happened; the published contract.
    type Event: EventContract + Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
    type Error: DomainError;

    /// Decide: validate `command` against the current state; never mutates.
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Evolve: apply one recorded event. Events are facts, so this never fails.
    fn apply(&mut self, event: &Self::Event);

    /// The version the command pins, if any. A command that pins one is never retried after
    /// losing an append race (the caller asked to be told).
    fn expected_version(command: &Self::Command) -> Option<u64>;

    /// True when the command creates a new aggregate under a freshly minted id, so there is
    /// nothing to load first (a wrong guess only costs a clash and a retry).
    fn creates_new(_command: &Self::Command) -> bool {
        false
    }

    /// The format of this aggregate's snapshots, or `None` (the default) to take none. Change
    /// it whenever the state's shape or meaning changes: snapshots of another format are
    /// ignored and the state is folded from the first event again.
    const SNAPSHOT_FORMAT: Option<&'static str> = None;

    /// The state as a snapshot (see [`Aggregate::SNAPSHOT_FORMAT`]).
    fn to_snapshot(&self) -> Option<serde_json::Value> {
        None
    }

    /// The state from a snapshot of the current format; `None` if it does not read.
    fn from_snapshot(_snapshot: serde_json::Value) -> Option<Self> {
        None
    }

    /// The state after applying `events` in order to a new aggregate.
    fn from_events<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }
}
