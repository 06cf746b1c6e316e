//! The itinerary detail view and how each event changes it. Pure: every store's projection
//! (PostgreSQL rows, OpenSearch document, Redis cache) is this fold, persisted differently.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wayfarer_schemas::{Category, ItemDetails, ItineraryEvent, Location, MoneyAmount, Visibility};

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
                created_at,
                ..
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
        self.version = envelope.sequence;
        self.last_position = envelope.global_position;
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
        }
        ApplyOutcome::Applied
    }

    /// Who may read this view (see [`visible`]).
    pub fn visible_to(&self, viewer: Option<Uuid>) -> bool {
        visible(self.owner_id, self.visibility, self.deleted, viewer)
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;

/// The one rule of who may read an itinerary: nobody once it is deleted; otherwise its
/// owner always, and everyone when it is public.
pub fn visible(
    owner_id: Uuid,
    visibility: Visibility,
    deleted: bool,
    viewer: Option<Uuid>,
) -> bool {
    !deleted && (visibility == Visibility::Public || viewer == Some(owner_id))
}
