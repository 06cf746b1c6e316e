//! The GraphQL API (async-graphql on axum): queries read the projections, mutations become
//! commands, subscriptions fan out Redis pub/sub notifications.

pub mod admin;
pub mod auth;
pub mod booking_feed;
pub mod consistency;
pub mod error;
pub mod gateway_webhook;
pub mod graphql;
pub mod notification_feed;
pub mod notification_mail;
pub mod notifications;
pub mod payments;
pub mod people;
pub mod rates;
pub mod state;
pub mod trace;
pub mod travel_search;

pub use error::ApiError;
pub use graphql::{build_schema, router, sdl, WayfarerSchema};
pub use state::{ApiSettings, ApiState};
