//! Who stands where on an itinerary, and what each standing may do. Pure: the one rule the
//! aggregate decides with and the read side shows with.
//!
//! - The owner does everything.
//! - An EDIT collaborator changes the details (not the visibility), the items and the status,
//!   and restores past versions; COMMENT collaborators comment on items; VIEW collaborators
//!   read. A pending invitee reads, so they can decide whether to accept.
//! - Only the owner deletes, changes the visibility, manages collaborators and hands over
//!   ownership.
//! - Anyone else reads a public itinerary and nothing else; a private or deleted one is, to
//!   them, missing.

use serde::{Deserialize, Serialize};
use wayfarer_schemas::AccessLevel;

/// Most collaborators and pending invitations one itinerary may have.
pub const MAX_COLLABORATORS: usize = 100;

/// One collaborator or pending invitee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collaborator {
    pub access_level: AccessLevel,
    /// False while the invitation is pending.
    pub accepted: bool,
}

/// How one person stands towards an itinerary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Owner,
    /// Accepted, at this level.
    Collaborator(AccessLevel),
    /// Invited at this level, not answered yet.
    Invited(AccessLevel),
    Outsider,
}

impl Standing {
    /// Whether this standing reads the itinerary whatever its visibility.
    pub fn is_member(self) -> bool {
        !matches!(self, Standing::Outsider)
    }

    /// Whether this standing acts at `level` or above (the owner always does; an invitee
    /// does nothing until they accept).
    pub fn acts_at(self, level: AccessLevel) -> bool {
        match self {
            Standing::Owner => true,
            Standing::Collaborator(own) => own >= level,
            Standing::Invited(_) | Standing::Outsider => false,
        }
    }
}

/// What a command needs of its actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    /// The owner.
    Owner,
    /// The owner or an accepted collaborator at this level or above.
    AtLeast(AccessLevel),
    /// Anyone who may see the itinerary (answering one's own invitation, leaving).
    Sight,
}

impl Needs {
    pub(super) fn met_by(self, standing: Standing) -> bool {
        match self {
            Needs::Owner => standing == Standing::Owner,
            Needs::AtLeast(level) => standing.acts_at(level),
            Needs::Sight => true,
        }
    }
}
