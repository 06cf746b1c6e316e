//! End-to-end tests against the real services (PostgreSQL, Kafka protocol, Redis,
//! OpenSearch). Each test runs in its own schema / topic / index / key prefix.

mod access_and_conflicts;
mod admin_operations;
mod admin_page;
mod bookings;
mod broker_restart;
mod collaboration;
mod collaboration_matrix;
mod command_store;
mod crash_recovery;
mod expenses;
mod external_identity;
mod gap_safety;
mod graphql_flow;
mod maps;
mod notifications;
mod operations;
mod people;
mod people_matrix;
mod places;
mod platform;
mod posts;
mod rebuild_determinism;
mod redelivery;
mod relay_lease;
mod reviews;
mod saga_tasks;
mod schema_evolution;
mod sign_in;
mod support;
mod tamper_evidence;
mod templates;
mod test_aggregate;
mod tracing;
mod travel_search;
mod wallet;
