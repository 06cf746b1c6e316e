//! The people read model: profiles, roles, bans and follows in PostgreSQL (`users`,
//! `user_follows`), written with the checkpoint in one transaction and guarded by each
//! person's stream version.

pub mod pg;
pub mod read;
pub mod search;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgConnection;
use wayfarer_schemas::user::AGGREGATE_TYPE;

use crate::projection::{Envelope, Projection, Tables, TransactionalProjection, Write};
use crate::ProjectionError;

pub use read::{FollowStatus, UserRow};

/// The registered projection (`user`, `me`, `followers`, `following`, bans and roles).
pub struct UsersProjection {
    vault: wayfarer_vault::Vault,
}

impl UsersProjection {
    pub fn new(vault: wayfarer_vault::Vault) -> Self {
        Self { vault }
    }
}

impl Projection for UsersProjection {
    fn name(&self) -> &'static str {
        pg::NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[AGGREGATE_TYPE]
    }
    /// It serves read-your-writes (and ban checks), so it polls often.
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

#[async_trait]
impl TransactionalProjection for UsersProjection {
    fn tables(&self) -> &'static [&'static str] {
        pg::TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        for envelope in events {
            pg::apply_event(tx, tables, &self.vault, envelope).await?;
        }
        Ok(())
    }

    async fn has_applied(
        &self,
        connection: &mut PgConnection,
        write: &Write,
    ) -> Result<bool, ProjectionError> {
        let Some(id) = write.stream_of(AGGREGATE_TYPE) else {
            return Ok(true);
        };
        Ok(read::version_of(connection, id).await? >= write.sequence as i64)
    }
}
