//! An aggregate's state at any past instant, folded from the log (`events as-of`, and the
//! auditors' GraphQL views): one registration per aggregate type.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use wayfarer_commands::StoreError;
use wayfarer_domain::Aggregate;
use wayfarer_vault::Vault;

/// An aggregate's state as it stood, with the sequence of the last event applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateAsOf {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    pub as_of: DateTime<Utc>,
    /// 0 when the aggregate did not exist yet.
    pub sequence: u64,
    pub state: serde_json::Value,
}

#[async_trait]
trait Inspect: Send + Sync {
    async fn as_of(
        &self,
        pool: &PgPool,
        vault: Option<&Vault>,
        aggregate_id: &str,
        at: DateTime<Utc>,
    ) -> Result<StateAsOf, StoreError>;
}

struct Inspector<A>(PhantomData<fn() -> A>);

#[async_trait]
impl<A: Aggregate + Serialize> Inspect for Inspector<A> {
    async fn as_of(
        &self,
        pool: &PgPool,
        vault: Option<&Vault>,
        aggregate_id: &str,
        at: DateTime<Utc>,
    ) -> Result<StateAsOf, StoreError> {
        let loaded =
            wayfarer_commands::store::load_as_of::<A>(pool, vault, aggregate_id, Some(at)).await?;
        Ok(StateAsOf {
            aggregate_type: A::TYPE,
            aggregate_id: aggregate_id.to_owned(),
            as_of: at,
            sequence: loaded.sequence,
            state: serde_json::to_value(&loaded.aggregate)?,
        })
    }
}

/// The aggregate types whose past states can be shown.
#[derive(Clone, Default)]
pub struct Inspectors(BTreeMap<&'static str, Arc<dyn Inspect>>);

/// Why a past state could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("no events stored for aggregate {0:?}")]
    UnknownAggregate(String),
    #[error("aggregate type {0:?} has no registered state")]
    UnknownType(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
}

impl Inspectors {
    pub fn register<A: Aggregate + Serialize>(mut self) -> Self {
        self.0
            .insert(A::TYPE, Arc::new(Inspector::<A>(PhantomData)));
        self
    }

    /// The state of the aggregate `aggregate_id` (of whatever type) as it stood at `at`.
    pub async fn as_of(
        &self,
        pool: &PgPool,
        vault: Option<&Vault>,
        aggregate_id: &str,
        at: DateTime<Utc>,
    ) -> Result<StateAsOf, InspectError> {
        let aggregate_type: Option<String> =
            sqlx::query_scalar("SELECT aggregate_type FROM events WHERE aggregate_id = $1 LIMIT 1")
                .bind(aggregate_id)
                .fetch_optional(pool)
                .await?;
        let aggregate_type = aggregate_type
            .ok_or_else(|| InspectError::UnknownAggregate(aggregate_id.to_owned()))?;
        let inspector = self
            .0
            .get(aggregate_type.as_str())
            .ok_or(InspectError::UnknownType(aggregate_type))?;
        Ok(inspector.as_of(pool, vault, aggregate_id, at).await?)
    }
}
