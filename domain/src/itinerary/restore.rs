//! Decide `RestoreVersion`: the events that bring an earlier version's content back, after a
//! marker naming the version. Nothing is rewritten; the log gains the changes.
//!
//! Content is the details (but the visibility, which only the owner changes), the items and
//! their order. The status, the collaborators and the comments stay as they are now: they are
//! who works on the trip and where it stands, not what it holds.

use std::collections::BTreeSet;

use uuid::Uuid;
use wayfarer_schemas::{AccessLevel, ItineraryDetails, ItineraryEvent};

use super::access::Needs;
use super::{CommandContext, Itinerary, ItineraryError};

impl Itinerary {
    pub(super) fn decide_restore(
        &self,
        context: &CommandContext,
        version: u64,
        past: &Itinerary,
    ) -> Result<Vec<ItineraryEvent>, ItineraryError> {
        let current = self.require(context, Needs::AtLeast(AccessLevel::Edit))?;
        let same_itinerary = past.id == self.id && past.version == version;
        if version == 0 || version >= self.version || !same_itinerary || past.deleted {
            return Err(ItineraryError::NoSuchVersion(version));
        }
        let past_details = past
            .details
            .as_ref()
            .ok_or(ItineraryError::NoSuchVersion(version))?;
        let now = context.now;
        let mut changes = Vec::new();
        let past_ids: BTreeSet<Uuid> = past.items.iter().map(|item| item.id).collect();
        for item in self
            .items
            .iter()
            .filter(|item| !past_ids.contains(&item.id))
        {
            changes.push(ItineraryEvent::ItineraryItemDeleted {
                item_id: item.id,
                deleted_at: now,
            });
        }
        let details = ItineraryDetails {
            visibility: current.visibility,
            ..past_details.clone()
        };
        if details != *current {
            changes.push(ItineraryEvent::ItineraryUpdated {
                details,
                updated_at: now,
            });
        }
        for item in &past.items {
            match self.live_item(item.id) {
                Some(live) if live.details == item.details => {}
                Some(_) => changes.push(ItineraryEvent::ItineraryItemUpdated {
                    item_id: item.id,
                    details: item.details.clone(),
                    updated_at: now,
                }),
                None => changes.push(ItineraryEvent::ItineraryItemAdded {
                    item_id: item.id,
                    details: item.details.clone(),
                    added_at: now,
                }),
            }
        }
        // Kept items stay in their current order and added ones follow: reorder if that is
        // not the past order.
        let mut order: Vec<Uuid> = self
            .items
            .iter()
            .map(|item| item.id)
            .filter(|id| past_ids.contains(id))
            .collect();
        order.extend(
            past.items
                .iter()
                .map(|item| item.id)
                .filter(|id| self.live_item(*id).is_none()),
        );
        let past_order: Vec<Uuid> = past.item_ids();
        if order != past_order {
            changes.push(ItineraryEvent::ItineraryItemsReordered {
                item_ids: past_order,
                reordered_at: now,
            });
        }
        if changes.is_empty() {
            return Err(ItineraryError::NothingToChange);
        }
        changes.insert(
            0,
            ItineraryEvent::ItineraryVersionRestored {
                version,
                restored_at: now,
            },
        );
        Ok(changes)
    }
}
