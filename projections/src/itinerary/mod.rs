//! The itinerary read models: one pure fold (`view`) feeding three stores.

pub mod cache;
pub mod comments;
pub mod describe;
pub mod expenses;
pub mod map;
pub mod memo;
pub mod pg;
pub mod registered;
pub mod search;
pub mod source;
pub mod stream_guard;
pub mod view;

pub use registered::{ItineraryCacheProjection, ItineraryPgProjection, ItinerarySearchProjection};
pub use view::{ApplyOutcome, ChangeView, CollaboratorView, ItemView, ItineraryView, Membership};
