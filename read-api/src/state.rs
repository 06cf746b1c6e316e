use std::sync::Arc;
use std::time::Duration;

use opensearch::OpenSearch;
use sqlx::PgPool;
use wayfarer_commands::CommandHandler;
use wayfarer_domain::{Itinerary, User};
use wayfarer_projections::{Names, ProjectionRegistry};

use crate::consistency::{self, ProgressWatch};
use crate::error::ApiResult;

use crate::auth::tokens::TokenKeys;
use crate::graphql::subscription::UserSubscriptions;
use crate::notifications::Notifications;

/// Tunables of the API role.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Longest a query waits for its projection to reach a requested position.
    pub read_your_writes_timeout: Duration,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Account mail (password reset links).
    pub mail: crate::auth::mail::MailSettings,
    /// External identity providers whose RS256 access tokens are accepted.
    pub oidc_issuers: Vec<crate::auth::oidc::OidcIssuer>,
    /// Where to read the ECB's reference rates (their XML format); the shipped table when
    /// unset.
    pub exchange_rates_url: Option<String>,
    /// The payment gateway wallets are topped up through.
    pub payments: PaymentSettings,
    /// The travel suppliers offers are compared across.
    pub suppliers: SupplierSettings,
    /// Authors with more followers than this are merged into feeds when they are read
    /// (fan-out on read); the feed projector uses the same limit.
    pub feed_fan_out_limit: i64,
}

/// Where the travel suppliers answer, which of them to ask, and how long each may take.
#[derive(Debug, Clone)]
pub struct SupplierSettings {
    pub url: String,
    pub names: Vec<String>,
    /// A supplier that has not answered a search by then is left out (the answer is
    /// marked partial).
    pub timeout: Duration,
}

impl Default for SupplierSettings {
    fn default() -> Self {
        Self {
            // `wayfarer suppliers` (and `dev`) serve the simulated suppliers here.
            url: "http://127.0.0.1:8090".into(),
            names: ["aerolux", "skyhop", "farefox"].map(String::from).to_vec(),
            timeout: Duration::from_secs(3),
        }
    }
}

/// Where the payment gateway answers, and how long a call to it may take.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    pub gateway_url: String,
    pub timeout: Duration,
    /// Checks the signatures of the gateway's webhooks (`POST /webhooks/gateway`).
    pub webhook_secret: String,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            // `wayfarer suppliers` (and `dev`) serve the simulated gateway here.
            gateway_url: "http://127.0.0.1:8090".into(),
            // Above the simulator's slow test card (3 s), well below a person's patience.
            timeout: Duration::from_secs(10),
            webhook_secret: "whsec_development".into(),
        }
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            read_your_writes_timeout: Duration::from_secs(5),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            max_depth: 12,
            max_complexity: 1000,
            mail: Default::default(),
            oidc_issuers: Vec::new(),
            exchange_rates_url: None,
            payments: PaymentSettings::default(),
            suppliers: SupplierSettings::default(),
            feed_fan_out_limit: wayfarer_projections::feed::DEFAULT_FAN_OUT_LIMIT,
        }
    }
}

/// Starts projection rebuilds; the composition root provides it (rebuilding lives there).
#[async_trait::async_trait]
pub trait Rebuilds: Send + Sync {
    /// Starts rebuilding `projection` in the background; it records its own progress (see
    /// `wayfarer_projections::status`).
    async fn start(&self, projection: &str) -> ApiResult<()>;
}

/// Everything resolvers need, shared by every request.
#[derive(Clone)]
pub struct ApiState {
    pub pool: PgPool,
    pub mailer: crate::auth::mail::Mailer,
    pub itineraries: Arc<CommandHandler<Itinerary>>,
    pub users: Arc<CommandHandler<User>>,
    pub templates: Arc<CommandHandler<wayfarer_domain::Template>>,
    pub inbox: Arc<CommandHandler<wayfarer_domain::Inbox>>,
    pub wallets: Arc<CommandHandler<wayfarer_domain::Wallet>>,
    pub bookings: Arc<CommandHandler<wayfarer_domain::Booking>>,
    pub places: Arc<CommandHandler<wayfarer_domain::Place>>,
    pub reviews: Arc<CommandHandler<wayfarer_domain::Review>>,
    pub posts: Arc<CommandHandler<wayfarer_domain::Post>>,
    pub comments: Arc<CommandHandler<wayfarer_domain::Comment>>,
    pub reactions: Arc<CommandHandler<wayfarer_domain::Reaction>>,
    pub moderation: Arc<CommandHandler<wayfarer_domain::ModerationCase>>,
    pub guidelines: Arc<CommandHandler<wayfarer_domain::Guidelines>>,
    /// The payment gateway wallets are topped up through.
    pub gateway: wayfarer_suppliers::client::GatewayClient,
    /// The travel suppliers (each call within `settings.suppliers.timeout`).
    pub suppliers: wayfarer_suppliers::client::SupplierClient,
    /// Keys the fingerprints of account requests (see [`crate::auth::replay`]).
    pub fingerprint_secret: Arc<[u8]>,
    /// Each person's data key: destroyed when they are forgotten.
    pub vault: wayfarer_vault::Vault,
    pub redis: deadpool_redis::Pool,
    /// Notifications as they are delivered (one PostgreSQL listener per process).
    pub notification_feed: crate::notification_feed::NotificationFeed,
    /// Bookings' changes of status as they commit (one listener per process).
    pub booking_feed: crate::booking_feed::BookingFeed,
    /// The process's one pub/sub connection, fanned out to every subscription.
    pub notifications: Notifications,
    /// Live subscriptions per user (a limit per user holds across connections).
    pub subscriptions: UserSubscriptions,
    pub opensearch: OpenSearch,
    pub names: Names,
    pub keys: TokenKeys,
    /// Verifies external providers' tokens, when any are configured.
    pub oidc: Option<Arc<crate::auth::oidc::OidcVerifier>>,
    pub settings: ApiSettings,
    /// Every projection, for read-your-writes and the admins' views.
    pub projections: ProjectionRegistry,
    /// Every event contract, to show stored events in their current version.
    pub events: wayfarer_schemas::Registry,
    /// Starts projection rebuilds, where this process may run them.
    pub rebuilds: Option<Arc<dyn Rebuilds>>,
    /// Wakes read-your-writes waiters when a projection records progress.
    pub progress: ProgressWatch,
    /// Exchange rates for expenses (the seed's CurrencyService).
    pub rates: Arc<dyn crate::rates::ExchangeRates>,
    /// Finds the legs of itinerary maps.
    pub routing: Arc<dyn wayfarer_projections::itinerary::map::RoutingProvider>,
}

impl ApiState {
    /// Waits (bounded) until each of `projections` has applied the event at `position`.
    pub async fn read_your_write(&self, projections: &[&str], position: i64) -> ApiResult<()> {
        consistency::wait_for(
            &self.pool,
            &self.projections,
            &self.progress,
            projections,
            position,
            self.settings.read_your_writes_timeout,
        )
        .await
    }
}
