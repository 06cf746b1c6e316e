//! Hotel offers: one room for a stay, each room type of each hotel in the city, with the
//! fewest rooms free on any night of the stay.

use chrono::{DateTime, NaiveDate, Utc};

use super::{check_party, check_travel_date, city, city_ref, policy, Quote, SupplierContext};
use crate::api::{
    CancellationPolicy, HotelOffer, HotelSearch, OfferSummary, ProductKind, RoomType,
};
use crate::catalogue::hotels::{
    check_in_at, check_out_at, hotel_by_id, hotels_in, max_guests, rooms_per_night, Hotel,
    MAX_NIGHTS,
};
use crate::error::ApiError;
use crate::hashing::StableHash;
use crate::inventory::{Claim, Inventory, InventoryUnit};
use crate::offer_id::{OfferId, OfferProduct};
use crate::pricing::{hotel_nightly_rate, JITTER_MAX, JITTER_MIN};

/// Most guests any room sleeps (a suite).
const MAX_GUESTS: u8 = 4;
/// Free cancellation until this long before check-in, then this share back.
const FREE_CANCELLATION_HOURS: i64 = 48;
const REFUND_PERCENT_AFTER: u8 = 50;

/// A stay: from check-in to check-out, at least one night.
#[derive(Debug, Clone, Copy)]
struct Stay {
    check_in: NaiveDate,
    check_out: NaiveDate,
}

impl Stay {
    fn nights(self) -> impl Iterator<Item = NaiveDate> {
        let check_out = self.check_out;
        self.check_in
            .iter_days()
            .take_while(move |night| *night < check_out)
    }

    fn night_count(&self) -> u32 {
        (self.check_out - self.check_in).num_days().max(0) as u32
    }

    fn is_valid(&self) -> bool {
        (1..=MAX_NIGHTS).contains(&self.night_count())
    }
}

struct HotelTerms {
    nightly: i64,
    total: i64,
    claims: Vec<Claim>,
    policy: CancellationPolicy,
}

fn terms(
    context: &SupplierContext<'_>,
    hotel: &Hotel<'_>,
    room_type: RoomType,
    stay: Stay,
) -> HotelTerms {
    let supplier = context.supplier.name.as_str();
    let jitter = StableHash::new("hotel-jitter")
        .u64(context.seed)
        .str(supplier)
        .str(&hotel.id)
        .str(room_type.as_str())
        .date(stay.check_in)
        .pick(JITTER_MIN, JITTER_MAX) as u32;
    let nightly = hotel_nightly_rate(
        hotel.city.population,
        room_type,
        context.supplier.price_factor,
        jitter,
    );
    let claims = stay
        .nights()
        .map(|night| Claim {
            unit: InventoryUnit::HotelRoomNight {
                supplier: supplier.to_owned(),
                hotel_id: hotel.id.clone(),
                room_type,
                night,
            },
            quantity: 1,
            capacity: rooms_per_night(context.seed, supplier, &hotel.id, room_type, night),
        })
        .collect();
    HotelTerms {
        nightly,
        total: nightly * i64::from(stay.night_count()),
        claims,
        policy: policy(
            check_in_at(hotel.city, stay.check_in),
            FREE_CANCELLATION_HOURS,
            REFUND_PERCENT_AFTER,
        ),
    }
}

/// Every room type that sleeps the party, in every hotel of the city, with a room free on
/// every night of the stay.
pub fn search_hotels(
    context: SupplierContext<'_>,
    query: &HotelSearch,
    now: DateTime<Utc>,
    inventory: &Inventory,
) -> Result<Vec<HotelOffer>, ApiError> {
    check_party(query.guests, "guests", MAX_GUESTS)?;
    let city = city(&context, query.city)?;
    let today = now.date_naive();
    check_travel_date(query.check_in, today)?;
    let stay = Stay {
        check_in: query.check_in,
        check_out: query.check_out,
    };
    if !stay.is_valid() {
        return Err(ApiError::InvalidDate(format!(
            "checkOut must be 1 to {MAX_NIGHTS} nights after checkIn"
        )));
    }

    let mut offers = Vec::new();
    for hotel in hotels_in(city) {
        for room_type in RoomType::ALL {
            if max_guests(room_type) < query.guests {
                continue;
            }
            let terms = terms(&context, &hotel, room_type, stay);
            let rooms_left = terms
                .claims
                .iter()
                .map(|claim| inventory.available(&claim.unit, claim.capacity))
                .min()
                .unwrap_or(0);
            if rooms_left == 0 {
                continue;
            }
            let product = OfferProduct::Hotel {
                hotel_id: hotel.id.clone(),
                room_type,
                check_in: stay.check_in,
                check_out: stay.check_out,
                guests: query.guests,
            };
            offers.push(HotelOffer {
                offer_id: context.offer_id(product, today),
                supplier: context.supplier.name.clone(),
                hotel_id: hotel.id.clone(),
                hotel_name: hotel.name.clone(),
                city: city_ref(city),
                latitude: hotel.location.latitude,
                longitude: hotel.location.longitude,
                room_type,
                check_in: stay.check_in,
                check_out: stay.check_out,
                nights: stay.night_count(),
                guests: query.guests,
                nightly_price: context.money(terms.nightly),
                total_price: context.money(terms.total),
                rooms_left,
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
    let OfferProduct::Hotel {
        hotel_id,
        room_type,
        check_in,
        check_out,
        guests,
    } = &offer.product
    else {
        return Err(ApiError::UnknownOffer);
    };
    let hotel = hotel_by_id(context.reference, hotel_id).ok_or(ApiError::UnknownOffer)?;
    let stay = Stay {
        check_in: *check_in,
        check_out: *check_out,
    };
    if !stay.is_valid() || !(1..=max_guests(*room_type)).contains(guests) {
        return Err(ApiError::UnknownOffer);
    }
    if *check_in < now.date_naive() {
        return Err(ApiError::OfferExpired);
    }
    let terms = terms(&context, &hotel, *room_type, stay);
    Ok(Quote {
        kind: ProductKind::Hotel,
        price: context.money(terms.total),
        summary: OfferSummary {
            title: format!("{}, {} room", hotel.name, room_type.as_str().to_lowercase()),
            starts_at: check_in_at(hotel.city, stay.check_in),
            ends_at: check_out_at(hotel.city, stay.check_out),
            place_name: hotel.city.name.clone(),
            latitude: hotel.location.latitude,
            longitude: hotel.location.longitude,
        },
        party_size: *guests,
        claims: terms.claims,
        policy: terms.policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stay_counts_its_nights_from_check_in_to_the_night_before_check_out() {
        let stay = Stay {
            check_in: NaiveDate::from_ymd_opt(2026, 12, 30).unwrap(),
            check_out: NaiveDate::from_ymd_opt(2027, 1, 2).unwrap(),
        };
        let nights: Vec<_> = stay.nights().map(|night| night.to_string()).collect();
        assert_eq!(nights, ["2026-12-30", "2026-12-31", "2027-01-01"]);
        assert_eq!(stay.night_count(), 3);
        assert!(stay.is_valid());
        let backwards = Stay {
            check_in: stay.check_out,
            check_out: stay.check_in,
        };
        assert!(!backwards.is_valid());
    }
}
