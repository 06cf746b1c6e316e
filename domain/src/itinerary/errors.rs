//! Why an itinerary command was refused, and how a caller should react to each reason.

use uuid::Uuid;

use crate::aggregate::{DomainError, ErrorKind};
use crate::values::ValueError;

use super::access::MAX_COLLABORATORS;
use super::comments::{COMMENT_MAX_CHARS, MAX_COMMENTS};
use super::expenses::{EXPENSE_DATE_MARGIN_DAYS, MAX_EXPENSES};
use super::MAX_ITEMS;

/// Every reason the Itinerary aggregate refuses a command. Nothing was recorded when one of
/// these is returned, so a caller may always retry after fixing the cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItineraryError {
    /// The itinerary was never created. Report "not found" (HTTP 404); retrying will not help.
    #[error("itinerary not found")]
    NotFound,
    /// `Create` named an id that already has an itinerary (possibly a deleted one). Report a
    /// conflict; the client should pick a fresh id.
    #[error("itinerary already exists")]
    AlreadyExists,
    /// The itinerary has been deleted and accepts no further commands. Report a conflict
    /// (HTTP 409 or 410); retrying will not help.
    #[error("itinerary has been deleted")]
    Deleted,
    /// The actor may see the itinerary but their standing does not allow this command (see
    /// [`super::access`]). Report "forbidden" (HTTP 403) without revealing more. A private or
    /// deleted itinerary is `NotFound` to anyone who does not belong to it.
    #[error("your access to this itinerary does not allow this")]
    Forbidden,
    /// The caller's `expected_version` is stale: someone else changed the itinerary first.
    /// Report a retryable conflict; the client should reload and try again.
    #[error("itinerary is at version {actual}, not the expected version {expected}")]
    VersionMismatch { expected: u64, actual: u64 },
    /// A field's value is invalid; the inner error names the field. Report a validation
    /// error on that field.
    #[error(transparent)]
    Invalid(#[from] ValueError),
    /// An item starts or ends (by UTC date) outside the trip's dates. Report a validation
    /// error on the item's times; the client may widen the trip first.
    #[error("item must take place within the trip's dates")]
    ItemOutsideTrip,
    /// New trip dates would leave an existing item outside the trip. Report a validation
    /// error on the dates; the client must move or delete those items first.
    #[error("new trip dates would leave existing items outside the trip")]
    ItemsOutsideNewDates,
    /// No live item has this id (it never existed or was deleted). Report "not found".
    #[error("item {0} not found")]
    ItemNotFound(Uuid),
    /// An item with this id exists or existed (deleted ids are never reused). Report a
    /// conflict; the client should pick a fresh id.
    #[error("item {0} already exists")]
    DuplicateItem(Uuid),
    /// A new item order is not exactly the current items, each once. Report a validation
    /// error; the client should reload the items and resend the complete order.
    #[error("new item order must list every current item exactly once")]
    NotAPermutation,
    /// The itinerary already holds the maximum number of items. Report a validation error;
    /// the client must delete items before adding more.
    #[error("an itinerary may hold at most {MAX_ITEMS} items")]
    TooManyItems,
    /// The patch would leave everything as it is. Report a validation error (or treat as a
    /// no-op success); nothing was recorded.
    #[error("the change would leave everything as it is")]
    NothingToChange,
    /// The status cannot go from `from` to `to` (see [`super::status`]). Report a conflict.
    #[error("an itinerary that is {from} cannot become {to}")]
    StatusTransition {
        from: &'static str,
        to: &'static str,
    },
    /// The owner cannot be invited to their own itinerary. Report a validation error.
    #[error("the owner cannot be invited to their own itinerary")]
    CannotInviteOwner,
    /// The person already collaborates. Report a conflict; change their level instead.
    #[error("{0} already collaborates on this itinerary")]
    AlreadyCollaborator(Uuid),
    /// The person has a pending invitation already. Report a conflict.
    #[error("{0} is already invited")]
    AlreadyInvited(Uuid),
    /// The itinerary has the most collaborators and invitations it may have.
    #[error("an itinerary may have at most {MAX_COLLABORATORS} collaborators and invitations")]
    TooManyCollaborators,
    /// A list of people to invite is empty, too long, or names someone twice.
    #[error("invite 1 to {MAX_COLLABORATORS} different people at a time")]
    BadInviteeList,
    /// The actor has no pending invitation to answer. Report "not found".
    #[error("no pending invitation")]
    NoInvitation,
    /// The person neither collaborates nor is invited. Report "not found".
    #[error("{0} is not a collaborator of this itinerary")]
    CollaboratorNotFound(Uuid),
    /// The owner cannot leave; they transfer ownership first. Report a conflict.
    #[error("the owner cannot leave their itinerary; transfer ownership first")]
    OwnerCannotLeave,
    /// Ownership goes only to someone who accepted an invitation. Report a validation error.
    #[error("ownership can only go to an accepted collaborator")]
    NewOwnerNotCollaborator,
    /// No comment with this id (it never existed, or is deleted). Report "not found".
    #[error("comment {0} not found")]
    CommentNotFound(Uuid),
    /// Only a comment's author edits it (and its author or the owner deletes it).
    #[error("only its author may change this comment")]
    NotCommentAuthor,
    /// A comment with this id exists already. Report a conflict.
    #[error("comment {0} already exists")]
    DuplicateComment(Uuid),
    /// Comment text is blank, too long, or holds control characters.
    #[error("a comment is 1 to {COMMENT_MAX_CHARS} characters of text")]
    InvalidComment,
    /// The itinerary holds the most comments it may hold.
    #[error("an itinerary may hold at most {MAX_COMMENTS} comments")]
    TooManyComments,
    /// A restore named a version that is not an earlier version of this itinerary.
    #[error("version {0} is not an earlier version of this itinerary")]
    NoSuchVersion(u64),
    /// An expense with this id exists already. Report a conflict.
    #[error("expense {0} already exists")]
    DuplicateExpense(Uuid),
    /// No live expense has this id. Report "not found".
    #[error("expense {0} not found")]
    ExpenseNotFound(Uuid),
    #[error("an itinerary may hold at most {MAX_EXPENSES} expenses")]
    TooManyExpenses,
    #[error("an expense must be more than zero")]
    ZeroExpense,
    #[error("an expense is dated at most {EXPENSE_DATE_MARGIN_DAYS} days before the trip starts or after it ends")]
    ExpenseDateOutOfRange,
    /// Money is shared among the owner and accepted collaborators only.
    #[error("{0} is not a member of this itinerary")]
    NotAMember(Uuid),
    /// The split does not fit the amount (the inner error says how).
    #[error("invalid split: {0}")]
    BadSplit(crate::expenses::SplitError),
}

impl DomainError for ItineraryError {
    fn kind(&self) -> ErrorKind {
        match self {
            ItineraryError::NotFound
            | ItineraryError::ItemNotFound(_)
            | ItineraryError::NoInvitation
            | ItineraryError::CollaboratorNotFound(_)
            | ItineraryError::CommentNotFound(_)
            | ItineraryError::ExpenseNotFound(_) => ErrorKind::NotFound,
            ItineraryError::Forbidden | ItineraryError::NotCommentAuthor => ErrorKind::Forbidden,
            ItineraryError::VersionMismatch { .. }
            | ItineraryError::AlreadyExists
            | ItineraryError::Deleted
            | ItineraryError::DuplicateItem(_)
            | ItineraryError::StatusTransition { .. }
            | ItineraryError::AlreadyCollaborator(_)
            | ItineraryError::AlreadyInvited(_)
            | ItineraryError::OwnerCannotLeave
            | ItineraryError::DuplicateComment(_)
            | ItineraryError::DuplicateExpense(_) => ErrorKind::Conflict,
            ItineraryError::Invalid(_)
            | ItineraryError::ItemOutsideTrip
            | ItineraryError::ItemsOutsideNewDates
            | ItineraryError::NotAPermutation
            | ItineraryError::TooManyItems
            | ItineraryError::NothingToChange
            | ItineraryError::CannotInviteOwner
            | ItineraryError::TooManyCollaborators
            | ItineraryError::BadInviteeList
            | ItineraryError::NewOwnerNotCollaborator
            | ItineraryError::InvalidComment
            | ItineraryError::TooManyComments
            | ItineraryError::NoSuchVersion(_)
            | ItineraryError::TooManyExpenses
            | ItineraryError::ZeroExpense
            | ItineraryError::ExpenseDateOutOfRange
            | ItineraryError::NotAMember(_)
            | ItineraryError::BadSplit(_) => ErrorKind::Validation,
        }
    }
}
