//! Typed settings, one section per service, with defaults that work on a developer machine
//! (see `infra/scripts/services.sh`) and `WAYFARER_…` environment overrides.

use std::time::Duration;

use wayfarer_projections::Names;
use wayfarer_read_api::ApiSettings;

#[derive(Debug, Clone)]
pub struct PostgresSettings {
    pub url: String,
    /// Schema holding every table; tests use a fresh one each.
    pub schema: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub brokers: String,
    /// Prepended to topic and consumer-group names (isolation on a shared broker).
    pub prefix: String,
    /// Partitions of each `wayfarer.<aggregate>` topic created by the relay.
    pub partitions: i32,
    /// Replicas of each topic the project creates (1 on a single local broker; 3 on a
    /// production cluster).
    pub replication_factor: i32,
}

#[derive(Debug, Clone)]
pub struct RedisSettings {
    pub url: String,
    pub prefix: String,
}

#[derive(Debug, Clone)]
pub struct OpenSearchSettings {
    pub url: String,
    pub prefix: String,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// HMAC secret for access tokens. The default is for development only: `wayfarer api`
    /// refuses to start with it (see [`AuthSettings::uses_development_secret`]).
    pub jwt_secret: String,
    /// The key (32 bytes, base64) that wraps each person's data key. Losing it loses every
    /// person's personal data; the default is for development only (`api` and `project`
    /// refuse it).
    pub master_key: String,
}

/// The master key `wayfarer dev` and the tests run with ("wayfarer-development-key-32-byte").
pub const DEVELOPMENT_MASTER_KEY: &str = "d2F5ZmFyZXItZGV2ZWxvcG1lbnQta2V5LTMyLWJ5dGU=";

/// The secret `wayfarer dev` and the tests run with. Anyone can read it here, so anyone could
/// sign tokens with it: never serve real users with it.
pub const DEVELOPMENT_JWT_SECRET: &str = "wayfarer-development-secret-change-me";

impl AuthSettings {
    pub fn uses_development_secret(&self) -> bool {
        self.jwt_secret == DEVELOPMENT_JWT_SECRET
    }

    pub fn uses_development_master_key(&self) -> bool {
        self.master_key == DEVELOPMENT_MASTER_KEY
    }

    /// The vault that seals personal data with the configured master key.
    pub fn vault(&self) -> Result<wayfarer_vault::Vault, wayfarer_vault::SealError> {
        Ok(wayfarer_vault::Vault::new(
            wayfarer_vault::MasterKey::from_base64(&self.master_key)?,
        ))
    }
}

/// Tamper evidence: the key that signs the event store's checkpoints, and how often the relay
/// signs one.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Ed25519 private key (32 bytes, base64). Auditors verify with its public half. The
    /// default is for development only (`relay` refuses it).
    pub signing_key: String,
    pub checkpoint_interval: Duration,
}

/// The checkpoint signing key `wayfarer dev` runs with ("wayfarer-development-signing-32b").
pub const DEVELOPMENT_SIGNING_KEY: &str = "d2F5ZmFyZXItZGV2ZWxvcG1lbnQtc2lnbmluZy0zMmI=";

impl AuditSettings {
    pub fn uses_development_key(&self) -> bool {
        self.signing_key == DEVELOPMENT_SIGNING_KEY
    }

    pub fn key(&self) -> Result<wayfarer_audit::CheckpointKey, wayfarer_audit::AuditError> {
        wayfarer_audit::CheckpointKey::from_base64(&self.signing_key)
    }
}

/// The simulators `wayfarer suppliers` serves.
#[derive(Debug, Clone)]
pub struct SimulatorSettings {
    pub addr: String,
    /// Prices and injected faults follow from it.
    pub seed: u64,
    /// Signs the gateway's webhooks (and the API checks them with it).
    pub webhook_secret: String,
    /// Where the simulated gateway posts its events; `dev` points it at its own API.
    pub webhook_url: Option<String>,
}

/// The booking process (`wayfarer sagas`).
#[derive(Debug, Clone)]
pub struct SagaSettings {
    /// How long a worker's claim on a booking lasts: a killed worker's bookings resume after it.
    pub lease: Duration,
    /// How long reserving may keep failing for want of an answer before the booking fails.
    pub reserve_within: Duration,
    /// Bookings one worker works at once.
    pub concurrency: usize,
    /// The longest a worker sleeps without a wake (deadlines and retries fire on it).
    pub poll: Duration,
    /// The longest one call to a supplier may take.
    pub supplier_timeout: Duration,
    /// Failed calls in a row that open a supplier's circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker first stays open.
    pub breaker_open_for: Duration,
}

impl Default for SagaSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(15),
            reserve_within: Duration::from_secs(60),
            concurrency: 32,
            poll: Duration::from_millis(250),
            supplier_timeout: Duration::from_secs(5),
            breaker_failures: 5,
            breaker_open_for: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub postgres: PostgresSettings,
    pub kafka: KafkaSettings,
    pub redis: RedisSettings,
    pub opensearch: OpenSearchSettings,
    pub auth: AuthSettings,
    pub audit: AuditSettings,
    pub api: ApiSettings,
    /// Address the API (and health/metrics) listens on.
    pub http_addr: String,
    /// The supplier and payment-gateway simulators (`wayfarer suppliers`).
    pub simulator: SimulatorSettings,
    /// The booking process.
    pub sagas: SagaSettings,
    /// Events per relay batch.
    pub relay_batch: i64,
    /// How long the relay sleeps when it found nothing to publish.
    pub relay_idle: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            postgres: PostgresSettings {
                // Loopback in development: TLS would only cost CPU on both ends.
                url: "postgres://postgres@127.0.0.1:5432/wayfarer?sslmode=disable".into(),
                schema: "public".into(),
                max_connections: 16,
            },
            kafka: KafkaSettings {
                brokers: "127.0.0.1:9092".into(),
                prefix: String::new(),
                partitions: 6,
                replication_factor: 1,
            },
            redis: RedisSettings {
                url: "redis://127.0.0.1:6379".into(),
                prefix: String::new(),
            },
            opensearch: OpenSearchSettings {
                url: "http://127.0.0.1:9200".into(),
                prefix: String::new(),
            },
            auth: AuthSettings {
                jwt_secret: DEVELOPMENT_JWT_SECRET.into(),
                master_key: DEVELOPMENT_MASTER_KEY.into(),
            },
            audit: AuditSettings {
                signing_key: DEVELOPMENT_SIGNING_KEY.into(),
                checkpoint_interval: Duration::from_secs(60),
            },
            api: ApiSettings::default(),
            http_addr: "127.0.0.1:8080".into(),
            simulator: SimulatorSettings {
                addr: "127.0.0.1:8090".into(),
                seed: 1,
                webhook_secret: "whsec_development".into(),
                webhook_url: None,
            },
            sagas: SagaSettings::default(),
            relay_batch: 1000,
            relay_idle: Duration::from_millis(5),
        }
    }
}

/// A setting that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for {name}: {value:?} ({expected})")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub expected: &'static str,
}

fn env_string(name: &'static str, target: &mut String) {
    if let Ok(value) = std::env::var(name) {
        *target = value;
    }
}

fn env_parse<T: std::str::FromStr>(
    name: &'static str,
    target: &mut T,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if let Ok(value) = std::env::var(name) {
        *target = value.parse().map_err(|_| ConfigError {
            name,
            value,
            expected,
        })?;
    }
    Ok(())
}

impl Settings {
    /// Defaults overridden by `WAYFARER_*` environment variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut s = Self::default();
        env_string("WAYFARER_POSTGRES_URL", &mut s.postgres.url);
        env_string("WAYFARER_POSTGRES_SCHEMA", &mut s.postgres.schema);
        env_parse(
            "WAYFARER_POSTGRES_MAX_CONNECTIONS",
            &mut s.postgres.max_connections,
            "a positive integer",
        )?;
        env_string("WAYFARER_KAFKA_BROKERS", &mut s.kafka.brokers);
        env_string("WAYFARER_KAFKA_PREFIX", &mut s.kafka.prefix);
        env_parse(
            "WAYFARER_KAFKA_PARTITIONS",
            &mut s.kafka.partitions,
            "a positive integer",
        )?;
        env_parse(
            "WAYFARER_KAFKA_REPLICATION_FACTOR",
            &mut s.kafka.replication_factor,
            "a positive integer",
        )?;
        env_string("WAYFARER_REDIS_URL", &mut s.redis.url);
        env_string("WAYFARER_REDIS_PREFIX", &mut s.redis.prefix);
        env_string("WAYFARER_OPENSEARCH_URL", &mut s.opensearch.url);
        env_string("WAYFARER_OPENSEARCH_PREFIX", &mut s.opensearch.prefix);
        env_string("WAYFARER_JWT_SECRET", &mut s.auth.jwt_secret);
        env_string("WAYFARER_MASTER_KEY", &mut s.auth.master_key);
        env_string("WAYFARER_SIGNING_KEY", &mut s.audit.signing_key);
        let mut checkpoint_seconds = s.audit.checkpoint_interval.as_secs();
        env_parse(
            "WAYFARER_CHECKPOINT_INTERVAL_SECONDS",
            &mut checkpoint_seconds,
            "a positive number of seconds",
        )?;
        if checkpoint_seconds == 0 {
            return Err(ConfigError {
                name: "WAYFARER_CHECKPOINT_INTERVAL_SECONDS",
                value: "0".into(),
                expected: "a positive number of seconds",
            });
        }
        s.audit.checkpoint_interval = Duration::from_secs(checkpoint_seconds);
        if let Ok(url) = std::env::var("WAYFARER_EXCHANGE_RATES_URL") {
            s.api.exchange_rates_url = Some(url).filter(|url| !url.trim().is_empty());
        }
        if let Ok(text) = std::env::var("WAYFARER_OIDC_ISSUERS") {
            s.api.oidc_issuers = serde_json::from_str(&text).map_err(|_| ConfigError {
                name: "WAYFARER_OIDC_ISSUERS",
                value: text.clone(),
                expected: "a JSON list of {\"issuer\", \"audience\", \"jwksUrl\"} objects",
            })?;
        }
        env_string("WAYFARER_API_ADDR", &mut s.http_addr);
        env_string("WAYFARER_SUPPLIERS_ADDR", &mut s.simulator.addr);
        env_parse(
            "WAYFARER_SUPPLIERS_SEED",
            &mut s.simulator.seed,
            "an unsigned integer",
        )?;
        env_string("WAYFARER_WEBHOOK_SECRET", &mut s.simulator.webhook_secret);
        s.api.payments.webhook_secret = s.simulator.webhook_secret.clone();
        if let Ok(url) = std::env::var("WAYFARER_WEBHOOK_URL") {
            s.simulator.webhook_url = Some(url).filter(|url| !url.is_empty());
        }
        env_string("WAYFARER_GATEWAY_URL", &mut s.api.payments.gateway_url);
        env_string("WAYFARER_SUPPLIERS_URL", &mut s.api.suppliers.url);
        if let Ok(names) = std::env::var("WAYFARER_SUPPLIERS") {
            s.api.suppliers.names = names
                .split(',')
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect();
        }
        for (name, target) in [
            ("WAYFARER_SAGA_LEASE_MS", &mut s.sagas.lease),
            (
                "WAYFARER_SAGA_RESERVE_WITHIN_MS",
                &mut s.sagas.reserve_within,
            ),
            ("WAYFARER_SAGA_POLL_MS", &mut s.sagas.poll),
            (
                "WAYFARER_SAGA_SUPPLIER_TIMEOUT_MS",
                &mut s.sagas.supplier_timeout,
            ),
            (
                "WAYFARER_SAGA_BREAKER_OPEN_MS",
                &mut s.sagas.breaker_open_for,
            ),
        ] {
            let mut millis = target.as_millis() as u64;
            env_parse(name, &mut millis, "milliseconds")?;
            *target = Duration::from_millis(millis);
        }
        env_parse(
            "WAYFARER_SAGA_CONCURRENCY",
            &mut s.sagas.concurrency,
            "a positive integer",
        )?;
        env_parse(
            "WAYFARER_SAGA_BREAKER_FAILURES",
            &mut s.sagas.breaker_failures,
            "a positive integer",
        )?;
        env_string("WAYFARER_SMTP_HOST", &mut s.api.mail.smtp_host);
        env_parse(
            "WAYFARER_SMTP_PORT",
            &mut s.api.mail.smtp_port,
            "a port number",
        )?;
        env_string("WAYFARER_MAIL_FROM", &mut s.api.mail.from);
        env_string("WAYFARER_PUBLIC_URL", &mut s.api.mail.public_url);
        let mut wait_ms = s.api.read_your_writes_timeout.as_millis() as u64;
        env_parse(
            "WAYFARER_READ_YOUR_WRITES_TIMEOUT_MS",
            &mut wait_ms,
            "milliseconds",
        )?;
        s.api.read_your_writes_timeout = Duration::from_millis(wait_ms);
        env_parse(
            "WAYFARER_FEED_FAN_OUT_LIMIT",
            &mut s.api.feed_fan_out_limit,
            "a number of followers",
        )?;
        env_parse(
            "WAYFARER_RELAY_BATCH",
            &mut s.relay_batch,
            "a positive integer",
        )?;
        for (name, value) in [
            ("WAYFARER_KAFKA_PARTITIONS", s.kafka.partitions),
            (
                "WAYFARER_KAFKA_REPLICATION_FACTOR",
                s.kafka.replication_factor,
            ),
        ] {
            if value < 1 {
                return Err(ConfigError {
                    name,
                    value: value.to_string(),
                    expected: "a positive integer",
                });
            }
        }
        Ok(s)
    }

    /// Settings isolated under `prefix` (schema, topics, indexes, keys) on the same servers.
    pub fn isolated(mut self, prefix: &str) -> Self {
        self.postgres.schema = prefix.to_owned();
        self.kafka.prefix = format!("{prefix}.");
        self.redis.prefix = format!("{prefix}:");
        self.opensearch.prefix = format!("{prefix}_");
        self
    }

    pub fn names(&self) -> Names {
        Names {
            kafka_prefix: self.kafka.prefix.clone(),
            index_prefix: self.opensearch.prefix.clone(),
            redis_prefix: self.redis.prefix.clone(),
        }
    }
}
