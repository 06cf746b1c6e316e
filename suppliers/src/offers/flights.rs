//! Flight offers: the day's schedule on a route, priced for the party, with seats left.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{check_party, check_travel_date, policy, Quote, SupplierContext, MAX_PARTY};
use crate::api::{
    AirportInfo, CancellationPolicy, FlightOffer, FlightSearch, OfferSummary, ProductKind,
};
use crate::catalogue::flights::{flights_on, scheduled_flight, seat_capacity, ScheduledFlight};
use crate::data::Airport;
use crate::error::ApiError;
use crate::hashing::StableHash;
use crate::inventory::{Claim, Inventory, InventoryUnit};
use crate::offer_id::{OfferId, OfferProduct};
use crate::pricing::{flight_fare_per_traveller, FlightFareInputs, JITTER_MAX, JITTER_MIN};

/// Free cancellation until this long before departure, then this share back.
const FREE_CANCELLATION_HOURS: i64 = 72;
const REFUND_PERCENT_AFTER: u8 = 25;

struct FlightTerms {
    per_traveller: i64,
    total: i64,
    claim: Claim,
    policy: CancellationPolicy,
}

fn terms(
    context: &SupplierContext<'_>,
    origin: &Airport,
    destination: &Airport,
    flight: &ScheduledFlight,
    date: NaiveDate,
    travellers: u8,
    quoted_on: NaiveDate,
) -> FlightTerms {
    let supplier = context.supplier.name.as_str();
    let jitter = StableHash::new("flight-jitter")
        .u64(context.seed)
        .str(supplier)
        .str(&origin.iata)
        .str(&destination.iata)
        .date(date)
        .u64(u64::from(flight.slot))
        .pick(JITTER_MIN, JITTER_MAX) as u32;
    let per_traveller = flight_fare_per_traveller(FlightFareInputs {
        distance_km: flight.distance_km,
        supplier_factor: context.supplier.price_factor,
        days_ahead: (date - quoted_on).num_days(),
        weekday: date.weekday(),
        jitter,
    });
    let capacity = seat_capacity(
        context.seed,
        supplier,
        &origin.iata,
        &destination.iata,
        date,
        flight.slot,
    );
    FlightTerms {
        per_traveller,
        total: per_traveller * i64::from(travellers),
        claim: Claim {
            unit: InventoryUnit::FlightSeats {
                supplier: supplier.to_owned(),
                origin: origin.iata.clone(),
                destination: destination.iata.clone(),
                date,
                slot: flight.slot,
            },
            quantity: u32::from(travellers),
            capacity,
        },
        policy: policy(
            flight.departure_at,
            FREE_CANCELLATION_HOURS,
            REFUND_PERCENT_AFTER,
        ),
    }
}

fn airport(context: &SupplierContext<'_>, iata: &str) -> Result<&'static Airport, ApiError> {
    context
        .reference
        .airport(&iata.to_ascii_uppercase())
        .ok_or_else(|| ApiError::UnknownAirport(iata.to_owned()))
}

fn airport_info(airport: &Airport) -> AirportInfo {
    AirportInfo {
        iata: airport.iata.clone(),
        name: airport.name.clone(),
        city: airport.city.clone(),
        country: airport.country.clone(),
        latitude: airport.latitude,
        longitude: airport.longitude,
        timezone: airport.timezone.name().to_owned(),
    }
}

/// The day's flights that have not left yet and have seats for the whole party.
pub fn search_flights(
    context: SupplierContext<'_>,
    query: &FlightSearch,
    now: DateTime<Utc>,
    inventory: &Inventory,
) -> Result<Vec<FlightOffer>, ApiError> {
    check_party(query.travellers, "travellers", MAX_PARTY)?;
    let origin = airport(&context, &query.from)?;
    let destination = airport(&context, &query.to)?;
    if origin.iata == destination.iata {
        return Err(ApiError::InvalidRequest(
            "origin and destination must differ".into(),
        ));
    }
    let today = now.date_naive();
    check_travel_date(query.date, today)?;

    let mut offers = Vec::new();
    for flight in flights_on(origin, destination, query.date) {
        if flight.departure_at <= now {
            continue;
        }
        let terms = terms(
            &context,
            origin,
            destination,
            &flight,
            query.date,
            query.travellers,
            today,
        );
        let seats_left = inventory.available(&terms.claim.unit, terms.claim.capacity);
        if seats_left < u32::from(query.travellers) {
            continue;
        }
        let product = OfferProduct::Flight {
            origin: origin.iata.clone(),
            destination: destination.iata.clone(),
            date: query.date,
            slot: flight.slot,
            travellers: query.travellers,
        };
        offers.push(FlightOffer {
            offer_id: context.offer_id(product, today),
            supplier: context.supplier.name.clone(),
            carrier: flight.carrier.name.to_owned(),
            flight_number: flight.flight_number,
            origin: airport_info(origin),
            destination: airport_info(destination),
            departure_local: flight.departure_local,
            arrival_local: flight.arrival_local,
            departure_at: flight.departure_at,
            arrival_at: flight.arrival_at,
            duration_minutes: flight.duration_minutes,
            distance_km: flight.distance_km,
            travellers: query.travellers,
            price_per_traveller: context.money(terms.per_traveller),
            price: context.money(terms.total),
            seats_left,
        });
    }
    Ok(offers)
}

pub(super) fn quote(
    context: SupplierContext<'_>,
    offer: &OfferId,
    now: DateTime<Utc>,
) -> Result<Quote, ApiError> {
    let OfferProduct::Flight {
        origin,
        destination,
        date,
        slot,
        travellers,
    } = &offer.product
    else {
        return Err(ApiError::UnknownOffer);
    };
    let known = |iata: &str| {
        context
            .reference
            .airport(iata)
            .ok_or(ApiError::UnknownOffer)
    };
    let (origin, destination) = (known(origin)?, known(destination)?);
    if !(1..=MAX_PARTY).contains(travellers) || origin.iata == destination.iata {
        return Err(ApiError::UnknownOffer);
    }
    let flight =
        scheduled_flight(origin, destination, *date, *slot).ok_or(ApiError::UnknownOffer)?;
    if flight.departure_at <= now {
        return Err(ApiError::OfferExpired);
    }
    let terms = terms(
        &context,
        origin,
        destination,
        &flight,
        *date,
        *travellers,
        offer.quoted_on,
    );
    Ok(Quote {
        kind: ProductKind::Flight,
        price: context.money(terms.total),
        summary: OfferSummary {
            title: format!(
                "{} {} → {} ({})",
                flight.flight_number, origin.city, destination.city, destination.iata
            ),
            starts_at: flight.departure_at,
            ends_at: flight.arrival_at,
            place_name: destination.city.clone(),
            latitude: destination.latitude,
            longitude: destination.longitude,
        },
        party_size: *travellers,
        claims: vec![terms.claim],
        policy: terms.policy,
    })
}
