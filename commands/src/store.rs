//! The event store as the command side uses it: postgres-es's tables, loaded through
//! cqrs-es's event store, shaped so that a command costs one PostgreSQL round trip.
//!
//! - After a command, the aggregate stays in a bounded in-process cache, so the next command
//!   on it skips the load. A stale entry (another process appended meanwhile) cannot commit
//!   anything wrong: its append clashes on the `(aggregate_type, aggregate_id, sequence)` key,
//!   the entry is dropped and the command is decided again on the stored state.
//! - An append is one autocommit `INSERT … RETURNING` (all of a command's events in one
//!   statement, so they commit together), which also yields the positions for read-your-writes.
//!   One-event appends (every itinerary command today) go through [`crate::group_commit`],
//!   which shares that statement among concurrent commands.
//!
//! Loads on a cache miss go through cqrs-es's plain event-store mode on postgres-es.

use std::collections::HashMap;
use std::sync::Arc;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, DomainEvent, EventStore};
use postgres_es::PostgresEventRepository;
use quick_cache::sync::Cache;
use sqlx::PgPool;

use crate::group_commit::{GroupCommit, GroupCommitError, Landed, NewEvent};

/// Aggregates kept in memory per process (least recently used ones are evicted).
const CACHED_AGGREGATES: usize = 10_000;

/// The aggregate a command is decided against, and where it came from.
pub struct LoadedAggregate<A: Aggregate> {
    pub aggregate_id: String,
    pub aggregate: A,
    /// Sequence of the last event applied to `aggregate` (0 for a new aggregate).
    pub sequence: usize,
    /// True when the state came from the in-process cache: it may be behind the store, so a
    /// rejection decided on it must be confirmed against the stored state.
    pub from_cache: bool,
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Global position of the last appended event.
    pub position: i64,
    /// The aggregate's sequence (version) after the append.
    pub sequence: usize,
}

/// Why an append failed.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another writer appended to the aggregate since it was loaded.
    #[error("the aggregate was changed concurrently")]
    Conflict,
    #[error("event could not be serialised: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("event store: {0}")]
    Store(#[from] sqlx::Error),
    #[error("{0}")]
    GroupCommit(#[from] GroupCommitError),
}

impl<E: std::error::Error> From<AppendError> for AggregateError<E> {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::Conflict => AggregateError::AggregateConflict,
            AppendError::Serialize(error) => AggregateError::UnexpectedError(Box::new(error)),
            AppendError::Store(error) => AggregateError::DatabaseConnectionError(Box::new(error)),
            AppendError::GroupCommit(error) => {
                AggregateError::DatabaseConnectionError(Box::new(error))
            }
        }
    }
}

/// Loads (through cqrs-es on postgres-es) and appends aggregates' events, with a cache.
pub struct CachedEventStore<A: Aggregate> {
    loader: PersistedEventStore<PostgresEventRepository, A>,
    pool: PgPool,
    group_commit: GroupCommit,
    cache: Cache<String, Arc<(A, usize)>>,
}

impl<A> CachedEventStore<A>
where
    A: Aggregate + Clone + Send + Sync,
{
    pub fn new(pool: PgPool) -> Self {
        // Plain event-store mode: cqrs-es's snapshot and aggregate-store modes apply events
        // twice.
        let loader =
            PersistedEventStore::new_event_store(PostgresEventRepository::new(pool.clone()));
        Self {
            loader,
            group_commit: GroupCommit::start(pool.clone()),
            pool,
            cache: Cache::new(CACHED_AGGREGATES),
        }
    }

    /// The aggregate's current state: from the cache when present, else from the store.
    pub async fn load(
        &self,
        aggregate_id: &str,
    ) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
        if let Some(entry) = self.cache.get(aggregate_id) {
            let (aggregate, sequence) = entry.as_ref().clone();
            return Ok(LoadedAggregate {
                aggregate_id: aggregate_id.to_owned(),
                aggregate,
                sequence,
                from_cache: true,
            });
        }
        self.load_stored(aggregate_id).await
    }

    /// The aggregate's state as stored, bypassing the cache (and refreshing it).
    pub async fn load_stored(
        &self,
        aggregate_id: &str,
    ) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
        let stored = self.loader.load_aggregate(aggregate_id).await?;
        self.cache.insert(
            aggregate_id.to_owned(),
            Arc::new((stored.aggregate.clone(), stored.current_sequence)),
        );
        Ok(LoadedAggregate {
            aggregate_id: aggregate_id.to_owned(),
            aggregate: stored.aggregate,
            sequence: stored.current_sequence,
            from_cache: false,
        })
    }

    /// Records that `aggregate_id` has no events (its id was just minted), so its first
    /// command skips the load. Were the id taken after all, the append would clash.
    pub fn know_new(&self, aggregate_id: &str) {
        self.cache
            .insert(aggregate_id.to_owned(), Arc::new((A::default(), 0)));
    }

    /// Drops the cached state of `aggregate_id` (the next load reads the store).
    fn forget(&self, aggregate_id: &str) {
        self.cache.remove(aggregate_id);
    }

    /// Appends `events` after `loaded.sequence` in one statement. `loaded.aggregate` must
    /// already have the events applied (cqrs-es's `EventSink` does that); it becomes the
    /// cached state on success.
    pub async fn append(
        &self,
        events: &[A::Event],
        loaded: LoadedAggregate<A>,
        metadata: &HashMap<String, String>,
    ) -> Result<Appended, AppendError> {
        if events.is_empty() {
            return Ok(Appended {
                position: 0,
                sequence: loaded.sequence,
            });
        }
        let metadata = serde_json::to_string(metadata)?;
        let result = if let [event] = events {
            self.append_one(event, &loaded, metadata).await
        } else {
            self.append_all(events, &loaded, &metadata).await
        };
        let position = match result {
            Ok(position) => position,
            Err(error) => {
                self.forget(&loaded.aggregate_id);
                return Err(error);
            }
        };
        let appended = Appended {
            position,
            sequence: loaded.sequence + events.len(),
        };
        self.cache.insert(
            loaded.aggregate_id,
            Arc::new((loaded.aggregate, appended.sequence)),
        );
        Ok(appended)
    }
    /// One event: through group commit.
    async fn append_one(
        &self,
        event: &A::Event,
        loaded: &LoadedAggregate<A>,
        metadata: String,
    ) -> Result<i64, AppendError> {
        let row = NewEvent {
            aggregate_type: A::TYPE.to_owned(),
            aggregate_id: loaded.aggregate_id.clone(),
            sequence: (loaded.sequence + 1) as i64,
            event_type: event.event_type(),
            event_version: event.event_version(),
            payload: serde_json::to_string(event)?,
            metadata,
        };
        match self.group_commit.append(row).await? {
            Landed::At(position) => Ok(position),
            Landed::Clashed => Err(AppendError::Conflict),
        }
    }

    /// Several events: one statement of their own, all or nothing. Returns the last position.
    async fn append_all(
        &self,
        events: &[A::Event],
        loaded: &LoadedAggregate<A>,
        metadata: &str,
    ) -> Result<i64, AppendError> {
        let mut sequences = Vec::with_capacity(events.len());
        let mut event_types = Vec::with_capacity(events.len());
        let mut event_versions = Vec::with_capacity(events.len());
        let mut payloads = Vec::with_capacity(events.len());
        for (event, sequence) in events.iter().zip(loaded.sequence + 1..) {
            sequences.push(sequence as i64);
            event_types.push(event.event_type());
            event_versions.push(event.event_version());
            payloads.push(serde_json::to_string(event)?);
        }
        let positions: Vec<(i64,)> = sqlx::query_as(
            "INSERT INTO events \
                (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
             SELECT $1, $2, e.sequence, e.event_type, e.event_version, e.payload::json, $7::json \
             FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[]) \
                 AS e(sequence, event_type, event_version, payload) \
             RETURNING global_position",
        )
        .bind(A::TYPE)
        .bind(&loaded.aggregate_id)
        .bind(&sequences)
        .bind(&event_types)
        .bind(&event_versions)
        .bind(&payloads)
        .bind(metadata)
        .fetch_all(&self.pool)
        .await
        .map_err(|error| {
            if is_sequence_clash(&error) {
                AppendError::Conflict
            } else {
                AppendError::Store(error)
            }
        })?;
        Ok(positions.iter().map(|(p,)| *p).max().unwrap_or(0))
    }
}

/// A unique violation on the events' primary key: someone else took this sequence.
fn is_sequence_clash(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|db| {
        db.is_unique_violation() && db.constraint().is_none_or(|name| name == "events_pkey")
    })
}
