//! The Reaction aggregate: one person's reaction to one post, comment or itinerary (its id is
//! [`wayfarer_schemas::reaction_id`], so there is at most one per person and target). Reacting
//! again with another type replaces it; with the same type changes nothing.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use wayfarer_schemas::{ReactionEvent, ReactionTarget, ReactionType};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub enum ReactionCommand {
    /// `addReaction`: the API has checked the caller may see the target.
    Add {
        actor: Uuid,
        now: DateTime<Utc>,
        target_type: ReactionTarget,
        target_id: Uuid,
        /// Whose post, comment or itinerary it is.
        target_owner_id: Uuid,
        reaction: ReactionType,
    },
    /// `removeReaction`.
    Remove { actor: Uuid, now: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReactionError {
    #[error("you have not reacted to this")]
    NotFound,
    /// The id belongs to another person or target (a bug in the caller).
    #[error("this reaction belongs to someone else")]
    NotYours,
}

impl DomainError for ReactionError {
    fn kind(&self) -> ErrorKind {
        match self {
            ReactionError::NotFound => ErrorKind::NotFound,
            ReactionError::NotYours => ErrorKind::Forbidden,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub target_type: ReactionTarget,
    pub target_id: Uuid,
    pub user_id: Uuid,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    owner: Option<Owner>,
    /// The reaction standing now, if any.
    current: Option<ReactionType>,
}

impl Reaction {
    pub fn current(&self) -> Option<ReactionType> {
        self.current
    }

    pub fn owner(&self) -> Option<Owner> {
        self.owner
    }
}

impl Aggregate for Reaction {
    const TYPE: &'static str = wayfarer_schemas::reaction::AGGREGATE_TYPE;
    type Command = ReactionCommand;
    type Event = ReactionEvent;
    type Error = ReactionError;

    fn decide(&self, command: ReactionCommand) -> Result<Vec<ReactionEvent>, ReactionError> {
        match command {
            ReactionCommand::Add {
                actor,
                now,
                target_type,
                target_id,
                target_owner_id,
                reaction,
            } => {
                let owner = Owner {
                    target_type,
                    target_id,
                    user_id: actor,
                };
                if self.owner.is_some_and(|o| o != owner) {
                    return Err(ReactionError::NotYours);
                }
                if self.current == Some(reaction) {
                    return Ok(Vec::new());
                }
                Ok(vec![ReactionEvent::ReactionAdded {
                    target_type,
                    target_id,
                    user_id: actor,
                    target_owner_id,
                    reaction,
                    previous: self.current,
                    added_at: now,
                }])
            }
            ReactionCommand::Remove { actor, now } => {
                if self.owner.is_some_and(|o| o.user_id != actor) {
                    return Err(ReactionError::NotYours);
                }
                let reaction = self.current.ok_or(ReactionError::NotFound)?;
                Ok(vec![ReactionEvent::ReactionRemoved {
                    reaction,
                    removed_at: now,
                }])
            }
        }
    }

    fn apply(&mut self, event: &ReactionEvent) {
        match event {
            ReactionEvent::ReactionAdded {
                target_type,
                target_id,
                user_id,
                reaction,
                ..
            } => {
                self.owner = Some(Owner {
                    target_type: *target_type,
                    target_id: *target_id,
                    user_id: *user_id,
                });
                self.current = Some(*reaction);
            }
            ReactionEvent::ReactionRemoved { .. } => self.current = None,
        }
    }

    fn expected_version(_command: &ReactionCommand) -> Option<u64> {
        None
    }
}
