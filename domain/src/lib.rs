//! The pure domain of Wayfarer: aggregates that decide and evolve, and the value objects they
//! are built from.
//!
//! Nothing here performs IO or reads a clock: time, ids and the acting user arrive inside each
//! command, and the events produced are the shared contract types of `wayfarer_schemas`.
//! Every aggregate implements [`Aggregate`]; its tests use the kit in [`testing`].

pub mod aggregate;
pub mod booking;
pub mod comment;
pub mod expenses;
pub mod inbox;
pub mod itinerary;
pub mod media;
pub mod moderation;
pub mod place;
pub mod post;
pub mod reaction;
pub mod review;
pub mod template;
pub mod testing;
pub mod user;
pub mod values;
pub mod wallet;

pub use aggregate::{Aggregate, DomainError, ErrorKind};
pub use booking::{
    Booking, BookingActor, BookingCommand, BookingContext, BookingError, BookingRequest,
    BookingStatus,
};
pub use comment::{Comment, CommentCommand, CommentContext, CommentError};
pub use inbox::{Inbox, InboxCommand, InboxContext, InboxError};
pub use itinerary::{
    Category, CommandContext, ItemDetails, ItemPatch, Itinerary, ItineraryCommand,
    ItineraryDetails, ItineraryError, ItineraryEvent, ItineraryPatch, LocationInput, MoneyInput,
    NewItemDetails, NewItineraryDetails, Visibility, MAX_ITEMS,
};
pub use moderation::guidelines::{Guidelines, GuidelinesCommand, GuidelinesError};
pub use moderation::{CaseCommand, CaseContext, CaseError, ModerationCase};
pub use place::{Place, PlaceActor, PlaceCommand, PlaceError};
pub use post::{Post, PostCommand, PostContext, PostError};
pub use reaction::{Reaction, ReactionCommand, ReactionError};
pub use review::{Review, ReviewCommand, ReviewContext, ReviewError};
pub use template::{Template, TemplateCommand, TemplateContext, TemplateError};
pub use user::{User, UserCommand, UserContext, UserError};
pub use values::{
    CurrencyCode, DateRange, Description, GeoPoint, Location, Money, TimeSpan, Title, ValueError,
};
pub use wallet::{Wallet, WalletActor, WalletCommand, WalletContext, WalletError};
