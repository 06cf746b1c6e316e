//! The projections this binary runs, by name, with the clients each one needs.

use opensearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use opensearch::OpenSearch;
use sqlx::PgPool;
use wayfarer_projections::checkpoint::{self, BatchProgress};
use wayfarer_projections::event::ItineraryEnvelope;
use wayfarer_projections::itinerary::memo::ViewMemo;
use wayfarer_projections::itinerary::{cache, pg, search};
use wayfarer_projections::{Names, ProjectionError};

use crate::config::Settings;
use crate::db;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionKind {
    /// PostgreSQL itinerary detail view (`itinerary`, `myItineraries`).
    ItineraryPg,
    /// OpenSearch `itineraries` index (`searchItineraries`).
    ItinerarySearch,
    /// Redis hot cache and change notifications (`itineraryChanged`).
    ItineraryCache,
}

impl ProjectionKind {
    pub const ALL: [ProjectionKind; 3] = [
        ProjectionKind::ItineraryPg,
        ProjectionKind::ItinerarySearch,
        ProjectionKind::ItineraryCache,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProjectionKind::ItineraryPg => pg::NAME,
            ProjectionKind::ItinerarySearch => search::NAME,
            ProjectionKind::ItineraryCache => cache::NAME,
        }
    }

    /// The longest a fetch may wait for new events (see [`crate::kafka::consumer`]). Apache
    /// Kafka answers a fetch as soon as records arrive, so there this only bounds idle polling;
    /// the local broker (tansu) holds every fetch for the whole wait (half of it from 250 ms
    /// up), so there it is also the delay. The detail view serves read-your-writes, so it
    /// polls often. Search is eventually consistent anyway (OpenSearch itself refreshes every
    /// second), and the hot cache is only read when fresh enough; their longer waits cost the
    /// broker fewer fetches, and their larger batches write each touched document once
    /// instead of once per event.
    pub fn fetch_wait(self) -> std::time::Duration {
        std::time::Duration::from_millis(match self {
            ProjectionKind::ItineraryPg => 10,
            ProjectionKind::ItinerarySearch => 100,
            ProjectionKind::ItineraryCache => 50,
        })
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|kind| kind.name()).collect()
    }
}

/// An OpenSearch client for `url` (no proxy: the server is local or in the cluster network).
pub fn opensearch_client(url: &str) -> Result<OpenSearch, ProjectionError> {
    let url = url
        .parse()
        .map_err(|e| ProjectionError::OpenSearch(format!("invalid url {url}: {e}")))?;
    let transport = TransportBuilder::new(SingleNodeConnectionPool::new(url))
        .disable_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| ProjectionError::OpenSearch(e.to_string()))?;
    Ok(OpenSearch::new(transport))
}

pub fn redis_pool(url: &str) -> Result<deadpool_redis::Pool, ProjectionError> {
    deadpool_redis::Config::from_url(url)
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .map_err(|e| ProjectionError::RedisPool(e.to_string()))
}

/// A projection with its connections.
pub struct Projection {
    kind: ProjectionKind,
    pool: PgPool,
    names: Names,
    opensearch: Option<OpenSearch>,
    redis: Option<deadpool_redis::Pool>,
    views: ViewMemo,
}

impl Projection {
    pub async fn connect(
        settings: &Settings,
        kind: ProjectionKind,
    ) -> Result<Self, ProjectionError> {
        let pool = db::connect(&settings.postgres).await?;
        let names = settings.names();
        let mut projection = Self {
            kind,
            pool,
            names,
            opensearch: None,
            redis: None,
            views: ViewMemo::default(),
        };
        match kind {
            ProjectionKind::ItineraryPg => {}
            ProjectionKind::ItinerarySearch => {
                let client = opensearch_client(&settings.opensearch.url)?;
                if !search::alias_exists(&client, &projection.names.itineraries_alias()).await? {
                    // A new or lost index: build it from the store, then follow Kafka.
                    tracing::info!(
                        projection = kind.name(),
                        "search index missing; rebuilding it"
                    );
                    crate::rebuild::rebuild(settings, kind, false).await?;
                }
                projection.opensearch = Some(client);
            }
            ProjectionKind::ItineraryCache => {
                projection.redis = Some(redis_pool(&settings.redis.url)?);
            }
        }
        Ok(projection)
    }

    pub fn kind(&self) -> ProjectionKind {
        self.kind
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// OpenSearch and Redis take whole documents: the batch's views, version-guarded.
    async fn write_documents(
        &self,
        events: &[ItineraryEnvelope],
        progress: &BatchProgress,
    ) -> Result<(), ProjectionError> {
        let views = self.views.views_after(&self.pool, events).await?;
        if let Some(client) = &self.opensearch {
            search::index_views(client, &self.names.itineraries_alias(), &views).await?;
        }
        if let Some(redis) = &self.redis {
            cache::put_views(redis, &self.names, &views).await?;
        }
        checkpoint::record_standalone(&self.pool, self.kind.name(), progress).await?;
        self.views.remember(views);
        Ok(())
    }

    /// Applies one batch and records its progress.
    pub async fn apply(
        &self,
        events: &[ItineraryEnvelope],
        progress: &BatchProgress,
    ) -> Result<(), ProjectionError> {
        match self.kind {
            ProjectionKind::ItineraryPg => pg::apply_batch(&self.pool, events, progress).await,
            ProjectionKind::ItinerarySearch | ProjectionKind::ItineraryCache => {
                self.write_documents(events, progress).await
            }
        }
    }
}
