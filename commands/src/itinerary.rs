//! The Itinerary aggregate wired into cqrs-es, and its command handler.

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework, DomainEvent};
use postgres_es::PostgresEventRepository;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_domain::itinerary::{Itinerary, ItineraryCommand, ItineraryError};
use wayfarer_schemas::itinerary::{AGGREGATE_TYPE, EVENT_VERSION};
use wayfarer_schemas::{EventMetadata, ItineraryEvent};

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

type ItineraryStore = PersistedEventStore<PostgresEventRepository, ItineraryAggregate>;

/// Executes itinerary commands against the PostgreSQL event store.
pub struct ItineraryCommandHandler {
    cqrs: CqrsFramework<ItineraryAggregate, ItineraryStore>,
    pool: PgPool,
}

impl ItineraryCommandHandler {
    pub fn new(pool: PgPool) -> Self {
        // Plain event-store mode: cqrs-es's snapshot and aggregate-store modes apply events
        // twice. No queries are registered: read models are fed through Kafka by the relay.
        let store =
            PersistedEventStore::new_event_store(PostgresEventRepository::new(pool.clone()));
        Self {
            cqrs: CqrsFramework::new(store, vec![], ()),
            pool,
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
        let mut attempt = 0;
        loop {
            let result = self
                .cqrs
                .execute_with_metadata(&id, command.clone(), metadata.to_map())
                .await;
            match result {
                Ok(()) => return self.outcome_of(&id, metadata.command_id).await,
                Err(AggregateError::AggregateConflict) if attempt < retries => {
                    attempt += 1;
                    tracing::debug!(attempt, "append race lost, retrying");
                    // A little jitter so racing commands don't collide again in lockstep.
                    let jitter = (Uuid::new_v4().as_u128() % (attempt as u128 * 2000)) as u64;
                    tokio::time::sleep(std::time::Duration::from_micros(jitter)).await;
                }
                Err(error) => return Err(map_error(error)),
            }
        }
    }

    async fn outcome_of(&self, id: &str, command_id: Uuid) -> Result<CommandOutcome, CommandError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT global_position, sequence FROM events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND metadata->>'commandId' = $3 \
             ORDER BY sequence DESC LIMIT 1",
        )
        .bind(AGGREGATE_TYPE)
        .bind(id)
        .bind(command_id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(|error| CommandError::Store(error.to_string()))?;
        let (position, sequence) =
            row.ok_or_else(|| CommandError::Store("appended event not found".to_owned()))?;
        Ok(CommandOutcome {
            position,
            version: sequence as u64,
        })
    }
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
