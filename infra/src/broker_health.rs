//! Broker reachability as each Kafka-facing role sees it, recorded in `broker_health` on every
//! change so that `projections status` and `/health/ready` (possibly in other processes) can
//! report an outage. Commands keep landing in the store meanwhile; nothing waits on this.
//!
//! Each role runs a probe: a metadata request from a client of its own, every two seconds.
//! librdkafka's error events cannot serve: a consumer whose broker vanished does not always
//! get one (measured: one consumer of three did), and an idle relay sends nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{PostgresSettings, Settings};

/// How often a role checks the broker.
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// A broker that does not answer a metadata request within this long is unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Probes the broker for `component` until `shutdown`, recording every change.
pub fn spawn_probe(
    settings: &Settings,
    component: &str,
    shutdown: CancellationToken,
) -> Result<JoinHandle<()>, ProbeError> {
    let client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &settings.kafka.brokers)
        .set("socket.timeout.ms", "10000")
        .create()?;
    let client = Arc::new(client);
    // A topic-specific request always goes to a broker (an all-topics one could be large);
    // an unknown topic is still an answer.
    let topic = settings.names().dead_letter_topic();
    let mut reporter = HealthReporter::new(&settings.postgres, component)?;
    Ok(tokio::spawn(async move {
        let mut every = tokio::time::interval(PROBE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            let client = client.clone();
            let topic = topic.clone();
            let answer = tokio::task::spawn_blocking(move || {
                client
                    .fetch_metadata(Some(&topic), PROBE_TIMEOUT)
                    .map(|_| ())
            })
            .await;
            match answer {
                Ok(Ok(())) => reporter.reachable().await,
                Ok(Err(error)) => reporter.unreachable(&error.to_string()).await,
                Err(error) => tracing::warn!(%error, "broker probe failed to run"),
            }
        }
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
}

/// One role's view of the broker.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BrokerHealthRow {
    pub component: String,
    pub reachable: bool,
    pub detail: Option<String>,
    pub since: DateTime<Utc>,
}

/// Records one role's reachability changes. Writes only when the state changes; a failed
/// write (PostgreSQL away too) is logged and tried again at the next report.
struct HealthReporter {
    pool: PgPool,
    component: String,
    recorded: Option<bool>,
}

impl HealthReporter {
    /// A reporter for `component` (`relay` or a projection's name). Connects lazily, so it
    /// never fails or waits here.
    fn new(settings: &PostgresSettings, component: &str) -> Result<Self, sqlx::Error> {
        Ok(Self {
            pool: crate::db::connect_lazy(settings, 1)?,
            component: component.to_owned(),
            recorded: None,
        })
    }

    /// The broker answered.
    async fn reachable(&mut self) {
        self.record(true, None).await;
    }

    /// The broker did not answer (the role keeps retrying on its own).
    async fn unreachable(&mut self, detail: &str) {
        self.record(false, Some(detail)).await;
    }

    async fn record(&mut self, reachable: bool, detail: Option<&str>) {
        if self.recorded == Some(reachable) {
            return;
        }
        if reachable {
            tracing::info!(component = %self.component, "broker reachable");
        } else {
            tracing::warn!(component = %self.component, detail, "broker unreachable");
        }
        let written = sqlx::query(
            "INSERT INTO broker_health (component, reachable, detail) VALUES ($1, $2, $3) \
             ON CONFLICT (component) DO UPDATE SET \
               since = CASE WHEN broker_health.reachable = excluded.reachable \
                            THEN broker_health.since ELSE now() END, \
               reachable = excluded.reachable, detail = excluded.detail, updated_at = now()",
        )
        .bind(&self.component)
        .bind(reachable)
        .bind(detail)
        .execute(&self.pool)
        .await;
        match written {
            Ok(_) => self.recorded = Some(reachable),
            Err(error) => {
                tracing::warn!(component = %self.component, %error, "broker health not recorded");
            }
        }
    }
}

/// Every role's last recorded view, by component name.
pub async fn all(pool: &PgPool) -> Result<Vec<BrokerHealthRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT component, reachable, detail, since FROM broker_health ORDER BY component",
    )
    .fetch_all(pool)
    .await
}
