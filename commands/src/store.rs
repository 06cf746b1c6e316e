//! The event store as the command side uses it, shaped so that a command costs one
//! PostgreSQL round trip.
//!
//! - After a command, the aggregate stays in a bounded in-process cache, so the next command
//!   on it skips the load. A stale entry (another process appended meanwhile) cannot commit
//!   anything wrong: its append clashes on the `(aggregate_type, aggregate_id, sequence)` key,
//!   the entry is dropped and the command is decided again on the stored state.
//! - An append is one autocommit `INSERT … RETURNING` (all of a command's events in one
//!   statement, so they commit together), which also yields the positions for read-your-writes.
//!   One-event appends go through [`crate::group_commit`], which shares that statement among
//!   concurrent commands; appends that carry an idempotency key record it in the same
//!   statement, so the key and the events commit together or not at all.
//! - Loads read the stream in sequence order and decode each payload through the event
//!   contract, which upcasts older versions.

use std::marker::PhantomData;
use std::sync::Arc;

use quick_cache::sync::Cache;
use sqlx::PgPool;
use wayfarer_domain::Aggregate;
use wayfarer_schemas::{decode_event, EventContract};
use wayfarer_vault::Vault;

use crate::error::StoreError;
use crate::group_commit::{GroupCommit, Landed, NewEvent};
use crate::idempotency::{IdempotencyClaim, StoredOutcome};
use crate::sqlstate::{classify, Failure};

/// Aggregates kept in memory per process (least recently used ones are evicted).
const CACHED_AGGREGATES: usize = 10_000;

/// The aggregate a command is decided against, and where it came from.
pub struct LoadedAggregate<A> {
    pub aggregate_id: String,
    pub aggregate: A,
    /// Sequence of the last event applied to `aggregate` (0 for a new aggregate).
    pub sequence: u64,
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
    pub sequence: u64,
}

/// Why an append did not land.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another writer appended to the aggregate since it was loaded.
    #[error("the aggregate was changed concurrently")]
    Conflict,
    /// A request with the same idempotency key committed first.
    #[error("the idempotency key was taken concurrently")]
    KeyTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppendError {
    fn from(error: sqlx::Error) -> Self {
        AppendError::Store(StoreError::Postgres(error))
    }
}

#[derive(sqlx::FromRow)]
struct StoredEvent {
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: String,
}

/// The state of an aggregate from its events recorded up to `as_of` (all of them without it),
/// with personal data opened (erased if the person was forgotten). For auditors' "as it was
/// then" views as much as for the command side.
pub async fn load_as_of<A: Aggregate>(
    pool: &PgPool,
    vault: Option<&Vault>,
    aggregate_id: &str,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<LoadedAggregate<A>, StoreError> {
    load_until(pool, vault, aggregate_id, as_of, None).await
}

/// The state of an aggregate at `version` (its first `version` events), as
/// [`load_as_of`] reads it: for restoring an earlier version.
pub async fn load_version<A: Aggregate>(
    pool: &PgPool,
    vault: Option<&Vault>,
    aggregate_id: &str,
    version: u64,
) -> Result<LoadedAggregate<A>, StoreError> {
    let version = i64::try_from(version).unwrap_or(i64::MAX);
    load_until(pool, vault, aggregate_id, None, Some(version)).await
}

async fn load_until<A: Aggregate>(
    pool: &PgPool,
    vault: Option<&Vault>,
    aggregate_id: &str,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    version: Option<i64>,
) -> Result<LoadedAggregate<A>, StoreError> {
    // The current state starts from the latest snapshot; a past one folds from the start.
    let start = match (as_of, version) {
        (None, None) => crate::snapshot::latest::<A>(pool, aggregate_id).await?,
        _ => None,
    };
    let (mut aggregate, mut sequence) = start.unwrap_or_default();
    let rows: Vec<StoredEvent> = sqlx::query_as(
        "SELECT sequence, event_type, event_version, payload::text AS payload FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = $2 \
           AND ($3::timestamptz IS NULL OR recorded_at <= $3) \
           AND ($4::int8 IS NULL OR sequence <= $4) AND sequence > $5 ORDER BY sequence",
    )
    .bind(A::TYPE)
    .bind(aggregate_id)
    .bind(as_of)
    .bind(version)
    .bind(sequence as i64)
    .fetch_all(pool)
    .await?;
    for row in rows {
        let payload = opened::<A>(pool, vault, &row.payload).await?;
        let event: A::Event =
            decode_event(&row.event_type, &row.event_version, &payload).map_err(|source| {
                StoreError::Undecodable {
                    aggregate_id: aggregate_id.to_owned(),
                    sequence: row.sequence,
                    source,
                }
            })?;
        aggregate.apply(&event);
        sequence = row.sequence as u64;
    }
    Ok(LoadedAggregate {
        aggregate_id: aggregate_id.to_owned(),
        aggregate,
        sequence,
        from_cache: false,
    })
}

/// A stored payload with its personal data opened (erased if the person was forgotten).
async fn opened<'p, A: Aggregate>(
    pool: &PgPool,
    vault: Option<&Vault>,
    payload: &'p str,
) -> Result<std::borrow::Cow<'p, str>, StoreError> {
    if !<A::Event as EventContract>::PERSONAL_DATA || !wayfarer_vault::may_hold_sealed(payload) {
        return Ok(std::borrow::Cow::Borrowed(payload));
    }
    let vault = vault.ok_or(StoreError::NoVault(A::TYPE))?;
    let mut connection = pool.acquire().await?;
    Ok(std::borrow::Cow::Owned(
        vault.open(&mut connection, payload).await?,
    ))
}

/// Loads and appends one aggregate type's streams, with a cache.
pub struct AggregateStore<A: Aggregate> {
    pool: PgPool,
    /// Seals and opens personal data, for contracts that carry it.
    vault: Option<Vault>,
    group_commit: GroupCommit,
    cache: Cache<String, Arc<(A, u64)>>,
    aggregate: PhantomData<A>,
}

impl<A: Aggregate> AggregateStore<A> {
    pub fn new(pool: PgPool, vault: Option<Vault>) -> Self {
        Self {
            group_commit: GroupCommit::start(pool.clone()),
            pool,
            vault,
            cache: Cache::new(CACHED_AGGREGATES),
            aggregate: PhantomData,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The aggregate's current state: from the cache when present, else from the store.
    pub async fn load(&self, aggregate_id: &str) -> Result<LoadedAggregate<A>, StoreError> {
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
    pub async fn load_stored(&self, aggregate_id: &str) -> Result<LoadedAggregate<A>, StoreError> {
        let loaded = load_as_of::<A>(&self.pool, self.vault.as_ref(), aggregate_id, None).await?;
        self.cache.insert(
            aggregate_id.to_owned(),
            Arc::new((loaded.aggregate.clone(), loaded.sequence)),
        );
        Ok(loaded)
    }

    /// The vault, required by contracts that carry personal data.
    fn vault(&self) -> Result<&Vault, StoreError> {
        self.vault.as_ref().ok_or(StoreError::NoVault(A::TYPE))
    }

    /// The payload to store: personal data sealed with the person's key (the aggregate is the
    /// person).
    async fn payload(&self, event: &A::Event, aggregate_id: &str) -> Result<String, StoreError> {
        if !<A::Event as EventContract>::PERSONAL_DATA {
            return Ok(serde_json::to_string(event)?);
        }
        let value = serde_json::to_value(event)?;
        if !wayfarer_vault::has_open_personal_data(&value) {
            return Ok(value.to_string());
        }
        let subject = uuid::Uuid::parse_str(aggregate_id)
            .map_err(|_| StoreError::NotAPerson(aggregate_id.to_owned()))?;
        let mut connection = self.pool.acquire().await?;
        Ok(self.vault()?.seal(&mut connection, subject, value).await?)
    }

    /// Records that `aggregate_id` has no events (its id was just minted), so its first
    /// command skips the load. Were the id taken after all, the append would clash.
    pub fn know_new(&self, aggregate_id: &str) {
        self.cache
            .insert(aggregate_id.to_owned(), Arc::new((A::default(), 0)));
    }

    /// Drops the cached state of `aggregate_id` (the next load reads the store).
    pub fn forget(&self, aggregate_id: &str) {
        self.cache.remove(aggregate_id);
    }

    /// Appends `events` after `loaded.sequence`, all or nothing, with the idempotency key if
    /// one is given. `loaded.aggregate` must already have the events applied; it becomes the
    /// cached state on success.
    pub async fn append(
        &self,
        events: &[A::Event],
        loaded: LoadedAggregate<A>,
        metadata: &str,
        claim: Option<&IdempotencyClaim>,
    ) -> Result<Appended, AppendError> {
        if events.is_empty() {
            return Ok(Appended {
                position: 0,
                sequence: loaded.sequence,
            });
        }
        let result = match (events, claim) {
            ([event], None) => self.append_one(event, &loaded, metadata).await,
            _ => self.append_all(events, &loaded, metadata, claim).await,
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
            sequence: loaded.sequence + events.len() as u64,
        };
        if crate::snapshot::due(loaded.sequence, appended.sequence) {
            // Off the command's path: the snapshot only speeds up later loads.
            let (pool, id, state) = (
                self.pool.clone(),
                loaded.aggregate_id.clone(),
                loaded.aggregate.clone(),
            );
            tokio::spawn(async move {
                crate::snapshot::save(&pool, &id, &state, appended.sequence).await;
            });
        }
        self.cache.insert(
            loaded.aggregate_id,
            Arc::new((loaded.aggregate, appended.sequence)),
        );
        Ok(appended)
    }

    /// One event without a key: through group commit.
    async fn append_one(
        &self,
        event: &A::Event,
        loaded: &LoadedAggregate<A>,
        metadata: &str,
    ) -> Result<i64, AppendError> {
        let row = NewEvent {
            aggregate_type: A::TYPE,
            aggregate_id: loaded.aggregate_id.clone(),
            sequence: loaded.sequence as i64 + 1,
            event_type: event.event_type(),
            event_version: <A::Event as EventContract>::VERSION,
            payload: self.payload(event, &loaded.aggregate_id).await?,
            metadata: metadata.to_owned(),
        };
        match self.group_commit.append(row).await? {
            Landed::At(position) => Ok(position),
            Landed::Clashed => Err(AppendError::Conflict),
        }
    }

    /// Several events, or an idempotency key: one statement of their own, all or nothing.
    /// Returns the last position.
    async fn append_all(
        &self,
        events: &[A::Event],
        loaded: &LoadedAggregate<A>,
        metadata: &str,
        claim: Option<&IdempotencyClaim>,
    ) -> Result<i64, AppendError> {
        let mut sequences = Vec::with_capacity(events.len());
        let mut event_types = Vec::with_capacity(events.len());
        let mut payloads = Vec::with_capacity(events.len());
        for (event, sequence) in events.iter().zip(loaded.sequence as i64 + 1..) {
            sequences.push(sequence);
            event_types.push(event.event_type());
            payloads.push(self.payload(event, &loaded.aggregate_id).await?);
        }
        // The key row is written by the same statement: both commit, or neither does.
        let (scope, key, fingerprint) = match claim {
            Some(claim) => (
                Some(claim.scope.as_str()),
                Some(claim.key),
                Some(claim.fingerprint.as_str()),
            ),
            None => (None, None, None),
        };
        let result: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "WITH appended AS ( \
                INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
                                    event_version, payload, metadata) \
                SELECT $1, $2, e.sequence, e.event_type, $3, e.payload::json, $4::json \
                FROM UNNEST($5::bigint[], $6::text[], $7::text[]) \
                    AS e(sequence, event_type, payload) \
                RETURNING sequence, global_position \
             ), remembered AS ( \
                INSERT INTO command_idempotency (scope, idempotency_key, fingerprint, \
                                                 aggregate_type, aggregate_id, position, version) \
                SELECT $8, $9, $10, $1, $2, max(global_position), max(sequence) FROM appended \
                HAVING $9::uuid IS NOT NULL \
                RETURNING position \
             ) \
             SELECT max(global_position) FROM appended",
        )
        .bind(A::TYPE)
        .bind(&loaded.aggregate_id)
        .bind(<A::Event as EventContract>::VERSION)
        .bind(metadata)
        .bind(&sequences)
        .bind(&event_types)
        .bind(&payloads)
        .bind(scope)
        .bind(key)
        .bind(fingerprint)
        .fetch_one(&self.pool)
        .await;
        match result {
            Ok((position,)) => Ok(position),
            Err(error) => Err(match classify(&error) {
                Failure::StreamClash => AppendError::Conflict,
                Failure::KeyTaken => AppendError::KeyTaken,
                Failure::Refused {
                    sqlstate,
                    constraint,
                } => AppendError::Store(StoreError::Refused {
                    sqlstate,
                    constraint,
                }),
                // A deadlock or serialization failure wrote nothing: retry like a clash.
                Failure::Retryable => AppendError::Conflict,
                Failure::Unavailable => AppendError::Store(StoreError::Postgres(error)),
            }),
        }
    }

    /// The outcome recorded for an idempotency key, if any.
    pub async fn recorded(
        &self,
        claim: &IdempotencyClaim,
    ) -> Result<Option<StoredOutcome>, StoreError> {
        crate::idempotency::find(&self.pool, claim).await
    }
}
