//! The projections this binary runs: the standard registry, with the clients each needs.
//! Tests and future capabilities add theirs with `ProjectionRegistry::register`.

use std::sync::Arc;

use opensearch::http::transport::{SingleNodeConnectionPool, TransportBuilder};
use opensearch::OpenSearch;
use sqlx::PgPool;
use wayfarer_projections::feed::FeedProjection;
use wayfarer_projections::itinerary::comments::ItineraryCommentsModel;
use wayfarer_projections::itinerary::expenses::ItineraryExpensesModel;
use wayfarer_projections::itinerary::stream_guard::Guarded;
use wayfarer_projections::itinerary::{
    ItineraryCacheProjection, ItineraryPgProjection, ItinerarySearchProjection,
};
use wayfarer_projections::moderation::ModerationProjection;
use wayfarer_projections::notification::NotificationsProjection;
use wayfarer_projections::place::PlacesProjection;
use wayfarer_projections::post::PostsProjection;
use wayfarer_projections::review::ReviewsProjection;
use wayfarer_projections::template::TemplatesProjection;
use wayfarer_projections::user::search::UsersSearchProjection;
use wayfarer_projections::user::UsersProjection;
use wayfarer_projections::wallet::WalletsProjection;
use wayfarer_projections::{ProjectionError, ProjectionRegistry, Registered};

use crate::config::Settings;

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

/// Every projection this release ships, connected to the configured services.
pub fn standard_registry(
    settings: &Settings,
    pool: &PgPool,
) -> Result<ProjectionRegistry, ProjectionError> {
    let names = settings.names();
    let opensearch = opensearch_client(&settings.opensearch.url)?;
    let redis = redis_pool(&settings.redis.url)?;
    let vault = settings
        .auth
        .vault()
        .map_err(|error| ProjectionError::Vault(error.to_string()))?;
    Ok(ProjectionRegistry::default()
        .register(Registered::Transactional(Arc::new(ItineraryPgProjection)))
        .register(Registered::Transactional(Arc::new(Guarded(
            ItineraryCommentsModel,
        ))))
        .register(Registered::Transactional(Arc::new(Guarded(
            ItineraryExpensesModel,
        ))))
        .register(Registered::Transactional(Arc::new(TemplatesProjection)))
        .register(Registered::Transactional(Arc::new(PlacesProjection)))
        .register(Registered::Transactional(Arc::new(ReviewsProjection)))
        .register(Registered::Transactional(Arc::new(PostsProjection)))
        .register(Registered::Transactional(Arc::new(ModerationProjection)))
        .register(Registered::MultiStream(Arc::new(FeedProjection::new(
            redis.clone(),
            names.clone(),
            settings.api.feed_fan_out_limit,
        ))))
        .register(Registered::MultiStream(Arc::new(NotificationsProjection)))
        .register(Registered::Transactional(Arc::new(WalletsProjection)))
        .register(Registered::Transactional(Arc::new(
            wayfarer_projections::booking::BookingsProjection,
        )))
        .register(Registered::MultiStream(Arc::new(
            wayfarer_sagas::wakes::BookingWakes,
        )))
        .register(Registered::Transactional(Arc::new(UsersProjection::new(
            vault.clone(),
        ))))
        .register(Registered::Document(Arc::new(UsersSearchProjection::new(
            opensearch.clone(),
            &names,
            pool.clone(),
            vault,
        ))))
        .register(Registered::Document(Arc::new(
            ItinerarySearchProjection::new(opensearch, &names, pool.clone()),
        )))
        .register(Registered::Document(Arc::new(
            ItineraryCacheProjection::new(redis, names, pool.clone()),
        ))))
}
