//! The GraphQL schema and its axum routes: one module per area, merged into the roots.

mod account;
mod booking;
mod collaboration;
mod comments;
pub(crate) mod context;
mod expenses;
mod feed;
mod history;
mod inputs;
mod moderation;
mod mutation;
mod notifications;
mod operations;
mod paging;
mod parsed_queries;
mod people;
mod people_types;
mod places;
mod posts;
mod query;
mod reactions;
pub mod resolve;
mod reviews;
mod routes;
mod selection_limit;
pub mod subscription;
mod templates;
mod travel;
mod types;
mod wallet;

use async_graphql::{MergedObject, MergedSubscription, Schema};

pub use context::{Caller, CorrelationId};
pub use routes::router;

use crate::state::ApiState;

/// Every area's queries.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    people::PeopleQuery,
    query::ItineraryQuery,
    collaboration::CollaborationQuery,
    history::HistoryQuery,
    expenses::ExpenseQuery,
    templates::TemplateQuery,
    notifications::NotificationQuery,
    wallet::WalletQuery,
    booking::BookingQuery,
    travel::TravelQuery,
    places::PlaceQuery,
    reviews::ReviewQuery,
    posts::PostQuery,
    feed::FeedQuery,
    moderation::ModerationQuery,
    comments::CommentQuery,
    reactions::ReactionQuery,
    operations::OperationsQuery,
);

/// Every area's mutations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    account::AccountMutation,
    people::PeopleMutation,
    mutation::ItineraryMutation,
    collaboration::CollaborationMutation,
    history::HistoryMutation,
    expenses::ExpenseMutation,
    templates::TemplateMutation,
    notifications::NotificationMutation,
    wallet::WalletMutation,
    booking::BookingMutation,
    places::PlaceMutation,
    reviews::ReviewMutation,
    posts::PostMutation,
    comments::CommentMutation,
    reactions::ReactionMutation,
    moderation::ModerationMutation,
    operations::OperationsMutation,
);

/// Every area's subscriptions.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    subscription::ItinerarySubscription,
    notifications::NotificationSubscription,
    booking::BookingSubscription,
    feed::FeedSubscription,
);

pub type WayfarerSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema with its limits; `state` is available to every resolver.
pub fn build_schema(state: ApiState) -> WayfarerSchema {
    let depth = state.settings.max_depth;
    let complexity = state.settings.max_complexity;
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .data(state)
    .limit_depth(depth)
    .limit_complexity(complexity)
    .extension(selection_limit::SelectionLimit { limit: complexity })
    .finish()
}

/// The SDL, as committed in `read-api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .finish()
    .sdl()
}
