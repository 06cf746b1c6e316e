//! The three kinds of projection, behind traits, and the registry that holds them.
//!
//! A projection declares its name, the aggregate types it consumes and whether it can be
//! replayed from the store; the runner (`wayfarer project`), `projections
//! list|status|rebuild`, the dead-letter path and read-your-writes drive every registered
//! projection the same way. A new projection is one implementation and one
//! [`ProjectionRegistry::register`] call.
//!
//! - **Transactional** (PostgreSQL rows): the runner opens the transaction, the projection
//!   writes its rows, the runner records the checkpoint in the same transaction. Idempotent by
//!   stream version (the projection's own rows carry it). Rebuilt into shadow copies of its
//!   tables, swapped in by rename.
//! - **Document** (OpenSearch, Redis): written outside PostgreSQL, idempotent by stream
//!   version (external versioning, compare-and-set scripts). The runner records the checkpoint
//!   after the write.
//! - **Multi-stream** (feeds, notifications, counters: one model fed by many streams): like
//!   transactional, but idempotent by a processed-event marker the runner writes in the same
//!   transaction, since no single stream version guards the model.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::value::RawValue;
use sqlx::PgConnection;
use wayfarer_schemas::EventEnvelope;

use crate::ProjectionError;

/// An event as projections receive it: the envelope, with the payload as JSON in the current
/// version of its contract. Each projection decodes the payloads it understands.
pub type Envelope = EventEnvelope<Box<RawValue>>;

/// A write a reader wants to see: the event at `position`, the `sequence`th of its stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub position: i64,
    pub event_id: uuid::Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: u64,
}

impl Write {
    /// The written stream's id when it is one of `aggregate_type`'s (and a UUID): `None` for
    /// a write a model of that aggregate never shows, which it has therefore applied.
    pub fn stream_of(&self, aggregate_type: &str) -> Option<uuid::Uuid> {
        if self.aggregate_type != aggregate_type {
            return None;
        }
        uuid::Uuid::parse_str(&self.aggregate_id).ok()
    }

    /// Whether the row of `table` keyed `key = id` records this write: its `version` column
    /// (the stream's last applied sequence) has reached the write's sequence.
    pub async fn versioned_row_reached(
        &self,
        connection: &mut sqlx::PgConnection,
        table: &str,
        key: &str,
        id: uuid::Uuid,
    ) -> Result<bool, sqlx::Error> {
        let version: Option<i64> =
            sqlx::query_scalar(&format!("SELECT version FROM {table} WHERE {key} = $1"))
                .bind(id)
                .fetch_optional(&mut *connection)
                .await?;
        Ok(version.is_some_and(|v| v >= self.sequence as i64))
    }
}

/// The tables one copy of a PostgreSQL model lives in: live, or a rebuild's shadow copy.
/// Projections write through [`Tables::name`] so the same code fills either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    names: HashMap<&'static str, String>,
    replay: bool,
}

impl Tables {
    /// The live tables.
    pub fn live(tables: &[&'static str]) -> Self {
        Self {
            names: tables.iter().map(|t| (*t, (*t).to_owned())).collect(),
            replay: false,
        }
    }

    /// Shadow copies named `<table>_<suffix>`.
    pub fn shadow(tables: &[&'static str], suffix: &str) -> Self {
        Self {
            names: tables
                .iter()
                .map(|t| (*t, format!("{t}_{suffix}")))
                .collect(),
            replay: true,
        }
    }

    /// True for a rebuild's copy: filled from empty, in commit order, each event once, so a
    /// stream that starts in a batch has no rows yet (a projection may skip looking).
    pub fn is_replay(&self) -> bool {
        self.replay
    }

    /// The actual name of `table` in this copy.
    pub fn name(&self, table: &str) -> &str {
        self.names
            .get(table)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("table {table} is not declared by the projection"))
    }

    /// `(live name, this copy's name)` pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.names.iter().map(|(live, name)| (*live, name.as_str()))
    }
}

/// Events a projection has prepared for writing (see [`TransactionalProjection::prepare`]), in
/// whatever form it chose.
pub struct Prepared(Box<dyn std::any::Any + Send>);

impl Prepared {
    pub fn new<T: Send + 'static>(value: T) -> Self {
        Self(Box::new(value))
    }

    /// The prepared value, if it has the type the projection prepared.
    pub fn take<T: 'static>(self) -> Result<T, ProjectionError> {
        self.0
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| ProjectionError::Prepared)
    }
}

/// What every projection declares.
pub trait Projection: Send + Sync + 'static {
    /// Unique name: checkpoints, consumer group, CLI and metrics use it.
    fn name(&self) -> &'static str;
    /// The aggregate types whose topics it consumes.
    fn aggregate_types(&self) -> &'static [&'static str];
    /// Whether it can be rebuilt from the store (a projection with outside effects, such as
    /// sending mail, is not).
    fn replayable(&self) -> bool {
        true
    }
    /// The longest a broker fetch may wait for new events: short for models that serve
    /// read-your-writes, longer for eventually consistent ones (fewer, larger batches).
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(50)
    }
}

/// A PostgreSQL model written in the runner's transaction, idempotent by stream version.
#[async_trait]
pub trait TransactionalProjection: Projection {
    /// The tables it owns; a rebuild creates shadow copies `LIKE` them.
    fn tables(&self) -> &'static [&'static str];
    /// DDL that creates its tables if they do not exist (`CREATE TABLE IF NOT EXISTS …`), run
    /// by the runner before it consumes. `None` when the project's migrations create them.
    fn create_tables(&self) -> Option<&'static str> {
        None
    }
    /// Applies `events` (in delivery order: per stream in sequence order) to `tables`, skipping
    /// any its rows show as applied already.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError>;
    /// The work on `events` that needs no database (decoding), done ahead: a rebuild prepares
    /// the next chunk while the current one is written. By default nothing is done ahead.
    fn prepare(&self, events: &[Envelope]) -> Result<Prepared, ProjectionError> {
        let _ = events;
        Ok(Prepared::new(()))
    }
    /// Applies `events`, with what [`TransactionalProjection::prepare`] returned for them, as
    /// [`apply`] would. By default the preparation is ignored.
    ///
    /// [`apply`]: TransactionalProjection::apply
    async fn apply_prepared(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        prepared: Prepared,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let _ = prepared;
        self.apply(tx, tables, events).await
    }
    /// Whether the live model includes `write` (read-your-writes).
    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError>;
}

/// A model fed by many streams, written in the runner's transaction; the runner passes only
/// events it has not processed before (by event id).
#[async_trait]
pub trait MultiStreamProjection: Projection {
    fn tables(&self) -> &'static [&'static str];
    /// As [`TransactionalProjection::create_tables`].
    fn create_tables(&self) -> Option<&'static str> {
        None
    }
    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError>;
}

/// A model kept outside PostgreSQL (search index, cache), idempotent by stream version.
#[async_trait]
pub trait DocumentProjection: Projection {
    /// Readies the store before consuming; `true` when the model is missing and must be
    /// rebuilt from the store first (an index lost with an in-memory search server).
    async fn needs_rebuild(&self) -> Result<bool, ProjectionError>;
    /// Applies `events` to the live model.
    async fn apply(&self, events: &[Envelope]) -> Result<(), ProjectionError>;
    /// Starts a rebuild; returns the target to fill (a new index, or the live keys).
    async fn begin_rebuild(&self) -> Result<String, ProjectionError>;
    /// Applies a chunk of the store, in commit order, to the rebuild's target.
    async fn rebuild_chunk(&self, target: &str, events: &[Envelope])
        -> Result<(), ProjectionError>;
    /// Makes the target live (an atomic alias swap), dropping what it replaces.
    async fn finish_rebuild(&self, target: &str) -> Result<(), ProjectionError>;
    /// Drops the target of a rebuild that failed before it was made live (best effort).
    async fn discard_rebuild(&self, target: &str) -> Result<(), ProjectionError>;
    /// Whether readers of the live model see `write` (read-your-writes).
    async fn has_applied(&self, write: &Write) -> Result<bool, ProjectionError>;
}

/// One registered projection, by kind.
#[derive(Clone)]
pub enum Registered {
    Transactional(Arc<dyn TransactionalProjection>),
    Document(Arc<dyn DocumentProjection>),
    MultiStream(Arc<dyn MultiStreamProjection>),
}

impl Registered {
    pub fn info(&self) -> &dyn Projection {
        match self {
            // Trait upcasting: each kind's trait extends `Projection`.
            Registered::Transactional(p) => p.as_ref(),
            Registered::Document(p) => p.as_ref(),
            Registered::MultiStream(p) => p.as_ref(),
        }
    }

    pub fn name(&self) -> &'static str {
        self.info().name()
    }

    /// The DDL creating a PostgreSQL projection's tables (`IF NOT EXISTS`), if it has any.
    pub fn create_tables(&self) -> Option<&'static str> {
        match self {
            Registered::Transactional(p) => p.create_tables(),
            Registered::MultiStream(p) => p.create_tables(),
            Registered::Document(_) => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Registered::Transactional(_) => "transactional",
            Registered::Document(_) => "document",
            Registered::MultiStream(_) => "multi-stream",
        }
    }
}

/// Every projection a process knows, in registration order.
#[derive(Clone, Default)]
pub struct ProjectionRegistry {
    projections: Vec<Registered>,
}

impl ProjectionRegistry {
    /// Adds a projection (replacing one of the same name).
    pub fn register(mut self, projection: Registered) -> Self {
        self.projections
            .retain(|known| known.name() != projection.name());
        self.projections.push(projection);
        self
    }

    pub fn all(&self) -> &[Registered] {
        &self.projections
    }

    pub fn get(&self, name: &str) -> Option<&Registered> {
        self.projections.iter().find(|p| p.name() == name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.projections.iter().map(Registered::name).collect()
    }

    /// The projections that read `aggregate_type`'s topic.
    pub fn consuming(&self, aggregate_type: &str) -> Vec<&Registered> {
        self.projections
            .iter()
            .filter(|p| p.info().aggregate_types().contains(&aggregate_type))
            .collect()
    }
}
