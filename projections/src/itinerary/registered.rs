//! The itinerary read models as registered projections: the PostgreSQL detail view
//! (transactional), the OpenSearch index and the Redis hot cache (documents).

use std::time::Duration;

use async_trait::async_trait;
use opensearch::OpenSearch;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use wayfarer_schemas::itinerary::AGGREGATE_TYPE;

use super::memo::ViewMemo;
use super::{cache, pg, search};
use crate::event::{from_envelope, ItineraryEnvelope};
use crate::projection::{
    DocumentProjection, Envelope, Prepared, Projection, Tables, TransactionalProjection, Write,
};
use crate::{Names, ProjectionError};

const CONSUMES: &[&str] = &[AGGREGATE_TYPE];

fn decode_all(events: &[Envelope]) -> Result<Vec<ItineraryEnvelope>, ProjectionError> {
    events.iter().map(from_envelope).collect()
}

fn itinerary_of(write: &Write) -> Option<Uuid> {
    (write.aggregate_type == AGGREGATE_TYPE)
        .then(|| Uuid::parse_str(&write.aggregate_id).ok())
        .flatten()
}

/// The PostgreSQL detail view (`itinerary`, `myItineraries`).
pub struct ItineraryPgProjection;

impl Projection for ItineraryPgProjection {
    fn name(&self) -> &'static str {
        pg::NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        CONSUMES
    }
    /// It serves read-your-writes, so it polls often.
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

#[async_trait]
impl TransactionalProjection for ItineraryPgProjection {
    fn tables(&self) -> &'static [&'static str] {
        pg::TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let events = decode_all(events)?;
        pg::apply_events(tx, &pg::ViewTables::of(tables), &events).await
    }

    /// Decoding is a third of a rebuild's work: done ahead, it overlaps the writes.
    fn prepare(&self, events: &[Envelope]) -> Result<Prepared, ProjectionError> {
        Ok(Prepared::new(decode_all(events)?))
    }

    async fn apply_prepared(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        prepared: Prepared,
        _events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let events: Vec<ItineraryEnvelope> = prepared.take()?;
        pg::apply_events(tx, &pg::ViewTables::of(tables), &events).await
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let Some(id) = itinerary_of(write) else {
            return Ok(true);
        };
        Ok(pg::version_of(connection, id).await? >= write.sequence)
    }
}

/// Views of a batch's itineraries for the document stores, extended from the memo.
struct Documents {
    pool: PgPool,
    views: ViewMemo,
}

impl Documents {
    async fn views(
        &self,
        events: &[Envelope],
    ) -> Result<Vec<super::ItineraryView>, ProjectionError> {
        self.views
            .views_after(&self.pool, &decode_all(events)?)
            .await
    }
}

/// The OpenSearch `itineraries` index (`searchItineraries`).
pub struct ItinerarySearchProjection {
    client: OpenSearch,
    alias: String,
    documents: Documents,
}

impl ItinerarySearchProjection {
    pub fn new(client: OpenSearch, names: &Names, pool: PgPool) -> Self {
        Self {
            client,
            alias: names.itineraries_alias(),
            documents: Documents {
                pool,
                views: ViewMemo::default(),
            },
        }
    }
}

impl Projection for ItinerarySearchProjection {
    fn name(&self) -> &'static str {
        search::NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        CONSUMES
    }
    /// Search is eventually consistent anyway (OpenSearch refreshes every second); a longer
    /// wait gives larger batches that write each touched document once.
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(100)
    }
}

#[async_trait]
impl DocumentProjection for ItinerarySearchProjection {
    async fn needs_rebuild(&self) -> Result<bool, ProjectionError> {
        Ok(!search::alias_exists(&self.client, &self.alias).await?)
    }

    async fn apply(&self, events: &[Envelope]) -> Result<(), ProjectionError> {
        self.rebuild_chunk(&self.alias, events).await
    }

    async fn begin_rebuild(&self) -> Result<String, ProjectionError> {
        let index = format!("{}_v{}", self.alias, chrono::Utc::now().timestamp_millis());
        search::create_index(&self.client, &index).await?;
        Ok(index)
    }

    async fn rebuild_chunk(
        &self,
        target: &str,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let views = self.documents.views(events).await?;
        search::index_views(&self.client, target, &views).await?;
        self.documents.views.remember(views);
        Ok(())
    }

    async fn finish_rebuild(&self, target: &str) -> Result<(), ProjectionError> {
        search::swap_in(&self.client, &self.alias, target).await
    }

    async fn discard_rebuild(&self, target: &str) -> Result<(), ProjectionError> {
        search::delete_index(&self.client, target).await
    }

    async fn has_applied(&self, write: &Write) -> Result<bool, ProjectionError> {
        let Some(id) = itinerary_of(write) else {
            return Ok(true);
        };
        search::searchable_version(&self.client, &self.alias, id)
            .await
            .map(|version| version >= write.sequence)
    }
}

/// The Redis hot cache and change notifications (`itineraryChanged`).
pub struct ItineraryCacheProjection {
    redis: deadpool_redis::Pool,
    names: Names,
    documents: Documents,
}

impl ItineraryCacheProjection {
    pub fn new(redis: deadpool_redis::Pool, names: Names, pool: PgPool) -> Self {
        Self {
            redis,
            names,
            documents: Documents {
                pool,
                views: ViewMemo::default(),
            },
        }
    }
}

impl Projection for ItineraryCacheProjection {
    fn name(&self) -> &'static str {
        cache::NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        CONSUMES
    }
    /// The cache is read only when at least as new as the detail view.
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(50)
    }
}

#[async_trait]
impl DocumentProjection for ItineraryCacheProjection {
    async fn needs_rebuild(&self) -> Result<bool, ProjectionError> {
        Ok(false)
    }

    async fn apply(&self, events: &[Envelope]) -> Result<(), ProjectionError> {
        let views = self.documents.views(events).await?;
        cache::put_views(&self.redis, &self.names, &views).await?;
        self.documents.views.remember(views);
        Ok(())
    }

    /// A rebuild fills a fresh generation of keys, silently (no announcements).
    async fn begin_rebuild(&self) -> Result<String, ProjectionError> {
        Ok(cache::new_generation(&self.redis, &self.names)
            .await?
            .to_string())
    }

    async fn rebuild_chunk(
        &self,
        target: &str,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let generation = parse_generation(target)?;
        let views = self.documents.views(events).await?;
        cache::put_views_silently(&self.redis, &self.names, generation, &views).await?;
        self.documents.views.remember(views);
        Ok(())
    }

    /// Points readers at the new generation and drops the old one's keys.
    async fn finish_rebuild(&self, target: &str) -> Result<(), ProjectionError> {
        cache::swap_in(&self.redis, &self.names, parse_generation(target)?).await
    }

    async fn discard_rebuild(&self, target: &str) -> Result<(), ProjectionError> {
        cache::drop_generation(&self.redis, &self.names, parse_generation(target)?).await
    }

    async fn has_applied(&self, write: &Write) -> Result<bool, ProjectionError> {
        let Some(id) = itinerary_of(write) else {
            return Ok(true);
        };
        let view = cache::get_view(&self.redis, &self.names, id).await?;
        Ok(view.is_some_and(|view| view.version >= write.sequence))
    }
}

fn parse_generation(target: &str) -> Result<u64, ProjectionError> {
    target
        .parse()
        .map_err(|_| ProjectionError::RedisPool(format!("not a cache generation: {target:?}")))
}
