//! Test and benchmark harness: starts the real system against the real services (PostgreSQL,
//! Kafka via nisshi, noida-db or Apache Kafka, Redis, OpenSearch), isolated per test by a fresh schema,
//! topic prefix, index prefix and key prefix.

pub mod cards;
pub mod fixtures;
pub mod graphql;
pub mod identity_provider;
pub mod kafka_reader;
mod oidc_keys;
pub mod private_broker;
pub mod progress;
pub mod schema_check;
pub mod system;

pub use graphql::GraphqlClient;
pub use system::{Roles, TestSystem, ALL_PROJECTIONS};
