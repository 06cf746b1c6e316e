//! Reading the PostgreSQL event store in commit-safe order.
//!
//! `global_position` comes from a sequence, and sequences commit out of order: a transaction
//! may take position 10, stay open, and commit after position 11 was read. Reading "everything
//! after the highest position seen" would skip 10 forever. Instead we read in
//! `(tx_id, global_position)` order and only rows whose writing transaction is older than every
//! transaction still running (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`). Any
//! transaction not yet visible then has an id at or above that bound, so it sorts after
//! everything already read and cannot be skipped.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::{
    decode_event, EventContract, EventEnvelope, EventMetadata, ItineraryEvent, Registry,
};

use crate::event::ItineraryEnvelope;
use crate::projection::{Envelope, Write};
use crate::ProjectionError;

/// A point in commit order: the last event read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommitPosition {
    pub tx_id: u64,
    pub global_position: i64,
}

/// An event row exactly as stored; payload and metadata kept as JSON text, decoded only by
/// whoever needs them (the relay forwards a current payload untouched).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawEvent {
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub global_position: i64,
    #[sqlx(try_from = "i64")]
    pub tx_id: u64,
    pub event_type: String,
    pub event_version: String,
    pub payload: String,
    pub metadata: String,
    pub recorded_at: DateTime<Utc>,
}

impl RawEvent {
    pub fn commit_position(&self) -> CommitPosition {
        CommitPosition {
            tx_id: self.tx_id,
            global_position: self.global_position,
        }
    }

    /// The W3C `traceparent` of the request that wrote the event.
    pub fn traceparent(&self) -> String {
        self.metadata().traceparent()
    }

    fn metadata(&self) -> EventMetadata {
        let map: HashMap<String, String> = serde_json::from_str(&self.metadata).unwrap_or_default();
        EventMetadata::from_map(&map)
    }

    fn with_payload<P>(&self, payload: P) -> EventEnvelope<P> {
        EventEnvelope {
            event_id: self.event_id,
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
            sequence: self.sequence as u64,
            global_position: self.global_position,
            event_type: self.event_type.clone(),
            event_version: self.event_version.clone(),
            occurred_at: self.recorded_at,
            metadata: self.metadata(),
            payload,
        }
    }

    /// The envelope as published on Kafka: the payload in the current version of its
    /// contract. A current payload (the common case) is borrowed as stored, not copied; one
    /// stored under an older version is upcast through the registry.
    pub fn envelope(
        &self,
        registry: &Registry,
    ) -> Result<EventEnvelope<Cow<'_, RawValue>>, ProjectionError> {
        let undecodable = |reason: String| ProjectionError::Undecodable {
            position: self.global_position,
            reason,
        };
        let (payload, version) = registry
            .to_current(
                &self.aggregate_type,
                &self.event_type,
                &self.event_version,
                &self.payload,
            )
            .map_err(|error| undecodable(error.to_string()))?;
        let payload = match payload {
            Cow::Borrowed(text) => serde_json::from_str::<&RawValue>(text).map(Cow::Borrowed),
            Cow::Owned(text) => RawValue::from_string(text).map(Cow::Owned),
        }
        .map_err(|error| undecodable(error.to_string()))?;
        let mut envelope = self.with_payload(payload);
        if let Some(version) = version {
            envelope.event_version = version.to_owned();
        }
        Ok(envelope)
    }

    /// Decodes the payload as an itinerary event (upcast to the current version).
    pub fn itinerary_envelope(&self) -> Result<ItineraryEnvelope, ProjectionError> {
        let payload: ItineraryEvent =
            decode_event(&self.event_type, &self.event_version, &self.payload).map_err(
                |error| ProjectionError::Undecodable {
                    position: self.global_position,
                    reason: error.to_string(),
                },
            )?;
        let mut envelope = self.with_payload(payload);
        envelope.event_version = <ItineraryEvent as EventContract>::VERSION.to_owned();
        crate::event::checked(envelope)
    }
}

/// The select list. `tx_id` is returned as a number, under its own name: queries must order by
/// `events.tx_id` (the column) so PostgreSQL can walk the `(tx_id, global_position)` index.
const COLUMNS: &str = "event_id, aggregate_type, aggregate_id, sequence, global_position, \
     tx_id::text::bigint AS tx_id, event_type, event_version, payload::text AS payload, \
     metadata::text AS metadata, recorded_at";

/// The next committed events after `after` in commit order, at most `limit`, never skipping a
/// transaction that commits later (see the module docs).
pub async fn read_committed_after(
    connection: &mut PgConnection,
    after: CommitPosition,
    aggregate_type: Option<&str>,
    limit: i64,
) -> Result<Vec<RawEvent>, sqlx::Error> {
    let types: Option<Vec<&str>> = aggregate_type.map(|t| vec![t]);
    read_committed_of(connection, after, types.as_deref(), limit).await
}

/// As [`read_committed_after`], for events of any of `aggregate_types` (`None`: all types).
pub async fn read_committed_of(
    connection: &mut PgConnection,
    after: CommitPosition,
    aggregate_types: Option<&[&str]>,
    limit: i64,
) -> Result<Vec<RawEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events \
         WHERE (tx_id, global_position) > ($1::text::xid8, $2) \
           AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
           AND ($3::text[] IS NULL OR aggregate_type = ANY($3)) \
         ORDER BY events.tx_id, events.global_position LIMIT $4"
    );
    sqlx::query_as(&sql)
        .bind(after.tx_id.to_string())
        .bind(after.global_position)
        .bind(aggregate_types)
        .bind(limit)
        .fetch_all(connection)
        .await
}

/// Every event of the given aggregates, in sequence order per aggregate.
pub async fn read_streams(
    pool: impl sqlx::PgExecutor<'_>,
    aggregate_type: &str,
    aggregate_ids: &[Uuid],
) -> Result<Vec<RawEvent>, sqlx::Error> {
    let ids: Vec<String> = aggregate_ids.iter().map(Uuid::to_string).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE aggregate_type = $1 AND aggregate_id = ANY($2) \
         ORDER BY aggregate_id, sequence"
    );
    sqlx::query_as(&sql)
        .bind(aggregate_type)
        .bind(&ids)
        .fetch_all(pool)
        .await
}

/// The events of the given types of the given aggregates, in sequence order per aggregate
/// (a model that only some event types change need not read the rest).
pub async fn read_streams_of_types(
    pool: impl sqlx::PgExecutor<'_>,
    aggregate_type: &str,
    aggregate_ids: &[Uuid],
    event_types: &[&str],
) -> Result<Vec<RawEvent>, sqlx::Error> {
    let ids: Vec<String> = aggregate_ids.iter().map(Uuid::to_string).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE aggregate_type = $1 AND aggregate_id = ANY($2) \
         AND event_type = ANY($3) ORDER BY aggregate_id, sequence"
    );
    sqlx::query_as(&sql)
        .bind(aggregate_type)
        .bind(&ids)
        .bind(event_types)
        .fetch_all(pool)
        .await
}

/// One aggregate's events, for `wayfarer events show`.
pub async fn read_stream(pool: &PgPool, aggregate_id: &str) -> Result<Vec<RawEvent>, sqlx::Error> {
    read_stream_as_of(pool, aggregate_id, None).await
}

/// One aggregate's events recorded up to `as_of` (all of them without it).
pub async fn read_stream_as_of(
    pool: &PgPool,
    aggregate_id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<RawEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE aggregate_id = $1 \
         AND ($2::timestamptz IS NULL OR recorded_at <= $2) ORDER BY aggregate_type, sequence"
    );
    sqlx::query_as(&sql)
        .bind(aggregate_id)
        .bind(as_of)
        .fetch_all(pool)
        .await
}

/// Every event one request caused (its correlation id), across aggregates, in store order.
pub async fn read_correlated(
    pool: &PgPool,
    correlation_id: Uuid,
) -> Result<Vec<RawEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE metadata->>'{key}' = $1 ORDER BY global_position",
        key = wayfarer_schemas::EventMetadata::CORRELATION_ID
    );
    sqlx::query_as(&sql)
        .bind(correlation_id.to_string())
        .fetch_all(pool)
        .await
}

/// Which events an audit log shows; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// An aggregate type (`itinerary`) or one aggregate's id.
    pub aggregate: Option<String>,
    pub event_type: Option<String>,
    /// Who caused the events.
    pub actor: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// Whether `event` passes (for events read another way, such as `events tail --follow`).
    pub fn admits(&self, event: &RawEvent) -> bool {
        let actor = || {
            serde_json::from_str::<std::collections::HashMap<String, String>>(&event.metadata)
                .ok()
                .and_then(|m| m.get(wayfarer_schemas::EventMetadata::ACTOR).cloned())
        };
        self.aggregate
            .as_ref()
            .is_none_or(|a| *a == event.aggregate_type || *a == event.aggregate_id)
            && self
                .event_type
                .as_ref()
                .is_none_or(|t| *t == event.event_type)
            && self
                .actor
                .is_none_or(|id| actor().is_some_and(|a| a == id.to_string()))
            && self.since.is_none_or(|t| event.recorded_at >= t)
            && self.until.is_none_or(|t| event.recorded_at <= t)
    }
}

/// The newest events passing `filter` stored before `before` (a global position; `None`:
/// from the newest), newest first, at most `limit`.
pub async fn read_audit_log(
    pool: &PgPool,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<RawEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events \
         WHERE ($1::bigint IS NULL OR global_position < $1) \
           AND ($2::text IS NULL OR aggregate_type = $2 OR aggregate_id = $2) \
           AND ($3::text IS NULL OR event_type = $3) \
           AND ($4::text IS NULL OR metadata->>'{actor}' = $4) \
           AND ($5::timestamptz IS NULL OR recorded_at >= $5) \
           AND ($6::timestamptz IS NULL OR recorded_at <= $6) \
         ORDER BY global_position DESC LIMIT $7",
        actor = wayfarer_schemas::EventMetadata::ACTOR
    );
    sqlx::query_as(&sql)
        .bind(before)
        .bind(filter.aggregate.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(filter.actor.map(|a| a.to_string()))
        .bind(filter.since)
        .bind(filter.until)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// The highest position that is committed and safe to read after `after` (the relay's
/// horizon: written by transactions older than every one still running), or 0 if none.
pub async fn committed_head(pool: &PgPool, after: CommitPosition) -> Result<i64, sqlx::Error> {
    let (head,): (Option<i64>,) = sqlx::query_as(
        "SELECT max(global_position) FROM events \
         WHERE (tx_id, global_position) > ($1::text::xid8, $2) \
           AND tx_id < pg_snapshot_xmin(pg_current_snapshot())",
    )
    .bind(after.tx_id.to_string())
    .bind(after.global_position)
    .fetch_one(pool)
    .await?;
    Ok(head.unwrap_or(0))
}

/// The last event in commit order that is committed and safe to read (see
/// [`committed_head`]): where a reader that wants only what commits from now on starts.
pub async fn committed_position(
    connection: &mut PgConnection,
) -> Result<CommitPosition, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Last {
        tx_id: i64,
        global_position: i64,
    }
    let last: Option<Last> = sqlx::query_as(
        "SELECT tx_id::text::bigint AS tx_id, global_position FROM events \
         WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY events.tx_id DESC, events.global_position DESC LIMIT 1",
    )
    .fetch_optional(connection)
    .await?;
    Ok(
        last.map_or(CommitPosition::default(), |last| CommitPosition {
            tx_id: last.tx_id as u64,
            global_position: last.global_position,
        }),
    )
}

/// How many events of `aggregate_types` lie after `position` up to `head`: how far behind a
/// projection that consumes those types is.
pub async fn events_between(
    pool: &PgPool,
    position: i64,
    head: i64,
    aggregate_types: &[&str],
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE global_position > $1 AND global_position <= $2 \
         AND aggregate_type = ANY($3)",
    )
    .bind(position)
    .bind(head)
    .bind(aggregate_types)
    .fetch_one(pool)
    .await
}

/// The highest position in the store (the head), for lag figures.
pub async fn head_position(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let (head,): (Option<i64>,) = sqlx::query_as("SELECT max(global_position) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(head.unwrap_or(0))
}

/// The write stored at `position`: its event id, aggregate and sequence.
pub async fn locate(pool: &PgPool, position: i64) -> Result<Option<Write>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Located {
        event_id: Uuid,
        aggregate_type: String,
        aggregate_id: String,
        sequence: i64,
    }
    let row: Option<Located> = sqlx::query_as(
        "SELECT event_id, aggregate_type, aggregate_id, sequence FROM events \
         WHERE global_position = $1",
    )
    .bind(position)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| Write {
        position,
        event_id: row.event_id,
        aggregate_type: row.aggregate_type,
        aggregate_id: row.aggregate_id,
        sequence: row.sequence as u64,
    }))
}

impl RawEvent {
    /// The event as projections receive it (see [`RawEvent::envelope`]).
    pub fn owned_envelope(&self, registry: &Registry) -> Result<Envelope, ProjectionError> {
        let envelope = self.envelope(registry)?;
        Ok(EventEnvelope {
            event_id: envelope.event_id,
            aggregate_type: envelope.aggregate_type,
            aggregate_id: envelope.aggregate_id,
            sequence: envelope.sequence,
            global_position: envelope.global_position,
            event_type: envelope.event_type,
            event_version: envelope.event_version,
            occurred_at: envelope.occurred_at,
            metadata: envelope.metadata,
            payload: envelope.payload.into_owned(),
        })
    }
}
