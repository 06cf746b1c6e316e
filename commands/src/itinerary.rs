//! The Itinerary aggregate wired into cqrs-es, and its command handler.

use std::collections::HashMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateError, DomainEvent};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_domain::itinerary::{Itinerary, ItineraryCommand, ItineraryError};
use wayfarer_schemas::itinerary::{AGGREGATE_TYPE, EVENT_VERSION};
use wayfarer_schemas::{EventMetadata, ItineraryEvent};

use crate::store::{Appended, CachedEventStore};
use crate::{CommandError, CommandOutcome};

/// How often a command without a pinned version is retried after losing an append race.
const CONFLICT_RETRIES: u32 = 10;

/// cqrs-es needs its traits on local types; these newtypes add nothing else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItineraryAggregate(pub Itinerary);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredItineraryEvent(pub ItineraryEvent);

impl DomainEvent for StoredItineraryEvent {
    fn event_type(&self) -> String {
        self.0.event_type().to_owned()
    }

    fn event_version(&self) -> String {
        EVENT_VERSION.to_owned()
    }
}

impl Aggregate for ItineraryAggregate {
    const TYPE: &'static str = AGGREGATE_TYPE;
    type Command = ItineraryCommand;
    type Event = StoredItineraryEvent;
    type Error = ItineraryError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.0.handle(command)? {
            sink.write(StoredItineraryEvent(event), self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.0.apply(&event.0);
    }
}

/// Executes itinerary commands against the PostgreSQL event store.
pub struct ItineraryCommandHandler {
    store: CachedEventStore<ItineraryAggregate>,
}

impl ItineraryCommandHandler {
    pub fn new(pool: PgPool) -> Self {
        Self {
            store: CachedEventStore::new(pool),
        }
    }

    /// Runs one command. A lost append race is retried when the caller did not pin a version
    /// (the command is re-decided against the fresh state, so invariants still hold).
    #[tracing::instrument(skip_all, fields(aggregate_id = %aggregate_id, command_id = %metadata.command_id))]
    pub async fn execute(
        &self,
        aggregate_id: Uuid,
        command: ItineraryCommand,
        metadata: &EventMetadata,
    ) -> Result<CommandOutcome, CommandError> {
        let retries = if command.context().expected_version.is_some() {
            0
        } else {
            CONFLICT_RETRIES
        };
        let id = aggregate_id.to_string();
        if matches!(command, ItineraryCommand::Create { .. }) {
            // The API mints a fresh id for every create: there is nothing to load.
            self.store.know_new(&id);
        }
        let metadata = metadata.to_map();
        let mut attempt = 0;
        let mut use_cache = true;
        loop {
            match self
                .decide_and_append(&id, command.clone(), &metadata, use_cache)
                .await
            {
                Ok(appended) => {
                    return Ok(CommandOutcome {
                        position: appended.position,
                        version: appended.sequence as u64,
                    })
                }
                Err(Attempt::Stale) => {
                    // Decided on a cached state that may be behind: decide again on the store.
                    use_cache = false;
                }
                Err(Attempt::Failed(AggregateError::AggregateConflict)) if attempt < retries => {
                    attempt += 1;
                    tracing::debug!(attempt, "append race lost, retrying");
                    // A little jitter so racing commands don't collide again in lockstep.
                    let jitter = (Uuid::new_v4().as_u128() % (attempt as u128 * 2000)) as u64;
                    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
                }
                Err(Attempt::Failed(error)) => return Err(map_error(error)),
            }
        }
    }

    /// One try: load, let the aggregate decide (cqrs-es's `EventSink` applies what it
    /// emits), append in one statement.
    async fn decide_and_append(
        &self,
        id: &str,
        command: ItineraryCommand,
        metadata: &HashMap<String, String>,
        use_cache: bool,
    ) -> Result<Appended, Attempt> {
        let mut loaded = if use_cache {
            self.store.load(id).await
        } else {
            self.store.load_stored(id).await
        }
        .map_err(Attempt::Failed)?;
        let sink = EventSink::default();
        if let Err(rejection) = loaded.aggregate.handle(command, &(), &sink).await {
            return Err(if loaded.from_cache {
                Attempt::Stale
            } else {
                Attempt::Failed(AggregateError::UserError(rejection))
            });
        }
        let events = sink.collect().await;
        self.store
            .append(&events, loaded, metadata)
            .await
            .map_err(|e| Attempt::Failed(e.into()))
    }
}

/// How one try of a command ended, short of success.
enum Attempt {
    /// Rejected on cached state: to be confirmed on the stored state before reporting.
    Stale,
    Failed(AggregateError<ItineraryError>),
}

fn map_error(error: AggregateError<ItineraryError>) -> CommandError {
    match error {
        AggregateError::UserError(rejection) => CommandError::Rejected(rejection),
        AggregateError::AggregateConflict => CommandError::Conflict,
        AggregateError::DatabaseConnectionError(error)
        | AggregateError::DeserializationError(error)
        | AggregateError::UnexpectedError(error) => CommandError::Store(error.to_string()),
    }
}
