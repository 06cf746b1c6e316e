//! The GraphQL schema and its axum routes.

mod context;
mod inputs;
mod mutation;
mod parsed_queries;
mod query;
mod routes;
mod subscription;
mod types;

use async_graphql::Schema;

pub use context::{Caller, CorrelationId};
pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use routes::router;
pub use subscription::SubscriptionRoot;

use crate::state::ApiState;

pub type WayfarerSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema with its limits; `state` is available to every resolver.
pub fn build_schema(state: ApiState) -> WayfarerSchema {
    let depth = state.settings.max_depth;
    let complexity = state.settings.max_complexity;
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .data(state)
        .limit_depth(depth)
        .limit_complexity(complexity)
        .finish()
}

/// The SDL, as committed in `read-api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot)
        .finish()
        .sdl()
}
