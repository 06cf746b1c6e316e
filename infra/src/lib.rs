//! The composition root: configuration, adapters for PostgreSQL, Kafka, Redis and OpenSearch,
//! the relay, the projection runner, rebuilds, the HTTP server, and the `wayfarer` binary.

pub mod apply;
pub mod broker_health;
pub mod catalogue;
pub mod checkpointer;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod dlq;
pub mod http;
pub mod inspect;
pub mod kafka;
pub mod lost_log;
pub mod metrics;
pub mod platform;
pub mod projections;
pub mod projector;
pub mod rebuild;
pub mod relay;
pub mod roles;
pub mod runtime;
pub mod telemetry;

pub use config::Settings;
pub use platform::Platform;
