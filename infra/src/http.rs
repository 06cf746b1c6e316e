//! The HTTP server: GraphQL plus health and metrics endpoints.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use wayfarer_commands::CommandHandler;
use wayfarer_read_api::auth::mail::Mailer;
use wayfarer_read_api::auth::oidc::OidcVerifier;
use wayfarer_read_api::auth::tokens::TokenKeys;
use wayfarer_read_api::notifications::Notifications;
use wayfarer_read_api::{build_schema, router, ApiState};

use tower_http::limit::RequestBodyLimitLayer;

use crate::config::Settings;
use crate::projections::{opensearch_client, redis_pool};
use crate::{broker_health, db, metrics, Platform};
use wayfarer_read_api::consistency::ProgressWatch;

/// How often the API purges idempotency keys past their retention.
const KEY_PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Builds the API state from settings (connects every client) and starts its housekeeping.
pub async fn api_state(settings: &Settings, platform: &Platform) -> anyhow::Result<ApiState> {
    let pool = db::connect(&settings.postgres).await?;
    tokio::spawn(purge_idempotency_keys(pool.clone(), settings.auth.vault()?));
    let opensearch = opensearch_client(&settings.opensearch.url)?;
    let names = settings.names();
    let vault = settings.auth.vault()?;
    Ok(ApiState {
        mailer: Mailer::new(&settings.api.mail)?,
        itineraries: Arc::new(CommandHandler::new(pool.clone())),
        templates: Arc::new(CommandHandler::new(pool.clone())),
        inbox: Arc::new(CommandHandler::new(pool.clone())),
        wallets: Arc::new(CommandHandler::new(pool.clone())),
        bookings: Arc::new(CommandHandler::new(pool.clone())),
        places: Arc::new(CommandHandler::new(pool.clone())),
        reviews: Arc::new(CommandHandler::new(pool.clone())),
        posts: Arc::new(CommandHandler::new(pool.clone())),
        comments: Arc::new(CommandHandler::new(pool.clone())),
        reactions: Arc::new(CommandHandler::new(pool.clone())),
        moderation: Arc::new(CommandHandler::new(pool.clone())),
        guidelines: Arc::new(CommandHandler::new(pool.clone())),
        gateway: wayfarer_suppliers::client::GatewayClient::new(
            settings.api.payments.gateway_url.clone(),
            settings.api.payments.timeout,
        ),
        suppliers: wayfarer_suppliers::client::SupplierClient::new(
            settings.api.suppliers.url.clone(),
            settings.api.suppliers.timeout,
        ),
        users: Arc::new(CommandHandler::with_vault(pool.clone(), vault.clone())),
        vault,
        fingerprint_secret: Arc::from(fingerprint_key(&settings.auth.jwt_secret)),
        redis: redis_pool(&settings.redis.url)?,
        notifications: Notifications::start(redis::Client::open(settings.redis.url.as_str())?),
        subscriptions: Default::default(),
        notification_feed: wayfarer_read_api::notification_feed::NotificationFeed::start(
            pool.clone(),
            settings.postgres.schema.clone(),
        ),
        booking_feed: wayfarer_read_api::booking_feed::BookingFeed::start(
            pool.clone(),
            settings.postgres.schema.clone(),
        ),
        opensearch,
        names,
        oidc: (!settings.api.oidc_issuers.is_empty())
            .then(|| Arc::new(OidcVerifier::new(settings.api.oidc_issuers.clone()))),
        keys: TokenKeys::from_secret(settings.auth.jwt_secret.as_bytes()),
        settings: settings.api.clone(),
        projections: platform.projections.clone(),
        events: platform.events.clone(),
        rebuilds: Some(Arc::new(crate::rebuild::BackgroundRebuilds::new(
            settings.clone(),
            platform.clone(),
        )?)),
        progress: ProgressWatch::start(pool.clone(), settings.postgres.schema.clone()),
        rates: match &settings.api.exchange_rates_url {
            Some(url) => Arc::new(wayfarer_read_api::rates::EcbFeedRates::new(url.clone())?),
            None => Arc::new(wayfarer_read_api::rates::ShippedRates::new()),
        },
        // The built-in router; a real one (OSRM, say) implements the same trait.
        routing: Arc::new(wayfarer_projections::itinerary::map::GreatCircle),
        pool,
    })
}

/// Deletes idempotency keys older than their retention, hourly (any API node may do it; the
/// delete is idempotent).
async fn purge_idempotency_keys(pool: sqlx::PgPool, vault: wayfarer_vault::Vault) {
    let mut every = tokio::time::interval(KEY_PURGE_EVERY);
    loop {
        every.tick().await;
        match wayfarer_commands::idempotency::purge_expired(&pool).await {
            Ok(purged) => tracing::debug!(purged, "expired idempotency keys purged"),
            Err(error) => tracing::warn!(%error, "idempotency key purge failed; retrying later"),
        }
        match wayfarer_read_api::people::commands::finish_erasures(&pool, &vault).await {
            Ok(0) => {}
            Ok(finished) => tracing::info!(finished, "interrupted erasures finished"),
            Err(error) => tracing::warn!(%error, "finishing erasures failed; retrying later"),
        }
        match wayfarer_read_api::auth::replay::purge_expired(&pool).await {
            Ok(purged) => tracing::debug!(purged, "expired account request keys purged"),
            Err(error) => {
                tracing::warn!(%error, "account request key purge failed; retrying later")
            }
        }
    }
}

/// A key of its own for request fingerprints, derived from the JWT secret (so the secret that
/// signs tokens is never used for anything else).
fn fingerprint_key(jwt_secret: &str) -> Vec<u8> {
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    digest.update(b"wayfarer account request fingerprints\0");
    digest.update(jwt_secret.as_bytes());
    digest.finalize().to_vec()
}

/// The whole HTTP surface of the API role.
pub fn app(state: ApiState) -> Router {
    let schema = build_schema(state.clone());
    router(schema, &state)
        .route("/health/live", get(|| async { "ok" }))
        .route("/health/ready", get(ready).with_state(state))
        .route("/metrics", get(|| async { metrics::render() }))
        .layer(axum::middleware::from_fn(count_requests))
        // Bigger bodies are refused (413) before anything parses them.
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
}

/// The largest request body the API reads (1 MiB).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// Counts every request by route path (the fixed set above) and status.
async fn count_requests(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let known = [
        "/graphql",
        "/graphql/ws",
        "/health/live",
        "/health/ready",
        "/metrics",
    ];
    let path = if known.contains(&path.as_str()) {
        path.as_str()
    } else {
        "other"
    };
    metrics::metrics()
        .http_requests
        .with_label_values(&[path, response.status().as_str()])
        .inc();
    response
}

/// Ready (200) when PostgreSQL and Redis answer: commands land in the store whatever the
/// broker does. The body also says what the relay and projectors last recorded of the broker;
/// while any of them cannot reach it, `status` is `degraded` and `broker.unreachable` names
/// them (reads may then lag behind writes).
async fn ready(State(state): State<ApiState>) -> impl IntoResponse {
    let postgres = sqlx::query("SELECT 1").execute(&state.pool).await.is_ok();
    let redis = match state.redis.get().await {
        Ok(mut connection) => redis::cmd("PING")
            .query_async::<String>(&mut *connection)
            .await
            .is_ok(),
        Err(_) => false,
    };
    let health = if postgres {
        broker_health::all(&state.pool).await.ok()
    } else {
        None
    };
    let unreachable: Vec<serde_json::Value> = health
        .iter()
        .flatten()
        .filter(|row| !row.reachable)
        .map(|row| {
            serde_json::json!({
                "component": row.component,
                "since": row.since.to_rfc3339(),
                "detail": row.detail,
            })
        })
        .collect();
    let ready = postgres && redis;
    let status = match (ready, unreachable.is_empty()) {
        (false, _) => "unavailable",
        (true, true) => "ok",
        (true, false) => "degraded",
    };
    let body = serde_json::json!({
        "status": status,
        "postgres": postgres,
        "redis": redis,
        "broker": { "known": health.is_some(), "unreachable": unreachable },
    })
    .to_string();
    if ready {
        (StatusCode::OK, body)
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body)
    }
}
