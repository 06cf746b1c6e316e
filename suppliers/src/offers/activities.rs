//! Activity offers: each session of each activity in the city on a date, for the party.

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    check_party, check_travel_date, city, city_ref, policy, Quote, SupplierContext, MAX_PARTY,
};
use crate::api::{ActivityOffer, ActivitySearch, CancellationPolicy, OfferSummary, ProductKind};
use crate::catalogue::activities::{
    activities_in, activity_by_id, places_per_slot, slot_on, slots_on, Activity, ActivitySlot,
};
use crate::error::ApiError;
use crate::hashing::StableHash;
use crate::inventory::{Claim, Inventory, InventoryUnit};
use crate::offer_id::{OfferId, OfferProduct};
use crate::pricing::{activity_price_per_participant, JITTER_MAX, JITTER_MIN};

/// Free cancellation until this long before the start, then nothing back.
const FREE_CANCELLATION_HOURS: i64 = 24;
const REFUND_PERCENT_AFTER: u8 = 0;

struct ActivityTerms {
    per_participant: i64,
    total: i64,
    claim: Claim,
    policy: CancellationPolicy,
}

fn terms(
    context: &SupplierContext<'_>,
    activity: &Activity<'_>,
    slot: &ActivitySlot,
    date: NaiveDate,
    participants: u8,
) -> ActivityTerms {
    let supplier = context.supplier.name.as_str();
    let jitter = StableHash::new("activity-jitter")
        .u64(context.seed)
        .str(supplier)
        .str(&activity.id)
        .date(date)
        .pick(JITTER_MIN, JITTER_MAX) as u32;
    let per_participant = activity_price_per_participant(
        activity.city.population,
        activity.category,
        context.supplier.price_factor,
        jitter,
    );
    ActivityTerms {
        per_participant,
        total: per_participant * i64::from(participants),
        claim: Claim {
            unit: InventoryUnit::ActivityPlaces {
                supplier: supplier.to_owned(),
                activity_id: activity.id.clone(),
                date,
                slot: slot.slot,
            },
            quantity: u32::from(participants),
            capacity: places_per_slot(context.seed, supplier, activity, date, slot.slot),
        },
        policy: policy(
            slot.starts_at,
            FREE_CANCELLATION_HOURS,
            REFUND_PERCENT_AFTER,
        ),
    }
}

/// The date's sessions that have not started and have places for the whole party.
pub fn search_activities(
    context: SupplierContext<'_>,
    query: &ActivitySearch,
    now: DateTime<Utc>,
    inventory: &Inventory,
) -> Result<Vec<ActivityOffer>, ApiError> {
    check_party(query.participants, "participants", MAX_PARTY)?;
    let city = city(&context, query.city)?;
    let today = now.date_naive();
    check_travel_date(query.date, today)?;

    let mut offers = Vec::new();
    for activity in activities_in(city) {
        for slot in slots_on(&activity, query.date) {
            if slot.starts_at <= now {
                continue;
            }
            let terms = terms(&context, &activity, &slot, query.date, query.participants);
            let capacity_left = inventory.available(&terms.claim.unit, terms.claim.capacity);
            if capacity_left < u32::from(query.participants) {
                continue;
            }
            let product = OfferProduct::Activity {
                activity_id: activity.id.clone(),
                date: query.date,
                slot: slot.slot,
                participants: query.participants,
            };
            offers.push(ActivityOffer {
                offer_id: context.offer_id(product, today),
                supplier: context.supplier.name.clone(),
                activity_id: activity.id.clone(),
                title: activity.title.clone(),
                category: activity.category,
                city: city_ref(city),
                latitude: activity.location.latitude,
                longitude: activity.location.longitude,
                starts_at: slot.starts_at,
                ends_at: slot.ends_at,
                starts_local: slot.starts_local,
                ends_local: slot.ends_local,
                participants: query.participants,
                price_per_participant: context.money(terms.per_participant),
                price: context.money(terms.total),
                capacity_left,
            });
        }
    }
    Ok(offers)
}

pub(super) fn quote(
    context: SupplierContext<'_>,
    offer: &OfferId,
    now: DateTime<Utc>,
) -> Result<Quote, ApiError> {
    let OfferProduct::Activity {
        activity_id,
        date,
        slot,
        participants,
    } = &offer.product
    else {
        return Err(ApiError::UnknownOffer);
    };
    let activity = activity_by_id(context.reference, activity_id).ok_or(ApiError::UnknownOffer)?;
    let slot = slot_on(&activity, *date, *slot).ok_or(ApiError::UnknownOffer)?;
    if !(1..=MAX_PARTY).contains(participants) {
        return Err(ApiError::UnknownOffer);
    }
    if slot.starts_at <= now {
        return Err(ApiError::OfferExpired);
    }
    let terms = terms(&context, &activity, &slot, *date, *participants);
    Ok(Quote {
        kind: ProductKind::Activity,
        price: context.money(terms.total),
        summary: OfferSummary {
            title: activity.title.clone(),
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            place_name: activity.city.name.clone(),
            latitude: activity.location.latitude,
            longitude: activity.location.longitude,
        },
        party_size: *participants,
        claims: vec![terms.claim],
        policy: terms.policy,
    })
}
