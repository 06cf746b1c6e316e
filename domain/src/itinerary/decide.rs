//! Decide: check a command against the current state and say which event it causes.
//!
//! Checks run in a fixed order so callers see the most fundamental problem first: existence,
//! deletion, ownership, expected version, then the input itself.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;
use wayfarer_schemas::{
    AccessLevel, ItemDetails, ItineraryDetails, ItineraryEvent, ItineraryStatus, Visibility,
};

use crate::values::{CurrencyCode, DateRange, Description, Location, Money, TimeSpan, Title};

use super::access::{Needs, Standing};
use super::{
    CommandContext, ItemPatch, Itinerary, ItineraryCommand, ItineraryError, ItineraryPatch,
    NewItemDetails, NewItineraryDetails, MAX_ITEMS,
};

impl Itinerary {
    /// Decide: validate the command against the current state; never mutates. An accepted
    /// command yields exactly one event, to be recorded and then applied.
    pub(super) fn decide_command(
        &self,
        command: ItineraryCommand,
    ) -> Result<Vec<ItineraryEvent>, ItineraryError> {
        let event = match command {
            ItineraryCommand::CreateWithItems {
                context,
                itinerary_id,
                details,
                items,
            } => return self.decide_create_with_items(&context, itinerary_id, details, items),
            ItineraryCommand::ShareItinerary { context, user_ids } => {
                return self.decide_share(&context, user_ids)
            }
            ItineraryCommand::RestoreVersion {
                context,
                version,
                past,
            } => return self.decide_restore(&context, version, &past),
            ItineraryCommand::Create {
                context,
                itinerary_id,
                details,
            } => self.decide_create(&context, itinerary_id, details),
            ItineraryCommand::Update { context, details } => self.decide_update(&context, details),
            ItineraryCommand::Delete { context } => self.decide_delete(&context),
            ItineraryCommand::AddItem {
                context,
                item_id,
                details,
            } => self.decide_add_item(&context, item_id, details),
            ItineraryCommand::UpdateItem {
                context,
                item_id,
                details,
            } => self.decide_update_item(&context, item_id, details),
            ItineraryCommand::DeleteItem { context, item_id } => {
                self.decide_delete_item(&context, item_id)
            }
            ItineraryCommand::ReorderItems { context, item_ids } => {
                self.decide_reorder_items(&context, item_ids)
            }
            other => self.decide_collaboration(other),
        }?;
        Ok(vec![event])
    }

    fn decide_create(
        &self,
        context: &CommandContext,
        itinerary_id: Uuid,
        input: NewItineraryDetails,
    ) -> Result<ItineraryEvent, ItineraryError> {
        if self.is_created() {
            return Err(ItineraryError::AlreadyExists);
        }
        self.check_expected_version(context)?;
        let (details, _trip) = validated_itinerary_details(input)?;
        Ok(ItineraryEvent::ItineraryCreated {
            itinerary_id,
            owner_id: context.actor,
            details,
            status: ItineraryStatus::Draft,
            created_at: context.now,
        })
    }

    fn decide_create_with_items(
        &self,
        context: &CommandContext,
        itinerary_id: Uuid,
        input: NewItineraryDetails,
        items: Vec<(Uuid, NewItemDetails)>,
    ) -> Result<Vec<ItineraryEvent>, ItineraryError> {
        let created = self.decide_create(context, itinerary_id, input)?;
        let ItineraryEvent::ItineraryCreated { details, .. } = &created else {
            unreachable!("a creation is decided as ItineraryCreated")
        };
        if items.len() > MAX_ITEMS {
            return Err(ItineraryError::TooManyItems);
        }
        let trip = trip_of(details)?;
        let mut seen = BTreeSet::new();
        let mut events = vec![created.clone()];
        for (item_id, input) in items {
            if !seen.insert(item_id) {
                return Err(ItineraryError::DuplicateItem(item_id));
            }
            events.push(ItineraryEvent::ItineraryItemAdded {
                item_id,
                details: validated_item_details(input, &trip)?,
                added_at: context.now,
            });
        }
        Ok(events)
    }

    fn decide_update(
        &self,
        context: &CommandContext,
        patch: ItineraryPatch,
    ) -> Result<ItineraryEvent, ItineraryError> {
        let current = self.editable_details(context)?;
        let (details, trip) =
            validated_itinerary_details(patch.merge_into(current.clone().into()))?;
        if details == *current {
            return Err(ItineraryError::NothingToChange);
        }
        if details.visibility != current.visibility && !Needs::Owner.met_by(self.standing(context))
        {
            return Err(ItineraryError::Forbidden);
        }
        if self
            .items
            .iter()
            .any(|item| !item_fits_trip(&item.details, &trip))
        {
            return Err(ItineraryError::ItemsOutsideNewDates);
        }
        Ok(ItineraryEvent::ItineraryUpdated {
            details,
            updated_at: context.now,
        })
    }

    fn decide_delete(&self, context: &CommandContext) -> Result<ItineraryEvent, ItineraryError> {
        self.require(context, Needs::Owner)?;
        Ok(ItineraryEvent::ItineraryDeleted {
            deleted_at: context.now,
        })
    }

    fn decide_add_item(
        &self,
        context: &CommandContext,
        item_id: Uuid,
        input: NewItemDetails,
    ) -> Result<ItineraryEvent, ItineraryError> {
        let current = self.editable_details(context)?;
        if self.has_ever_had_item(item_id) {
            return Err(ItineraryError::DuplicateItem(item_id));
        }
        if self.items.len() >= MAX_ITEMS {
            return Err(ItineraryError::TooManyItems);
        }
        let details = validated_item_details(input, &trip_of(current)?)?;
        Ok(ItineraryEvent::ItineraryItemAdded {
            item_id,
            details,
            added_at: context.now,
        })
    }

    fn decide_update_item(
        &self,
        context: &CommandContext,
        item_id: Uuid,
        patch: ItemPatch,
    ) -> Result<ItineraryEvent, ItineraryError> {
        let current = self.editable_details(context)?;
        let item = self
            .live_item(item_id)
            .ok_or(ItineraryError::ItemNotFound(item_id))?;
        let merged = patch.merge_into(item.details.clone().into());
        let details = validated_item_details(merged, &trip_of(current)?)?;
        if details == item.details {
            return Err(ItineraryError::NothingToChange);
        }
        Ok(ItineraryEvent::ItineraryItemUpdated {
            item_id,
            details,
            updated_at: context.now,
        })
    }

    fn decide_delete_item(
        &self,
        context: &CommandContext,
        item_id: Uuid,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.editable_details(context)?;
        if self.live_item(item_id).is_none() {
            return Err(ItineraryError::ItemNotFound(item_id));
        }
        Ok(ItineraryEvent::ItineraryItemDeleted {
            item_id,
            deleted_at: context.now,
        })
    }

    fn decide_reorder_items(
        &self,
        context: &CommandContext,
        item_ids: Vec<Uuid>,
    ) -> Result<ItineraryEvent, ItineraryError> {
        self.editable_details(context)?;
        let proposed: BTreeSet<Uuid> = item_ids.iter().copied().collect();
        let current: BTreeSet<Uuid> = self.items.iter().map(|item| item.id).collect();
        let is_permutation = proposed.len() == item_ids.len() && proposed == current;
        if !is_permutation {
            return Err(ItineraryError::NotAPermutation);
        }
        Ok(ItineraryEvent::ItineraryItemsReordered {
            item_ids,
            reordered_at: context.now,
        })
    }

    /// The checks of commands that change the content: the actor is the owner or an EDIT
    /// collaborator (see [`Itinerary::require`]). Returns the current details.
    pub(super) fn editable_details(
        &self,
        context: &CommandContext,
    ) -> Result<&ItineraryDetails, ItineraryError> {
        self.require(context, Needs::AtLeast(AccessLevel::Edit))
    }

    /// The checks every command but `Create` shares, in order: the itinerary exists; the actor
    /// may see it (someone who may not, because it is private or deleted, is told it does not
    /// exist, exactly as for a missing one); it is not deleted; the actor's standing meets
    /// `needs` (else only "forbidden"); it is at the expected version. Returns its details.
    pub(super) fn require(
        &self,
        context: &CommandContext,
        needs: Needs,
    ) -> Result<&ItineraryDetails, ItineraryError> {
        let details = self.details.as_ref().ok_or(ItineraryError::NotFound)?;
        let standing = self.standing(context);
        let owner = standing == Standing::Owner;
        let seen = owner
            || (!self.deleted
                && (standing.is_member() || details.visibility == Visibility::Public));
        if !seen {
            return Err(ItineraryError::NotFound);
        }
        if self.deleted {
            return Err(ItineraryError::Deleted);
        }
        if !needs.met_by(standing) {
            return Err(ItineraryError::Forbidden);
        }
        self.check_expected_version(context)?;
        Ok(details)
    }

    pub(super) fn standing(&self, context: &CommandContext) -> Standing {
        self.standing_of(context.actor)
    }

    pub(super) fn check_expected_version(
        &self,
        context: &CommandContext,
    ) -> Result<(), ItineraryError> {
        match context.expected_version {
            Some(expected) if expected != self.version => Err(ItineraryError::VersionMismatch {
                expected,
                actual: self.version,
            }),
            _ => Ok(()),
        }
    }
}

/// Validates raw itinerary details field by field, in the order the fields are declared.
fn validated_itinerary_details(
    input: NewItineraryDetails,
) -> Result<(ItineraryDetails, DateRange), ItineraryError> {
    let title = Title::parse(&input.title)?;
    let trip = DateRange::new(input.start_date, input.end_date)?;
    let base_currency = CurrencyCode::parse(&input.base_currency)?;
    let details = ItineraryDetails {
        title: title.into_inner(),
        start_date: trip.start(),
        end_date: trip.end(),
        visibility: input.visibility,
        base_currency: base_currency.into_inner(),
    };
    Ok((details, trip))
}

/// Validates raw item details, including that the item lies within `trip`.
pub(super) fn validated_item_details(
    input: NewItemDetails,
    trip: &DateRange,
) -> Result<ItemDetails, ItineraryError> {
    let title = Title::parse(&input.title)?;
    let description = Description::parse_optional(input.description.as_deref())?;
    let span = TimeSpan::new(input.start_time, input.end_time)?;
    if !trip.contains_span(&span) {
        return Err(ItineraryError::ItemOutsideTrip);
    }
    let location = input.location.map(Location::try_from).transpose()?;
    let estimated_cost = input.estimated_cost.map(Money::try_from).transpose()?;
    Ok(ItemDetails {
        title: title.into_inner(),
        description: description.map(Description::into_inner),
        start_time: span.start(),
        end_time: span.end(),
        location: location.map(Into::into),
        category: input.category,
        estimated_cost: estimated_cost.map(Into::into),
    })
}

/// The trip dates of recorded details (valid, since only validated details are recorded).
pub(super) fn trip_of(details: &ItineraryDetails) -> Result<DateRange, ItineraryError> {
    Ok(DateRange::new(details.start_date, details.end_date)?)
}

fn item_fits_trip(item: &ItemDetails, trip: &DateRange) -> bool {
    let on_trip = |time: DateTime<Utc>| trip.contains(time.date_naive());
    on_trip(item.start_time) && on_trip(item.end_time)
}
