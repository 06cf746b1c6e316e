//! The itinerary detail view and how each event changes it. Pure: every store's projection
//! (PostgreSQL rows, OpenSearch document, Redis cache) is this fold, persisted differently.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wayfarer_schemas::{
    AccessLevel, Category, ItemDetails, ItineraryEvent, ItineraryStatus, Location, MoneyAmount,
    Visibility,
};

use super::describe::describe;
use crate::event::ItineraryEnvelope;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItineraryView {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub visibility: Visibility,
    pub base_currency: String,
    /// Aggregate sequence of the last applied event.
    pub version: u64,
    /// Store position of the last applied event.
    pub last_position: i64,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In the owner's order.
    pub items: Vec<ItemView>,
    #[serde(default = "draft")]
    pub status: ItineraryStatus,
    /// Collaborators and pending invitees, in the order they were invited.
    #[serde(default)]
    pub collaborators: Vec<CollaboratorView>,
    /// The last change: who made it and what it was.
    #[serde(default)]
    pub last_change: Option<ChangeView>,
}

fn draft() -> ItineraryStatus {
    ItineraryStatus::Draft
}

/// A collaborator, or a pending invitee (`accepted: false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollaboratorView {
    pub user_id: Uuid,
    pub access_level: AccessLevel,
    pub accepted: bool,
    pub invited_by: Uuid,
    pub invited_at: DateTime<Utc>,
}

/// One change as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeView {
    /// Who made it (`None` for the system).
    pub changed_by: Option<Uuid>,
    pub event_type: String,
    pub description: String,
    /// Whom it concerned, if a person (an invitee, a new owner).
    pub subject_user_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
    /// The version it made.
    pub version: u64,
}

impl ChangeView {
    /// `envelope` described against the view before it.
    pub fn of(before: Option<&ItineraryView>, envelope: &ItineraryEnvelope) -> Self {
        let described = describe(before, &envelope.payload);
        Self {
            changed_by: envelope.metadata.actor,
            event_type: envelope.event_type.clone(),
            description: described.description,
            subject_user_id: described.subject_user_id,
            changed_at: envelope.occurred_at,
            version: envelope.sequence,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub location: Option<Location>,
    pub category: Category,
    pub estimated_cost: Option<MoneyAmount>,
}

impl ItemView {
    fn new(id: Uuid, details: &ItemDetails) -> Self {
        Self {
            id,
            title: details.title.clone(),
            description: details.description.clone(),
            start_time: details.start_time,
            end_time: details.end_time,
            location: details.location.clone(),
            category: details.category,
            estimated_cost: details.estimated_cost.clone(),
        }
    }
}

/// What applying one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// The event's sequence is at or below the view's version: a redelivery, ignored.
    AlreadyApplied,
    /// The event skips ahead of the view's version: earlier events are missing.
    Gap,
}

impl ItineraryView {
    /// Starts a view from the first event of a stream; `None` for any other event.
    pub fn start(envelope: &ItineraryEnvelope) -> Option<Self> {
        match &envelope.payload {
            ItineraryEvent::ItineraryCreated {
                itinerary_id,
                owner_id,
                details,
                status,
                created_at,
            } if envelope.sequence == 1 => Some(Self {
                id: *itinerary_id,
                owner_id: *owner_id,
                title: details.title.clone(),
                start_date: details.start_date,
                end_date: details.end_date,
                visibility: details.visibility,
                base_currency: details.base_currency.clone(),
                version: 1,
                last_position: envelope.global_position,
                deleted: false,
                created_at: *created_at,
                updated_at: *created_at,
                items: Vec::new(),
                status: *status,
                collaborators: Vec::new(),
                last_change: Some(ChangeView::of(None, envelope)),
            }),
            _ => None,
        }
    }

    /// Folds a whole stream (in sequence order); `None` if it does not start with a creation.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a ItineraryEnvelope>) -> Option<Self> {
        let mut view: Option<Self> = None;
        for envelope in events {
            match view.as_mut() {
                None => view = Self::start(envelope),
                Some(existing) => {
                    existing.apply(envelope);
                }
            }
        }
        view
    }

    /// Applies the next event of this itinerary's stream, guarded by its sequence.
    pub fn apply(&mut self, envelope: &ItineraryEnvelope) -> ApplyOutcome {
        if envelope.sequence <= self.version {
            return ApplyOutcome::AlreadyApplied;
        }
        if envelope.sequence != self.version + 1 {
            return ApplyOutcome::Gap;
        }
        let change = ChangeView::of(Some(self), envelope);
        self.version = envelope.sequence;
        self.last_position = envelope.global_position;
        self.last_change = Some(change);
        match &envelope.payload {
            // A second creation cannot be stored (the aggregate refuses it); ignore defensively.
            ItineraryEvent::ItineraryCreated { .. } => {}
            ItineraryEvent::ItineraryUpdated {
                details,
                updated_at,
            } => {
                self.title = details.title.clone();
                self.start_date = details.start_date;
                self.end_date = details.end_date;
                self.visibility = details.visibility;
                self.base_currency = details.base_currency.clone();
                self.updated_at = *updated_at;
            }
            ItineraryEvent::ItineraryDeleted { deleted_at } => {
                self.deleted = true;
                self.items.clear();
                self.updated_at = *deleted_at;
            }
            ItineraryEvent::ItineraryItemAdded {
                item_id,
                details,
                added_at,
            } => {
                self.items.push(ItemView::new(*item_id, details));
                self.updated_at = *added_at;
            }
            ItineraryEvent::ItineraryItemUpdated {
                item_id,
                details,
                updated_at,
            } => {
                if let Some(item) = self.items.iter_mut().find(|item| item.id == *item_id) {
                    *item = ItemView::new(*item_id, details);
                }
                self.updated_at = *updated_at;
            }
            ItineraryEvent::ItineraryItemDeleted {
                item_id,
                deleted_at,
            } => {
                self.items.retain(|item| item.id != *item_id);
                self.updated_at = *deleted_at;
            }
            ItineraryEvent::ItineraryItemsReordered {
                item_ids,
                reordered_at,
            } => {
                let mut reordered = Vec::with_capacity(self.items.len());
                for id in item_ids {
                    if let Some(index) = self.items.iter().position(|item| item.id == *id) {
                        reordered.push(self.items.swap_remove(index));
                    }
                }
                // Anything the event did not name keeps its relative place at the end.
                reordered.append(&mut self.items);
                self.items = reordered;
                self.updated_at = *reordered_at;
            }
            ItineraryEvent::ItineraryStatusChanged { status, changed_at } => {
                self.status = *status;
                self.updated_at = *changed_at;
            }
            ItineraryEvent::CollaboratorInvited {
                user_id,
                access_level,
                invited_by,
                invited_at,
            } => {
                self.collaborators.retain(|c| c.user_id != *user_id);
                self.collaborators.push(CollaboratorView {
                    user_id: *user_id,
                    access_level: *access_level,
                    accepted: false,
                    invited_by: *invited_by,
                    invited_at: *invited_at,
                });
                self.updated_at = *invited_at;
            }
            ItineraryEvent::InvitationAccepted {
                user_id,
                accepted_at,
            } => {
                if let Some(c) = self.collaborator_mut(*user_id) {
                    c.accepted = true;
                }
                self.updated_at = *accepted_at;
            }
            ItineraryEvent::CollaboratorAccessUpdated {
                user_id,
                access_level,
                updated_at,
            } => {
                if let Some(c) = self.collaborator_mut(*user_id) {
                    c.access_level = *access_level;
                }
                self.updated_at = *updated_at;
            }
            ItineraryEvent::InvitationDeclined {
                user_id,
                declined_at: at,
            }
            | ItineraryEvent::CollaboratorRemoved {
                user_id,
                removed_at: at,
            }
            | ItineraryEvent::CollaboratorLeft {
                user_id,
                left_at: at,
            } => {
                self.collaborators.retain(|c| c.user_id != *user_id);
                self.updated_at = *at;
            }
            ItineraryEvent::OwnershipTransferred {
                previous_owner_id,
                new_owner_id,
                transferred_at,
            } => {
                self.collaborators.retain(|c| c.user_id != *new_owner_id);
                self.collaborators.push(CollaboratorView {
                    user_id: *previous_owner_id,
                    access_level: AccessLevel::Edit,
                    accepted: true,
                    invited_by: *new_owner_id,
                    invited_at: *transferred_at,
                });
                self.owner_id = *new_owner_id;
                self.updated_at = *transferred_at;
            }
            // Comments and money live in their own models; a restore's marker changes
            // nothing itself.
            ItineraryEvent::ItemCommentAdded { .. }
            | ItineraryEvent::ItemCommentEdited { .. }
            | ItineraryEvent::ItemCommentDeleted { .. }
            | ItineraryEvent::ExpenseAdded { .. }
            | ItineraryEvent::ExpenseUpdated { .. }
            | ItineraryEvent::ExpenseDeleted { .. }
            | ItineraryEvent::BudgetSet { .. }
            | ItineraryEvent::ItineraryVersionRestored { .. } => {}
        }
        ApplyOutcome::Applied
    }

    fn collaborator_mut(&mut self, user_id: Uuid) -> Option<&mut CollaboratorView> {
        self.collaborators.iter_mut().find(|c| c.user_id == user_id)
    }

    /// How `viewer` stands towards the itinerary (see [`Membership`]).
    pub fn membership(&self, viewer: Option<Uuid>) -> Membership {
        membership(self.owner_id, &self.collaborators, viewer)
    }

    /// Who may read this view (see [`visible`]).
    pub fn visible_to(&self, viewer: Option<Uuid>) -> bool {
        visible(self.visibility, self.deleted, self.membership(viewer))
    }
}

/// How someone stands towards an itinerary, as the read side sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Owner,
    Collaborator(AccessLevel),
    /// Invited at this level, not answered yet.
    Invited(AccessLevel),
    /// Anyone else, signed in or not.
    Outsider,
}

impl Membership {
    /// Members read the itinerary whatever its visibility and its owner's privacy.
    pub fn is_member(self) -> bool {
        self != Membership::Outsider
    }
}

/// How `viewer` stands, from the owner and the collaborators.
pub fn membership(
    owner_id: Uuid,
    collaborators: &[CollaboratorView],
    viewer: Option<Uuid>,
) -> Membership {
    let Some(viewer) = viewer else {
        return Membership::Outsider;
    };
    if viewer == owner_id {
        return Membership::Owner;
    }
    match collaborators.iter().find(|c| c.user_id == viewer) {
        Some(c) if c.accepted => Membership::Collaborator(c.access_level),
        Some(c) => Membership::Invited(c.access_level),
        None => Membership::Outsider,
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;

/// The one rule of who may read an itinerary: nobody once it is deleted; otherwise its
/// owner, collaborators and invitees always, and everyone when it is public. (Outsiders see a
/// public itinerary only as far as its owner's privacy and standing allow, which the API
/// checks on the people model.)
pub fn visible(visibility: Visibility, deleted: bool, membership: Membership) -> bool {
    !deleted && (visibility == Visibility::Public || membership.is_member())
}
