//! Decide the commands about people and the itinerary's life: status, collaborators and
//! invitations, ownership, and comments on items (and route the money commands to
//! [`super::expenses`]). Who may do what is [`super::access`].

use std::collections::BTreeSet;

use uuid::Uuid;
use wayfarer_schemas::{AccessLevel, ItineraryEvent, ItineraryStatus};

use super::access::{Needs, Standing, MAX_COLLABORATORS};
use super::comments::{comment_text, MAX_COMMENTS};
use super::status::may_become;
use super::{CommandContext, Itinerary, ItineraryCommand, ItineraryError};

impl Itinerary {
    /// The one-event commands of this module (the others are decided in `decide`).
    pub(super) fn decide_collaboration(
        &self,
        command: ItineraryCommand,
    ) -> Result<ItineraryEvent, ItineraryError> {
        use ItineraryCommand as C;
        match command {
            C::ChangeStatus { context, status } => self.decide_status(&context, status),
            C::InviteCollaborator {
                context,
                user_id,
                access_level,
            } => self.decide_invite(&context, user_id, access_level),
            C::AcceptInvitation { context } => self.decide_answer(&context, true),
            C::DeclineInvitation { context } => self.decide_answer(&context, false),
            C::UpdateCollaboratorAccess {
                context,
                user_id,
                access_level,
            } => self.decide_access_update(&context, user_id, access_level),
            C::RemoveCollaborator { context, user_id } => self.decide_remove(&context, user_id),
            C::LeaveItinerary { context } => self.decide_leave(&context),
            C::TransferOwnership {
                context,
                new_owner_id,
            } => self.decide_transfer(&context, new_owner_id),
            C::AddItemComment {
                context,
                comment_id,
                item_id,
                parent_comment_id,
                text,
            } => self.decide_add_comment(&context, comment_id, item_id, parent_comment_id, &text),
            C::EditItemComment {
                context,
                comment_id,
                text,
            } => self.decide_edit_comment(&context, comment_id, &text),
            C::DeleteItemComment {
                context,
                comment_id,
            } => self.decide_delete_comment(&context, comment_id),
            C::AddExpense {
                context,
                expense_id,
                item_id,
                input,
            } => self.decide_add_expense(&context, expense_id, item_id, input),
            C::UpdateExpense {
                context,
                expense_id,
                input,
            } => self.decide_update_expense(&context, expense_id, input),
            C::DeleteExpense {
                context,
                expense_id,
            } => self.decide_delete_expense(&context, expense_id),
            C::SetBudget {
                context,
                category,
                amount_minor,
            } => self.decide_set_budget(&context, category, amount_minor),
            C::Create { .. }
            | C::CreateWithItems { .. }
            | C::Update { .. }
            | C::Delete { .. }
            | C::AddItem { .. }
            | C::UpdateItem { .. }
            | C::DeleteItem { .. }
            | C::ReorderItems { .. }
            | C::ShareItinerary { .. }
            | C::RestoreVersion { .. } => unreachable!("decided in decide_command"),
        }
    }

    fn decide_status(
        &self,
        context: &CommandContext,
        to: ItineraryStatus,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.editable_details(context)?;
        let from = self.status.unwrap_or(ItineraryStatus::Draft);
        if from == to {
            return Err(ItineraryError::NothingToChange);
        }
        if !may_become(from, to) {
            return Err(ItineraryError::StatusTransition {
                from: from.as_str(),
                to: to.as_str(),
            });
        }
        Ok(ItineraryEvent::ItineraryStatusChanged {
            status: to,
            changed_at: context.now,
        })
    }

    fn decide_invite(
        &self,
        context: &CommandContext,
        user_id: Uuid,
        access_level: AccessLevel,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::Owner)?;
        self.check_invitable(user_id)?;
        if self.collaborators.len() >= MAX_COLLABORATORS {
            return Err(ItineraryError::TooManyCollaborators);
        }
        Ok(self.invitation(context, user_id, access_level))
    }

    /// Whether `user_id` may be invited: not the owner, not already in.
    fn check_invitable(&self, user_id: Uuid) -> Result<(), ItineraryError> {
        match self.standing_of(user_id) {
            Standing::Owner => Err(ItineraryError::CannotInviteOwner),
            Standing::Collaborator(_) => Err(ItineraryError::AlreadyCollaborator(user_id)),
            Standing::Invited(_) => Err(ItineraryError::AlreadyInvited(user_id)),
            Standing::Outsider => Ok(()),
        }
    }

    fn invitation(
        &self,
        context: &CommandContext,
        user_id: Uuid,
        access_level: AccessLevel,
    ) -> ItineraryEvent {
        ItineraryEvent::CollaboratorInvited {
            user_id,
            access_level,
            invited_by: context.actor,
            invited_at: context.now,
        }
    }

    /// `shareItinerary`: VIEW invitations for everyone named who is not in yet; naming only
    /// people already in changes nothing.
    pub(super) fn decide_share(
        &self,
        context: &CommandContext,
        user_ids: Vec<Uuid>,
    ) -> Result<Vec<ItineraryEvent>, ItineraryError> {
        self.require(context, Needs::Owner)?;
        let distinct: BTreeSet<Uuid> = user_ids.iter().copied().collect();
        if user_ids.is_empty()
            || user_ids.len() > MAX_COLLABORATORS
            || distinct.len() != user_ids.len()
        {
            return Err(ItineraryError::BadInviteeList);
        }
        if user_ids.contains(&context.actor) {
            return Err(ItineraryError::CannotInviteOwner);
        }
        let newcomers: Vec<Uuid> = user_ids
            .into_iter()
            .filter(|user| self.standing_of(*user) == Standing::Outsider)
            .collect();
        if newcomers.is_empty() {
            return Err(ItineraryError::NothingToChange);
        }
        if self.collaborators.len() + newcomers.len() > MAX_COLLABORATORS {
            return Err(ItineraryError::TooManyCollaborators);
        }
        Ok(newcomers
            .into_iter()
            .map(|user| self.invitation(context, user, AccessLevel::View))
            .collect())
    }

    fn decide_answer(
        &self,
        context: &CommandContext,
        accept: bool,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::Sight)?;
        match self.standing(context) {
            Standing::Invited(_) => {}
            // An outsider of a public itinerary is forbidden, as for any member's command (the
            // API then hides it where the owner does not share with them).
            Standing::Outsider => return Err(ItineraryError::Forbidden),
            Standing::Owner | Standing::Collaborator(_) => {
                return Err(ItineraryError::NoInvitation)
            }
        }
        let user_id = context.actor;
        Ok(if accept {
            ItineraryEvent::InvitationAccepted {
                user_id,
                accepted_at: context.now,
            }
        } else {
            ItineraryEvent::InvitationDeclined {
                user_id,
                declined_at: context.now,
            }
        })
    }

    fn decide_access_update(
        &self,
        context: &CommandContext,
        user_id: Uuid,
        access_level: AccessLevel,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::Owner)?;
        let current = self
            .collaborators
            .get(&user_id)
            .ok_or(ItineraryError::CollaboratorNotFound(user_id))?;
        if current.access_level == access_level {
            return Err(ItineraryError::NothingToChange);
        }
        Ok(ItineraryEvent::CollaboratorAccessUpdated {
            user_id,
            access_level,
            updated_at: context.now,
        })
    }

    fn decide_remove(
        &self,
        context: &CommandContext,
        user_id: Uuid,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::Owner)?;
        if !self.collaborators.contains_key(&user_id) {
            return Err(ItineraryError::CollaboratorNotFound(user_id));
        }
        Ok(ItineraryEvent::CollaboratorRemoved {
            user_id,
            removed_at: context.now,
        })
    }

    fn decide_leave(&self, context: &CommandContext) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::Sight)?;
        match self.standing(context) {
            Standing::Owner => Err(ItineraryError::OwnerCannotLeave),
            Standing::Collaborator(_) => Ok(ItineraryEvent::CollaboratorLeft {
                user_id: context.actor,
                left_at: context.now,
            }),
            // An invitee declines rather than leaves.
            Standing::Invited(_) => Err(ItineraryError::CollaboratorNotFound(context.actor)),
            Standing::Outsider => Err(ItineraryError::Forbidden),
        }
    }

    fn decide_transfer(
        &self,
        context: &CommandContext,
        new_owner_id: Uuid,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::Owner)?;
        if new_owner_id == context.actor {
            return Err(ItineraryError::NothingToChange);
        }
        if !matches!(self.standing_of(new_owner_id), Standing::Collaborator(_)) {
            return Err(ItineraryError::NewOwnerNotCollaborator);
        }
        Ok(ItineraryEvent::OwnershipTransferred {
            previous_owner_id: context.actor,
            new_owner_id,
            transferred_at: context.now,
        })
    }

    fn decide_add_comment(
        &self,
        context: &CommandContext,
        comment_id: Uuid,
        item_id: Uuid,
        parent_comment_id: Option<Uuid>,
        text: &str,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::AtLeast(AccessLevel::Comment))?;
        if self.live_item(item_id).is_none() {
            return Err(ItineraryError::ItemNotFound(item_id));
        }
        if self.comments.contains_key(&comment_id) {
            return Err(ItineraryError::DuplicateComment(comment_id));
        }
        if let Some(parent) = parent_comment_id {
            // A reply stays on its parent's item; a deleted comment takes no new replies.
            match self.comments.get(&parent) {
                Some(comment) if !comment.deleted && comment.item_id == item_id => {}
                _ => return Err(ItineraryError::CommentNotFound(parent)),
            }
        }
        let text = comment_text(text).ok_or(ItineraryError::InvalidComment)?;
        if self.comments.len() >= MAX_COMMENTS {
            return Err(ItineraryError::TooManyComments);
        }
        Ok(ItineraryEvent::ItemCommentAdded {
            comment_id,
            item_id,
            parent_comment_id,
            author_id: context.actor,
            text,
            added_at: context.now,
        })
    }

    /// A live comment on a live item.
    fn live_comment(&self, comment_id: Uuid) -> Result<&super::Comment, ItineraryError> {
        match self.comments.get(&comment_id) {
            Some(comment) if !comment.deleted && self.live_item(comment.item_id).is_some() => {
                Ok(comment)
            }
            _ => Err(ItineraryError::CommentNotFound(comment_id)),
        }
    }

    fn decide_edit_comment(
        &self,
        context: &CommandContext,
        comment_id: Uuid,
        text: &str,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::AtLeast(AccessLevel::Comment))?;
        let comment = self.live_comment(comment_id)?;
        if comment.author_id != context.actor {
            return Err(ItineraryError::NotCommentAuthor);
        }
        let text = comment_text(text).ok_or(ItineraryError::InvalidComment)?;
        if text == comment.text {
            return Err(ItineraryError::NothingToChange);
        }
        Ok(ItineraryEvent::ItemCommentEdited {
            comment_id,
            text,
            edited_at: context.now,
        })
    }

    /// Its author deletes a comment while they may comment; the owner deletes any.
    fn decide_delete_comment(
        &self,
        context: &CommandContext,
        comment_id: Uuid,
    ) -> Result<ItineraryEvent, ItineraryError> {
        let needs = if self.standing(context) == Standing::Owner {
            Needs::Owner
        } else {
            Needs::AtLeast(AccessLevel::Comment)
        };
        self.require(context, needs)?;
        let comment = self.live_comment(comment_id)?;
        if comment.author_id != context.actor && self.standing(context) != Standing::Owner {
            return Err(ItineraryError::NotCommentAuthor);
        }
        Ok(ItineraryEvent::ItemCommentDeleted {
            comment_id,
            deleted_at: context.now,
        })
    }
}
