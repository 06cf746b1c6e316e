use std::sync::Arc;
use std::time::Duration;

use opensearch::OpenSearch;
use sqlx::PgPool;
use wayfarer_commands::ItineraryCommandHandler;
use wayfarer_projections::Names;

use crate::auth::tokens::TokenKeys;

/// Tunables of the API role.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Longest a query waits for its projection to reach a requested position.
    pub read_your_writes_timeout: Duration,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            read_your_writes_timeout: Duration::from_secs(5),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            max_depth: 12,
            max_complexity: 1000,
        }
    }
}

/// Everything resolvers need, shared by every request.
#[derive(Clone)]
pub struct ApiState {
    pub pool: PgPool,
    pub commands: Arc<ItineraryCommandHandler>,
    pub redis: deadpool_redis::Pool,
    /// A plain client for dedicated pub/sub connections (pooled RESP2 connections can't
    /// subscribe).
    pub redis_client: redis::Client,
    pub opensearch: OpenSearch,
    pub names: Names,
    pub keys: TokenKeys,
    pub settings: ApiSettings,
}
