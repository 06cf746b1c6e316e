//! What every resolver shares: turning an [`ApiResult`] into a GraphQL result with its
//! `extensions.code`, and running a command for the caller (metadata, clock, idempotency).

use std::future::Future;

use async_graphql::{Context, ErrorExtensions};
use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wayfarer_commands::{CommandHandler, CommandOutcome, CommandRequest, IdempotencyClaim};
use wayfarer_domain::Aggregate;
use wayfarer_schemas::EventMetadata;

use super::context::{correlation_id, require_caller};
use crate::error::ApiResult;

/// Runs a resolver body and maps its error to a coded GraphQL error.
pub async fn resolve<T>(body: impl Future<Output = ApiResult<T>>) -> async_graphql::Result<T> {
    body.await.map_err(|error| error.extend())
}

/// The current time at the precision PostgreSQL stores (microseconds), so a time reads the
/// same from every model, whichever store it comes from.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// One command issued by the signed-in caller of a mutation.
pub struct Invocation {
    pub actor: Uuid,
    pub now: DateTime<Utc>,
    metadata: EventMetadata,
    idempotency: Option<IdempotencyClaim>,
    idempotency_key: Option<Uuid>,
}

impl Invocation {
    /// Authenticates the caller and prepares the command's metadata. With an idempotency key,
    /// the request's fingerprint is its field name and arguments (the key itself left out).
    pub fn new(ctx: &Context<'_>, idempotency_key: Option<Uuid>) -> ApiResult<Self> {
        let actor = require_caller(ctx)?;
        let command_id = Uuid::now_v7();
        let idempotency = idempotency_key.map(|key| IdempotencyClaim {
            scope: actor.to_string(),
            key,
            fingerprint: fingerprint(ctx),
        });
        Ok(Self {
            actor,
            now: now(),
            metadata: EventMetadata {
                actor: Some(actor),
                command_id,
                correlation_id: correlation_id(ctx),
                causation_id: command_id,
            },
            idempotency,
            idempotency_key,
        })
    }

    /// A new id for something this command creates. With an idempotency key the id is derived
    /// from it (and the caller), so a retried request names the same thing again.
    pub fn mint_id(&self, purpose: &str) -> Uuid {
        match self.idempotency_key {
            Some(key) => {
                let name = format!("{}/{key}/{purpose}", self.actor);
                Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
            }
            None => Uuid::now_v7(),
        }
    }

    /// Runs `command` on the aggregate `aggregate_id`.
    pub async fn execute<A: Aggregate>(
        self,
        handler: &CommandHandler<A>,
        aggregate_id: Uuid,
        command: A::Command,
    ) -> ApiResult<CommandOutcome> {
        Ok(handler
            .execute(CommandRequest {
                aggregate_id: aggregate_id.to_string(),
                command,
                metadata: self.metadata,
                idempotency: self.idempotency,
            })
            .await?)
    }
}

/// A value's text with object fields in name order, so the same input digests the same however
/// a client orders its fields.
fn canonical(value: &async_graphql::Value) -> String {
    use async_graphql::Value;
    match value {
        Value::Object(fields) => {
            let mut fields: Vec<_> = fields.iter().collect();
            fields.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
            let inner: Vec<String> = fields
                .into_iter()
                .map(|(name, value)| format!("{name}:{}", canonical(value)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::List(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

/// A digest of the field being resolved and its arguments, variables substituted.
pub(crate) fn fingerprint(ctx: &Context<'_>) -> String {
    let field = ctx.field();
    let mut arguments: Vec<(String, String)> = field
        .arguments()
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| name.as_str() != "idempotencyKey")
        .map(|(name, value)| (name.to_string(), canonical(&value)))
        .collect();
    arguments.sort();
    let mut digest = Sha256::new();
    digest.update(field.name().as_bytes());
    for (name, value) in arguments {
        digest.update([0]);
        digest.update(name.as_bytes());
        digest.update([0]);
        digest.update(value.as_bytes());
    }
    format!("{:x}", digest.finalize())
}
