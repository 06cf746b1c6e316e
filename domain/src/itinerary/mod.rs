//! The Itinerary aggregate: a trip with dates and an ordered list of items.
//!
//! Decide and evolve are kept apart ([`Aggregate`]): `decide` checks a command against the
//! current state and returns the events it causes without changing anything; `apply` folds
//! one recorded event into the state and never fails.

pub mod access;
mod collaboration;
mod commands;
pub mod comments;
mod decide;
mod errors;
pub mod expenses;
mod restore;
pub mod status;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::aggregate::Aggregate;

pub use access::{Collaborator, Standing};
pub use commands::{
    CommandContext, ItemPatch, ItineraryCommand, ItineraryPatch, LocationInput, MoneyInput,
    NewItemDetails, NewItineraryDetails,
};
pub use comments::Comment;
pub use errors::ItineraryError;
pub use expenses::{Expense, ExpenseInput};
pub use wayfarer_schemas::{
    AccessLevel, Category, ItemDetails, ItineraryDetails, ItineraryEvent, ItineraryStatus,
    Visibility,
};

/// Most items one itinerary may hold at a time (deleted items do not count).
pub const MAX_ITEMS: usize = 500;

/// The state of one itinerary, rebuilt from its events. `Default` is "not yet created".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Itinerary {
    id: Option<Uuid>,
    owner_id: Option<Uuid>,
    details: Option<ItineraryDetails>,
    status: Option<ItineraryStatus>,
    /// Live items, in their current order.
    items: Vec<Item>,
    /// Ids of deleted items, remembered so they are never reused.
    deleted_item_ids: BTreeSet<Uuid>,
    /// Collaborators and pending invitees.
    #[serde(default)]
    collaborators: BTreeMap<Uuid, Collaborator>,
    /// Every comment ever made on an item, deleted ones included (ids are never reused).
    #[serde(default)]
    comments: BTreeMap<Uuid, Comment>,
    /// Every expense ever added, deleted ones included (ids are never reused).
    #[serde(default)]
    expenses: BTreeMap<Uuid, Expense>,
    /// Budgets per category, in the base currency when each was set.
    #[serde(default)]
    budgets: BTreeMap<Category, wayfarer_schemas::MoneyAmount>,
    deleted: bool,
    version: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    id: Uuid,
    details: ItemDetails,
}

impl Itinerary {
    /// Number of events applied.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn id(&self) -> Option<Uuid> {
        self.id
    }

    pub fn owner_id(&self) -> Option<Uuid> {
        self.owner_id
    }

    pub fn is_created(&self) -> bool {
        self.details.is_some()
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// The current details; `None` until created. A deleted itinerary keeps its last details.
    pub fn details(&self) -> Option<&ItineraryDetails> {
        self.details.as_ref()
    }

    /// Ids of the live items, in their current order.
    pub fn item_ids(&self) -> Vec<Uuid> {
        self.items.iter().map(|item| item.id).collect()
    }

    /// The details of a live item.
    pub fn item(&self, item_id: Uuid) -> Option<&ItemDetails> {
        self.live_item(item_id).map(|item| &item.details)
    }

    /// The live items with their details, in their current order.
    pub fn items(&self) -> impl Iterator<Item = (Uuid, &ItemDetails)> {
        self.items.iter().map(|item| (item.id, &item.details))
    }

    /// Where the itinerary stands in its life; `None` until created.
    pub fn status(&self) -> Option<ItineraryStatus> {
        self.status
    }

    /// Collaborators and pending invitees, by user id.
    pub fn collaborators(&self) -> &BTreeMap<Uuid, Collaborator> {
        &self.collaborators
    }

    /// Every comment made on an item, deleted ones included.
    pub fn comments(&self) -> &BTreeMap<Uuid, Comment> {
        &self.comments
    }

    /// How `user` stands towards the itinerary.
    pub fn standing_of(&self, user: Uuid) -> Standing {
        if self.owner_id == Some(user) {
            return Standing::Owner;
        }
        match self.collaborators.get(&user) {
            Some(c) if c.accepted => Standing::Collaborator(c.access_level),
            Some(c) => Standing::Invited(c.access_level),
            None => Standing::Outsider,
        }
    }

    /// Puts the live items in the order of `new_order`. Unknown or repeated ids are skipped and
    /// items the order leaves out keep their relative order at the end.
    fn reorder(&mut self, new_order: &[Uuid]) {
        let mut remaining = std::mem::take(&mut self.items);
        let mut reordered = Vec::with_capacity(remaining.len());
        for item_id in new_order {
            if let Some(position) = remaining.iter().position(|item| item.id == *item_id) {
                reordered.push(remaining.remove(position));
            }
        }
        reordered.extend(remaining);
        self.items = reordered;
    }

    fn live_item(&self, item_id: Uuid) -> Option<&Item> {
        self.items.iter().find(|item| item.id == item_id)
    }

    fn live_item_mut(&mut self, item_id: Uuid) -> Option<&mut Item> {
        self.items.iter_mut().find(|item| item.id == item_id)
    }

    /// Whether the id belongs to a live item or to one deleted earlier.
    fn has_ever_had_item(&self, item_id: Uuid) -> bool {
        self.live_item(item_id).is_some() || self.deleted_item_ids.contains(&item_id)
    }
}

impl Aggregate for Itinerary {
    const TYPE: &'static str = wayfarer_schemas::itinerary::AGGREGATE_TYPE;
    type Command = ItineraryCommand;
    type Event = ItineraryEvent;
    type Error = ItineraryError;

    fn decide(&self, command: ItineraryCommand) -> Result<Vec<ItineraryEvent>, ItineraryError> {
        self.decide_command(command)
    }

    /// Evolve: apply one event. Events are facts, so this never fails; an event that does not
    /// fit the state (which `handle` never produces) is absorbed as harmlessly as possible.
    fn apply(&mut self, event: &ItineraryEvent) {
        self.version += 1;
        match event {
            ItineraryEvent::ItineraryCreated {
                itinerary_id,
                owner_id,
                details,
                status,
                ..
            } => {
                self.id = Some(*itinerary_id);
                self.owner_id = Some(*owner_id);
                self.details = Some(details.clone());
                self.status = Some(*status);
            }
            ItineraryEvent::ItineraryUpdated { details, .. } => {
                self.details = Some(details.clone());
            }
            ItineraryEvent::ItineraryDeleted { .. } => self.deleted = true,
            ItineraryEvent::ItineraryItemAdded {
                item_id, details, ..
            } => match self.live_item_mut(*item_id) {
                Some(item) => item.details = details.clone(),
                None => {
                    self.deleted_item_ids.remove(item_id);
                    self.items.push(Item {
                        id: *item_id,
                        details: details.clone(),
                    });
                }
            },
            ItineraryEvent::ItineraryItemUpdated {
                item_id, details, ..
            } => {
                if let Some(item) = self.live_item_mut(*item_id) {
                    item.details = details.clone();
                }
            }
            ItineraryEvent::ItineraryItemDeleted { item_id, .. } => {
                self.items.retain(|item| item.id != *item_id);
                self.deleted_item_ids.insert(*item_id);
            }
            ItineraryEvent::ItineraryItemsReordered { item_ids, .. } => self.reorder(item_ids),
            ItineraryEvent::ItineraryStatusChanged { status, .. } => self.status = Some(*status),
            ItineraryEvent::CollaboratorInvited {
                user_id,
                access_level,
                ..
            } => {
                self.collaborators.insert(
                    *user_id,
                    Collaborator {
                        access_level: *access_level,
                        accepted: false,
                    },
                );
            }
            ItineraryEvent::InvitationAccepted { user_id, .. } => {
                if let Some(collaborator) = self.collaborators.get_mut(user_id) {
                    collaborator.accepted = true;
                }
            }
            ItineraryEvent::CollaboratorAccessUpdated {
                user_id,
                access_level,
                ..
            } => {
                if let Some(collaborator) = self.collaborators.get_mut(user_id) {
                    collaborator.access_level = *access_level;
                }
            }
            ItineraryEvent::InvitationDeclined { user_id, .. }
            | ItineraryEvent::CollaboratorRemoved { user_id, .. }
            | ItineraryEvent::CollaboratorLeft { user_id, .. } => {
                self.collaborators.remove(user_id);
            }
            ItineraryEvent::OwnershipTransferred {
                previous_owner_id,
                new_owner_id,
                ..
            } => {
                self.collaborators.remove(new_owner_id);
                self.collaborators.insert(
                    *previous_owner_id,
                    Collaborator {
                        access_level: AccessLevel::Edit,
                        accepted: true,
                    },
                );
                self.owner_id = Some(*new_owner_id);
            }
            ItineraryEvent::ItemCommentAdded {
                comment_id,
                item_id,
                author_id,
                text,
                ..
            } => {
                self.comments.insert(
                    *comment_id,
                    Comment {
                        item_id: *item_id,
                        author_id: *author_id,
                        text: text.clone(),
                        deleted: false,
                    },
                );
            }
            ItineraryEvent::ItemCommentEdited {
                comment_id, text, ..
            } => {
                if let Some(comment) = self.comments.get_mut(comment_id) {
                    comment.text = text.clone();
                }
            }
            ItineraryEvent::ItemCommentDeleted { comment_id, .. } => {
                if let Some(comment) = self.comments.get_mut(comment_id) {
                    comment.deleted = true;
                    comment.text.clear();
                }
            }
            ItineraryEvent::ItineraryVersionRestored { .. } => {}
            ItineraryEvent::ExpenseAdded {
                expense_id,
                item_id,
                details,
                ..
            } => {
                self.expenses.insert(
                    *expense_id,
                    Expense {
                        item_id: *item_id,
                        details: details.clone(),
                        deleted: false,
                    },
                );
            }
            ItineraryEvent::ExpenseUpdated {
                expense_id,
                details,
                ..
            } => {
                if let Some(expense) = self.expenses.get_mut(expense_id) {
                    expense.details = details.clone();
                }
            }
            ItineraryEvent::ExpenseDeleted { expense_id, .. } => {
                if let Some(expense) = self.expenses.get_mut(expense_id) {
                    expense.deleted = true;
                }
            }
            ItineraryEvent::BudgetSet {
                category, amount, ..
            } => match amount {
                Some(amount) => {
                    self.budgets.insert(*category, amount.clone());
                }
                None => {
                    self.budgets.remove(category);
                }
            },
        }
    }

    fn expected_version(command: &ItineraryCommand) -> Option<u64> {
        command.context().expected_version
    }

    fn creates_new(command: &ItineraryCommand) -> bool {
        matches!(
            command,
            ItineraryCommand::Create { .. } | ItineraryCommand::CreateWithItems { .. }
        )
    }

    /// The state serialised as it is; bump on any change to the fields above.
    const SNAPSHOT_FORMAT: Option<&'static str> = Some("itinerary-4");

    fn to_snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    fn from_snapshot(snapshot: serde_json::Value) -> Option<Self> {
        serde_json::from_value(snapshot).ok()
    }
}
