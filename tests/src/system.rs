//! A whole Wayfarer system (or the roles a test asks for) in this process.

use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wayfarer_infra::rebuild::{self, RebuildReport};
use wayfarer_infra::{db, kafka, roles, Platform, Settings};
use wayfarer_projections::itinerary::{cache, pg, search};
use wayfarer_projections::user::pg as users;
use wayfarer_projections::user::search as users_search;
use wayfarer_projections::Registered;

/// The standard projections, by name.
pub const ALL_PROJECTIONS: [&str; 16] = [
    pg::NAME,
    wayfarer_projections::template::NAME,
    wayfarer_projections::notification::NAME,
    wayfarer_projections::wallet::NAME,
    wayfarer_projections::booking::NAME,
    wayfarer_projections::place::NAME,
    wayfarer_projections::review::NAME,
    wayfarer_projections::post::NAME,
    wayfarer_projections::feed::NAME,
    wayfarer_projections::moderation::NAME,
    wayfarer_projections::itinerary::comments::NAME,
    wayfarer_projections::itinerary::expenses::NAME,
    search::NAME,
    cache::NAME,
    users::NAME,
    users_search::NAME,
];

/// Which roles to run in-process.
#[derive(Debug, Clone)]
pub struct Roles {
    pub api: bool,
    pub relay: bool,
    /// Projections to run, by name (any registered with the system's platform).
    pub projectors: Vec<&'static str>,
    /// The booking process (its wakes consumer and one worker).
    pub sagas: bool,
}

impl Roles {
    pub fn all() -> Self {
        Self {
            api: true,
            relay: true,
            projectors: ALL_PROJECTIONS.to_vec(),
            sagas: true,
        }
    }

    /// The API alone: commands are stored, nothing is published or projected.
    pub fn api_only() -> Self {
        Self {
            api: true,
            ..Self::none()
        }
    }

    pub fn none() -> Self {
        Self {
            api: false,
            relay: false,
            projectors: Vec::new(),
            sagas: false,
        }
    }
}

pub struct TestSystem {
    pub settings: Settings,
    pub pool: PgPool,
    /// The contracts and projections this system runs with.
    pub platform: Platform,
    pub api_url: Option<String>,
    /// The supplier and payment-gateway simulators the API pays through (with the API).
    pub suppliers_url: Option<String>,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
}

/// A short unique name usable as schema, topic, index and key prefix.
pub fn unique_prefix(label: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t_{label}_{}", &id[..10])
}

/// Settings for the local services, isolated under a fresh prefix.
/// The master key of test systems ("wayfarer-test-only-master-key-32").
pub const TEST_MASTER_KEY: &str = "d2F5ZmFyZXItdGVzdC1vbmx5LW1hc3Rlci1rZXktMzI=";

/// The checkpoint signing key of test systems ("wayfarer-test-only-signing-key32").
pub const TEST_SIGNING_KEY: &str = "d2F5ZmFyZXItdGVzdC1vbmx5LXNpZ25pbmcta2V5MzI=";

pub fn isolated_settings(label: &str) -> Settings {
    let mut settings = Settings::from_env()
        .expect("valid WAYFARER_* environment")
        .isolated(&unique_prefix(label));
    settings.http_addr = "127.0.0.1:0".into();
    settings.postgres.max_connections = 20;
    // Not the development key, which `project` refuses: child processes run with this one.
    settings.auth.master_key = TEST_MASTER_KEY.into();
    // Not the development key either, which `relay` refuses.
    settings.audit.signing_key = TEST_SIGNING_KEY.into();
    // Three partitions, unless WAYFARER_KAFKA_PARTITIONS asks for another count: enough to
    // exercise per-partition ordering, and the local broker's fetch cost grows per partition.
    if std::env::var_os("WAYFARER_KAFKA_PARTITIONS").is_none() {
        settings.kafka.partitions = 3;
    }
    settings
}

impl TestSystem {
    /// Stops the roles but leaves the data (for a second system sharing the same isolation).
    pub async fn stop_roles_only(&mut self) {
        self.shutdown.cancel();
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
    }

    /// Migrates a fresh schema and starts `roles`.
    pub async fn start(label: &str, roles: Roles) -> anyhow::Result<Self> {
        Self::start_with(isolated_settings(label), roles).await
    }

    pub async fn start_with(settings: Settings, roles: Roles) -> anyhow::Result<Self> {
        Self::start_extended(settings, roles, |platform| platform).await
    }

    /// Starts with the standard platform extended by `extend` (a test's own aggregates and
    /// projections: registration only).
    pub async fn start_extended(
        mut settings: Settings,
        roles: Roles,
        extend: impl FnOnce(Platform) -> Platform,
    ) -> anyhow::Result<Self> {
        db::migrate(&settings.postgres).await?;
        let pool = db::connect(&settings.postgres).await?;
        let platform = extend(Platform::standard(&settings, &pool)?);
        platform.create_tables(&pool).await?;
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();
        let mut api_url = None;
        let mut suppliers_url = None;
        if roles.api {
            // Quiet simulators (no injected latency or failures unless a test asks), on a
            // port of their own: every payment crosses a real network boundary.
            let suppliers = roles::spawn_suppliers(
                "127.0.0.1:0",
                wayfarer_suppliers::SimulatorConfig {
                    webhook_secret: settings.simulator.webhook_secret.clone(),
                    ..wayfarer_suppliers::SimulatorConfig::quiet(settings.simulator.seed)
                },
                shutdown.clone(),
            )
            .await?;
            let url = format!("http://{}", suppliers.addr);
            settings.api.payments.gateway_url = url.clone();
            settings.api.payments.webhook_secret = settings.simulator.webhook_secret.clone();
            settings.api.suppliers.url = url.clone();
            suppliers_url = Some(url);
            tasks.push(suppliers.handle);
            let api = roles::spawn_api(&settings, &platform, shutdown.clone()).await?;
            api_url = Some(format!("http://{}", api.addr));
            tasks.push(api.handle);
        }
        if roles.relay {
            tasks.push(roles::spawn_relay(&settings, shutdown.clone()));
        }
        if roles.sagas {
            tasks.extend(roles::spawn_sagas(&settings, &platform, shutdown.clone())?);
        }
        for name in roles.projectors {
            let projection = platform.projection(name)?.clone();
            tasks.push(roles::spawn_projector(
                &settings,
                &platform,
                projection,
                shutdown.clone(),
            ));
        }
        Ok(Self {
            settings,
            pool,
            platform,
            api_url,
            suppliers_url,
            shutdown,
            tasks,
        })
    }

    /// A registered projection.
    pub fn projection(&self, name: &str) -> &Registered {
        self.platform
            .projection(name)
            .expect("a registered projection")
    }

    /// Every stored event, as projections receive them.
    pub async fn stored_envelopes(&self) -> Vec<wayfarer_projections::Envelope> {
        let mut connection = self.pool.acquire().await.expect("a connection");
        let registry = wayfarer_schemas::Registry::standard();
        wayfarer_projections::store::read_committed_after(
            &mut connection,
            Default::default(),
            None,
            100_000,
        )
        .await
        .expect("the store reads")
        .iter()
        .map(|raw| {
            raw.owned_envelope(&registry)
                .expect("a stored event decodes")
        })
        .collect()
    }

    /// Delivers `events` again to the projection `name` as its runner would (only the
    /// topics it consumes, in one batch, with an unchanged checkpoint).
    pub async fn redeliver(&self, name: &str, events: &[wayfarer_projections::Envelope]) {
        let projection = self.projection(name);
        let read: Vec<wayfarer_projections::Envelope> = events
            .iter()
            .filter(|e| {
                projection
                    .info()
                    .aggregate_types()
                    .contains(&e.aggregate_type.as_str())
            })
            .cloned()
            .collect();
        wayfarer_infra::apply::apply(
            &self.pool,
            projection,
            &read,
            wayfarer_infra::apply::Finish::default(),
        )
        .await
        .expect("a redelivered batch applies");
    }

    /// Rebuilds a registered projection from the store.
    pub async fn rebuild(&self, name: &str) -> RebuildReport {
        rebuild::rebuild(
            &self.settings,
            self.projection(name),
            &self.platform.events,
            false,
        )
        .await
        .expect("rebuild")
    }

    pub fn graphql(&self) -> crate::GraphqlClient {
        crate::GraphqlClient::new(self.api_url.as_deref().expect("api role running"))
    }

    /// Environment for a child `wayfarer-node` process sharing this system's isolation.
    pub fn child_env(&self) -> Vec<(String, String)> {
        let s = &self.settings;
        vec![
            ("WAYFARER_POSTGRES_URL".into(), s.postgres.url.clone()),
            ("WAYFARER_POSTGRES_SCHEMA".into(), s.postgres.schema.clone()),
            ("WAYFARER_KAFKA_BROKERS".into(), s.kafka.brokers.clone()),
            ("WAYFARER_KAFKA_PREFIX".into(), s.kafka.prefix.clone()),
            (
                "WAYFARER_KAFKA_PARTITIONS".into(),
                s.kafka.partitions.to_string(),
            ),
            ("WAYFARER_REDIS_URL".into(), s.redis.url.clone()),
            ("WAYFARER_MASTER_KEY".into(), s.auth.master_key.clone()),
            ("WAYFARER_SIGNING_KEY".into(), s.audit.signing_key.clone()),
            ("WAYFARER_REDIS_PREFIX".into(), s.redis.prefix.clone()),
            ("WAYFARER_OPENSEARCH_URL".into(), s.opensearch.url.clone()),
            (
                "WAYFARER_OPENSEARCH_PREFIX".into(),
                s.opensearch.prefix.clone(),
            ),
            ("RUST_LOG".into(), "warn".into()),
        ]
        .into_iter()
        .chain(self.suppliers_url.iter().flat_map(|url| {
            [
                ("WAYFARER_GATEWAY_URL".to_owned(), url.clone()),
                ("WAYFARER_SUPPLIERS_URL".to_owned(), url.clone()),
            ]
        }))
        .collect()
    }

    /// Validates every stored event against the published JSON Schema, stops every role, waits
    /// for them to finish their in-flight work, and removes what the test stored that is costly
    /// to keep (its schema, topics and indexes). A failing test panics before this, leaving its
    /// data for inspection.
    pub async fn stop(mut self) {
        // Every event any test stored must match the schema published to analysts.
        crate::schema_check::assert_store_valid(&self.pool, &self.platform.events).await;
        self.stop_roles_only().await;
        self.pool.close().await;
        let mut admin = db::connect_single(&wayfarer_infra::config::PostgresSettings {
            schema: "public".into(),
            ..self.settings.postgres.clone()
        })
        .await
        .expect("admin connection");
        let drop_schema = format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            self.settings.postgres.schema
        );
        let _ = sqlx::query(&drop_schema).execute(&mut admin).await;
        let index_pattern = format!(
            "{}/{}*",
            self.settings.opensearch.url, self.settings.opensearch.prefix
        );
        let _ = reqwest::Client::new().delete(index_pattern).send().await;
        if let Err(error) =
            kafka::delete_topics_with_prefix(&self.settings.kafka, &self.settings.kafka.prefix)
                .await
        {
            eprintln!(
                "topics of {} not deleted: {error}",
                self.settings.kafka.prefix
            );
        }
    }

    /// Waits until `condition` holds, polling; panics with `what` after `timeout`.
    pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if condition().await {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the relay has published every committed event and `projection` has consumed
    /// every record on its topic (its PostgreSQL offsets reach the partitions' high watermarks).
    pub async fn wait_caught_up(&self, projection: &str, timeout: Duration) {
        let pool = self.pool.clone();
        Self::eventually(timeout, "the relay to publish everything", || {
            let pool = pool.clone();
            async move { crate::progress::unpublished(&pool).await == Some(0) }
        })
        .await;
        for aggregate_type in self.projection(projection).info().aggregate_types() {
            let topic = self.settings.names().topic(aggregate_type);
            let watermarks = crate::progress::Watermarks::new(&self.settings.kafka.brokers, &topic)
                .expect("a Kafka client for the watermarks");
            let name = projection.to_owned();
            Self::eventually(timeout, &format!("{projection} to catch up"), || {
                let pool = pool.clone();
                let watermarks = watermarks.clone();
                let name = name.clone();
                async move { crate::progress::consumed_everything(&pool, &watermarks, &name).await }
            })
            .await;
        }
    }
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
