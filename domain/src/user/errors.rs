//! Why a user command was refused, and how a caller should react to each reason.

use crate::aggregate::{DomainError, ErrorKind};

use super::profile::ProfileError;

/// Every reason the User aggregate refuses a command. Nothing was recorded when one of these
/// is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// No such person, or one the actor may not see (deleted, or banned and the actor is not
    /// an admin). Hidden looks exactly like missing.
    #[error("user not found")]
    NotFound,
    /// `Register` named an id that already has a person.
    #[error("user already registered")]
    AlreadyRegistered,
    /// The actor may not do this to this person (only the person edits their profile and
    /// answers follow requests; only admins assign roles and ban).
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Invalid(#[from] ProfileError),
    /// The change would leave everything as it is.
    #[error("the change would leave everything as it is")]
    NothingToChange,
    #[error("you cannot follow yourself")]
    CannotFollowSelf,
    /// There is no pending request from this person.
    #[error("no follow request from this user")]
    NoFollowRequest,
    /// The platform must keep at least one admin.
    #[error("the last admin cannot give up the role; make someone else admin first")]
    LastAdmin,
    /// Admins are not forgotten; assign another role first.
    #[error("an admin cannot be forgotten; assign another role first")]
    CannotForgetAdmin,
    /// Admins are not banned; assign another role first.
    #[error("an admin cannot be banned; assign another role first")]
    CannotBanAdmin,
    /// A ban needs a reason (1 to 500 characters) and, if it ends, an end in the future.
    #[error("{0}")]
    InvalidBan(&'static str),
}

impl DomainError for UserError {
    fn kind(&self) -> ErrorKind {
        match self {
            UserError::NotFound | UserError::NoFollowRequest => ErrorKind::NotFound,
            UserError::Forbidden(_) => ErrorKind::Forbidden,
            UserError::AlreadyRegistered
            | UserError::LastAdmin
            | UserError::CannotBanAdmin
            | UserError::CannotForgetAdmin => ErrorKind::Conflict,
            UserError::Invalid(_)
            | UserError::NothingToChange
            | UserError::CannotFollowSelf
            | UserError::InvalidBan(_) => ErrorKind::Validation,
        }
    }
}
