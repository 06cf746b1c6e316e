//! What one process knows: every aggregate's event contract and every projection. The
//! standard set is what this release ships; tests (and each later capability) add theirs by
//! registration, without touching the relay, the runner, rebuilds or the CLI.

use sqlx::PgPool;
use wayfarer_projections::{ProjectionError, ProjectionRegistry, Registered};
use wayfarer_schemas::Registry;

use crate::config::Settings;
use crate::inspect::Inspectors;
use crate::projections::standard_registry;

#[derive(Clone)]
pub struct Platform {
    pub events: Registry,
    pub projections: ProjectionRegistry,
    /// The aggregates whose past states auditors can see.
    pub aggregates: Inspectors,
}

impl Platform {
    /// The standard contracts and projections, connected to the configured services.
    pub fn standard(settings: &Settings, pool: &PgPool) -> Result<Self, ProjectionError> {
        Ok(Self {
            events: Registry::standard(),
            projections: standard_registry(settings, pool)?,
            aggregates: Inspectors::default()
                .register::<wayfarer_domain::Itinerary>()
                .register::<wayfarer_domain::User>()
                .register::<wayfarer_domain::Template>()
                .register::<wayfarer_domain::Inbox>()
                .register::<wayfarer_domain::Wallet>()
                .register::<wayfarer_domain::Booking>()
                .register::<wayfarer_domain::Place>()
                .register::<wayfarer_domain::Review>()
                .register::<wayfarer_domain::Post>()
                .register::<wayfarer_domain::Comment>()
                .register::<wayfarer_domain::Reaction>()
                .register::<wayfarer_domain::Guidelines>()
                .register::<wayfarer_domain::ModerationCase>(),
        })
    }

    /// Adds a projection.
    pub fn with_projection(mut self, projection: Registered) -> Self {
        self.projections = self.projections.register(projection);
        self
    }

    /// Adds an aggregate whose past states auditors can see.
    pub fn with_aggregate<A>(mut self) -> Self
    where
        A: wayfarer_domain::Aggregate + serde::Serialize,
    {
        self.aggregates = self.aggregates.register::<A>();
        self
    }

    /// Adds an aggregate's event contract.
    pub fn with_events<E>(mut self) -> Self
    where
        E: wayfarer_schemas::EventContract + schemars::JsonSchema + serde::de::DeserializeOwned,
    {
        self.events = self.events.register::<E>();
        self
    }

    /// Creates the tables of every PostgreSQL projection, so a reader started before (or
    /// without) their projector finds them empty rather than missing.
    pub async fn create_tables(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        for projection in self.projections.all() {
            if let Some(ddl) = projection.create_tables() {
                crate::db::create_projection_tables(pool, ddl).await?;
            }
        }
        Ok(())
    }

    /// The registered projection called `name`, or an error naming the known ones.
    pub fn projection(&self, name: &str) -> Result<&Registered, UnknownProjection> {
        self.projections.get(name).ok_or_else(|| UnknownProjection {
            name: name.to_owned(),
            known: self.projections.names().join(", "),
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown projection {name:?}; known: {known}")]
pub struct UnknownProjection {
    pub name: String,
    pub known: String,
}
