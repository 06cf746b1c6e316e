//! The event contract shared by every Wayfarer process and published to analysts.
//!
//! Everything here is plain data: the envelope that travels on Kafka and the event payloads of
//! each aggregate. JSON Schemas are generated from these types (`wayfarer schemas export`), so
//! the published contract cannot drift from the code.

pub mod booking;
pub mod comment;
pub mod compatibility;
pub mod contract;
pub mod envelope;
pub mod export;
pub mod inbox;
pub mod itinerary;
pub mod moderation;
pub mod place;
pub mod post;
pub mod reaction;
pub mod review;
pub mod template;
pub mod user;
pub mod wallet;

pub use booking::{BookedOffer, BookingEvent, BookingKind, CancellationTerms};
pub use comment::CommentEvent;
pub use contract::{decode_event, DecodeError, EventContract, RegisteredContract, Registry};
pub use envelope::{EventEnvelope, EventMetadata};
pub use inbox::{InboxEvent, NotificationChannels, NotificationKind, NotificationPreference};
pub use itinerary::{
    AccessLevel, Category, ExpenseDetails, ItemDetails, ItineraryDetails, ItineraryEvent,
    ItineraryStatus, Location, MoneyAmount, SplitMethod, Visibility,
};
pub use moderation::{
    case_id, FlagTarget, GuidelineRule, GuidelinesEvent, ModerationAction, ModerationEvent,
};
pub use place::{catalogue_place_id, PlaceCategory, PlaceEvent};
pub use post::{PostEvent, PostMedia, PostTags};
pub use reaction::{reaction_id, ReactionEvent, ReactionTarget, ReactionType};
pub use review::{review_id, MediaType, ReviewEvent, ReviewMedia};
pub use template::{TemplateDetails, TemplateEvent, TemplateItem, TripCategory};
pub use user::{
    BudgetLevel, NotificationSettings, PersonalDetails, Privacy, Role, SocialLinks, TravelPace,
    TravelPreferences, UserEvent, UserProfile,
};
pub use wallet::{wallet_id, PaymentMethodRef, WalletEvent};

/// Kafka topic that carries the events of one aggregate type: `wayfarer.<aggregate>`.
pub fn topic_for(aggregate_type: &str) -> String {
    format!("wayfarer.{aggregate_type}")
}
