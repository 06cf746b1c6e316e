//! Given/when/then tests of the Itinerary aggregate: given past events, when a command is
//! decided, then expect the events it emits or the error it is rejected with.

mod collaboration;
mod expenses;
mod guards;
mod item_commands;
mod itinerary_commands;
mod model;
mod reorder_and_delete_items;
mod replay;
mod restore;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use super::*;

// ---- the given/when/then kit (shared by every aggregate: `crate::testing`) --------------------

pub(super) use crate::aggregate::{Aggregate, DomainError, ErrorKind};
pub(super) use crate::values::ValueError;
pub(super) use wayfarer_schemas::EventContract;

/// Starts a scenario from the events recorded so far (none for a new itinerary).
pub(super) fn given(
    events: impl IntoIterator<Item = ItineraryEvent>,
) -> crate::testing::Given<Itinerary> {
    crate::testing::given(events)
}

// ---- fixtures --------------------------------------------------------------------------------

pub(super) const OWNER: Uuid = Uuid::from_u128(0x0a);
pub(super) const STRANGER: Uuid = Uuid::from_u128(0x0b);
pub(super) const ITINERARY_ID: Uuid = Uuid::from_u128(0x1000);
pub(super) const ITEM_A: Uuid = Uuid::from_u128(0xa1);
pub(super) const ITEM_B: Uuid = Uuid::from_u128(0xa2);
pub(super) const ITEM_C: Uuid = Uuid::from_u128(0xa3);
pub(super) const UNKNOWN_ITEM: Uuid = Uuid::from_u128(0xff);

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

pub(super) fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
}

/// A day of June 2026; the trip in [`trip_details`] runs from June 1 to June 7.
pub(super) fn june(day: u32) -> NaiveDate {
    date(2026, 6, day)
}

pub(super) fn at(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, minute, 0)
        .expect("valid test time")
        .and_utc()
}

/// The owner acting now, without a version check.
pub(super) fn owner() -> CommandContext {
    CommandContext::new(OWNER, now())
}

pub(super) fn trip_details() -> ItineraryDetails {
    ItineraryDetails {
        title: "Lisbon in June".to_owned(),
        start_date: june(1),
        end_date: june(7),
        visibility: Visibility::Private,
        base_currency: "EUR".to_owned(),
    }
}

pub(super) fn new_trip() -> NewItineraryDetails {
    trip_details().into()
}

/// A two-hour morning item on June 2.
pub(super) fn item_details(title: &str) -> ItemDetails {
    ItemDetails {
        title: title.to_owned(),
        description: None,
        start_time: at(june(2), 9, 0),
        end_time: at(june(2), 11, 0),
        location: None,
        category: Category::Sightseeing,
        estimated_cost: None,
    }
}

pub(super) fn new_item(title: &str) -> NewItemDetails {
    item_details(title).into()
}

// ---- events ----------------------------------------------------------------------------------

pub(super) fn created() -> ItineraryEvent {
    ItineraryEvent::ItineraryCreated {
        itinerary_id: ITINERARY_ID,
        owner_id: OWNER,
        details: trip_details(),
        status: ItineraryStatus::Draft,
        created_at: now(),
    }
}

pub(super) fn item_added(item_id: Uuid, title: &str) -> ItineraryEvent {
    ItineraryEvent::ItineraryItemAdded {
        item_id,
        details: item_details(title),
        added_at: now(),
    }
}

pub(super) fn item_deleted(item_id: Uuid) -> ItineraryEvent {
    ItineraryEvent::ItineraryItemDeleted {
        item_id,
        deleted_at: now(),
    }
}

pub(super) fn deleted() -> ItineraryEvent {
    ItineraryEvent::ItineraryDeleted { deleted_at: now() }
}

/// A created itinerary holding items A, B and C, in that order.
pub(super) fn with_three_items() -> Vec<ItineraryEvent> {
    vec![
        created(),
        item_added(ITEM_A, "Tram 28"),
        item_added(ITEM_B, "Pastéis de Belém"),
        item_added(ITEM_C, "Fado night"),
    ]
}

// ---- commands --------------------------------------------------------------------------------

pub(super) fn create(details: NewItineraryDetails) -> ItineraryCommand {
    ItineraryCommand::Create {
        context: owner(),
        itinerary_id: ITINERARY_ID,
        details,
    }
}

pub(super) fn update(details: ItineraryPatch) -> ItineraryCommand {
    ItineraryCommand::Update {
        context: owner(),
        details,
    }
}

pub(super) fn add_item(item_id: Uuid, details: NewItemDetails) -> ItineraryCommand {
    ItineraryCommand::AddItem {
        context: owner(),
        item_id,
        details,
    }
}

pub(super) fn update_item(item_id: Uuid, details: ItemPatch) -> ItineraryCommand {
    ItineraryCommand::UpdateItem {
        context: owner(),
        item_id,
        details,
    }
}

pub(super) fn delete_item(item_id: Uuid) -> ItineraryCommand {
    ItineraryCommand::DeleteItem {
        context: owner(),
        item_id,
    }
}

pub(super) fn reorder(item_ids: Vec<Uuid>) -> ItineraryCommand {
    ItineraryCommand::ReorderItems {
        context: owner(),
        item_ids,
    }
}

/// One command of every kind except `Create`, each valid against [`with_three_items`] when
/// issued in `context`.
pub(super) fn every_command_but_create(context: CommandContext) -> Vec<ItineraryCommand> {
    let retitle = ItineraryPatch {
        title: Some("Porto instead".to_owned()),
        ..ItineraryPatch::default()
    };
    let retitle_item = ItemPatch {
        title: Some("Tram 15".to_owned()),
        ..ItemPatch::default()
    };
    vec![
        ItineraryCommand::Update {
            context,
            details: retitle,
        },
        ItineraryCommand::Delete { context },
        ItineraryCommand::AddItem {
            context,
            item_id: UNKNOWN_ITEM,
            details: new_item("Sunset at Miradouro"),
        },
        ItineraryCommand::UpdateItem {
            context,
            item_id: ITEM_A,
            details: retitle_item,
        },
        ItineraryCommand::DeleteItem {
            context,
            item_id: ITEM_A,
        },
        ItineraryCommand::ReorderItems {
            context,
            item_ids: vec![ITEM_C, ITEM_B, ITEM_A],
        },
    ]
}
