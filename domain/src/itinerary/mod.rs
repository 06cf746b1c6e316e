//! The Itinerary aggregate: a trip with dates and an ordered list of items.
//!
//! Decide and evolve are kept apart ([`Aggregate`]): `decide` checks a command against the
//! current state and returns the events it causes without changing anything; `apply` folds
//! one recorded event into the state and never fails.

mod commands;
mod decide;
mod errors;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::aggregate::Aggregate;

pub use commands::{
    CommandContext, ItemPatch, ItineraryCommand, ItineraryPatch, LocationInput, MoneyInput,
    NewItemDetails, NewItineraryDetails,
};
pub use errors::ItineraryError;
pub use wayfarer_schemas::{
    Category, ItemDetails, ItineraryDetails, ItineraryEvent, ItineraryStatus, Visibility,
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
        }
    }

    fn expected_version(command: &ItineraryCommand) -> Option<u64> {
        command.context().expected_version
    }

    fn creates_new(command: &ItineraryCommand) -> bool {
        matches!(command, ItineraryCommand::Create { .. })
    }
}
