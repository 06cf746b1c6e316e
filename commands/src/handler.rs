//! One command handler for every aggregate: load (or take from the cache), decide, append by
//! group commit, and retry a lost race on the fresh state.

use std::time::Duration;

use rand::Rng;
use sqlx::PgPool;
use wayfarer_domain::Aggregate;
use wayfarer_schemas::EventMetadata;
use wayfarer_vault::Vault;

use crate::error::{CommandError, StoreError};
use crate::idempotency::{IdempotencyClaim, StoredOutcome};
use crate::store::{AggregateStore, AppendError, Appended};
use crate::CommandOutcome;

/// Most tries of a command without a pinned version under contention. Each lost race means
/// another command on the same aggregate committed, so the system as a whole progresses.
const MAX_ATTEMPTS: u32 = 64;
/// The longest pause between two tries (backoff doubles up to it, with full jitter).
const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// One command for one aggregate, with who asked and an optional idempotency key.
pub struct CommandRequest<A: Aggregate> {
    pub aggregate_id: String,
    pub command: A::Command,
    pub metadata: EventMetadata,
    pub idempotency: Option<IdempotencyClaim>,
}

/// Executes the commands of one aggregate type against the PostgreSQL event store.
pub struct CommandHandler<A: Aggregate> {
    store: AggregateStore<A>,
}

impl<A: Aggregate> CommandHandler<A> {
    pub fn new(pool: PgPool) -> Self {
        Self {
            store: AggregateStore::new(pool, None),
        }
    }

    /// A handler for an aggregate whose events carry personal data, sealed with `vault`.
    pub fn with_vault(pool: PgPool, vault: Vault) -> Self {
        Self {
            store: AggregateStore::new(pool, Some(vault)),
        }
    }

    pub fn pool(&self) -> &PgPool {
        self.store.pool()
    }

    /// The aggregate's state as stored now (for reconciling what lives beside the log).
    pub async fn stored_state(&self, aggregate_id: &str) -> Result<A, StoreError> {
        Ok(self.store.load_stored(aggregate_id).await?.aggregate)
    }

    /// Runs one command. Without a pinned version, a lost append race is retried on the fresh
    /// state until the command lands or is rejected (bounded, with jittered backoff). With an
    /// idempotency key, a repeat of an earlier request returns that request's outcome.
    #[tracing::instrument(skip_all, fields(aggregate_type = A::TYPE, aggregate_id = %request.aggregate_id, command_id = %request.metadata.command_id))]
    pub async fn execute(
        &self,
        request: CommandRequest<A>,
    ) -> Result<CommandOutcome, CommandError<A::Error>> {
        let CommandRequest {
            aggregate_id,
            command,
            metadata,
            idempotency,
        } = request;
        if let Some(claim) = &idempotency {
            if let Some(outcome) = self.store.recorded(claim).await? {
                return replay(claim, outcome);
            }
        }
        let pinned = A::expected_version(&command).is_some();
        if A::creates_new(&command) {
            // The caller mints a fresh id for every creation: there is nothing to load.
            self.store.know_new(&aggregate_id);
        }
        let metadata = serde_json::to_string(&metadata.to_map()).map_err(StoreError::from)?;
        let mut use_cache = true;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let tried = self
                .decide_and_append(
                    &aggregate_id,
                    command.clone(),
                    &metadata,
                    idempotency.as_ref(),
                    use_cache,
                )
                .await;
            match tried {
                Ok(appended) => {
                    return Ok(CommandOutcome {
                        position: appended.position,
                        version: appended.sequence,
                        replayed: false,
                    })
                }
                Err(Attempt::Stale) => use_cache = false,
                Err(Attempt::Rejected(rejection)) => return Err(CommandError::Rejected(rejection)),
                Err(Attempt::Append(AppendError::KeyTaken)) => {
                    let claim = idempotency.as_ref().expect("a key was sent");
                    let outcome = self
                        .store
                        .recorded(claim)
                        .await?
                        .ok_or_else(|| StoreError::Postgres(sqlx::Error::RowNotFound))?;
                    return replay(claim, outcome);
                }
                Err(Attempt::Append(AppendError::Conflict)) => {
                    // The race may have been lost to a repeat of this very request.
                    if let Some(claim) = &idempotency {
                        if let Some(outcome) = self.store.recorded(claim).await? {
                            return replay(claim, outcome);
                        }
                    }
                    if pinned || attempt >= MAX_ATTEMPTS {
                        return Err(CommandError::Conflict);
                    }
                    tracing::debug!(attempt, "append race lost, retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(Attempt::Append(AppendError::Store(error))) => return Err(error.into()),
                Err(Attempt::Load(error)) => return Err(error.into()),
            }
        }
    }

    /// One try: load, let the aggregate decide, append in one statement.
    async fn decide_and_append(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &str,
        claim: Option<&IdempotencyClaim>,
        use_cache: bool,
    ) -> Result<Appended, Attempt<A::Error>> {
        let mut loaded = if use_cache {
            self.store.load(aggregate_id).await
        } else {
            self.store.load_stored(aggregate_id).await
        }
        .map_err(Attempt::Load)?;
        let events = match loaded.aggregate.decide(command) {
            // Nothing to do, decided on a cached state that may be behind: nothing would be
            // appended to reveal a stale state, so confirm on the store.
            Ok(events) if events.is_empty() && loaded.from_cache => return Err(Attempt::Stale),
            Ok(events) => events,
            // Decided on a cached state that may be behind: decide again on the store.
            Err(_) if loaded.from_cache => return Err(Attempt::Stale),
            Err(rejection) => return Err(Attempt::Rejected(rejection)),
        };
        for event in &events {
            loaded.aggregate.apply(event);
        }
        self.store
            .append(&events, loaded, metadata, claim)
            .await
            .map_err(Attempt::Append)
    }
}

/// How one try of a command ended, short of success.
enum Attempt<E> {
    /// Rejected, or found to need no events, on cached state: to be confirmed on the stored
    /// state before reporting.
    Stale,
    Rejected(E),
    Append(AppendError),
    Load(StoreError),
}

/// The outcome of an earlier request with the same key, or a refusal if it was another one.
fn replay<E: wayfarer_domain::DomainError>(
    claim: &IdempotencyClaim,
    outcome: StoredOutcome,
) -> Result<CommandOutcome, CommandError<E>> {
    if outcome.fingerprint != claim.fingerprint {
        return Err(CommandError::IdempotencyKeyReused);
    }
    Ok(CommandOutcome {
        position: outcome.position,
        version: outcome.version as u64,
        replayed: true,
    })
}

/// Exponential backoff with full jitter, so racing commands don't collide again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let ceiling = Duration::from_micros(500 << attempt.min(7)).min(MAX_BACKOFF);
    rand::rng().random_range(Duration::ZERO..=ceiling)
}
