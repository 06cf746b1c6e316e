//! Given/when/then tests of the reservation life cycle, with no IO: time is passed in.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::*;
use crate::api::{CancellationPolicy, CurrencyCode, OfferSummary, ProductKind, Traveller};
use crate::inventory::InventoryUnit;

const SUPPLIER: &str = "skyhop";
const HOLD: Duration = Duration::from_secs(60);

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn seat() -> Claim {
    Claim {
        unit: InventoryUnit::FlightSeats {
            supplier: SUPPLIER.into(),
            origin: "LHR".into(),
            destination: "JFK".into(),
            date: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
            slot: 0,
        },
        quantity: 1,
        capacity: 1,
    }
}

fn quote() -> Quote {
    Quote {
        kind: ProductKind::Flight,
        price: Money::new(10_001, CurrencyCode::USD),
        summary: OfferSummary {
            title: "SK 1 Paris → London (LHR)".into(),
            starts_at: t0() + TimeDelta::days(11),
            ends_at: t0() + TimeDelta::days(11) + TimeDelta::hours(1),
            place_name: "London".into(),
            latitude: 51.47,
            longitude: -0.46,
        },
        party_size: 1,
        claims: vec![seat()],
        policy: CancellationPolicy {
            free_cancellation_until: t0() + TimeDelta::days(10),
            refund_percent_after: 50,
        },
    }
}

fn request(name: &str) -> ReserveRequest {
    ReserveRequest {
        offer_id: "fl.skyhop.LHR.JFK.20270115.0.1.20261130.000000000000".into(),
        travellers: vec![Traveller { name: name.into() }],
    }
}

/// Given bookings, when holding with `key` at `now`.
fn hold(bookings: &mut Bookings, key: &str, now: DateTime<Utc>) -> Result<Reserved, ApiError> {
    bookings.reserve(ReserveCommand {
        supplier: SUPPLIER,
        idempotency_key: key,
        request: &request("Ada"),
        quote: Ok(quote()),
        hold_ttl: HOLD,
        now,
    })
}

#[test]
fn a_hold_that_lapses_becomes_expired_and_gives_its_seat_back() {
    let mut bookings = Bookings::default();
    let held = hold(&mut bookings, "k1", t0()).unwrap().reservation;
    assert_eq!(bookings.inventory().available(&seat().unit, 1), 0);

    let after = t0() + TimeDelta::seconds(61);
    bookings.expire_holds(after);

    let lapsed = bookings.get(SUPPLIER, &held.reservation_id).unwrap();
    assert_eq!(lapsed.status, ReservationStatus::Expired);
    assert_eq!(bookings.inventory().available(&seat().unit, 1), 1);
    assert_eq!(
        bookings.confirm(SUPPLIER, &held.reservation_id, "c1", after),
        Err(ApiError::HoldExpired)
    );
}

#[test]
fn a_confirmed_reservation_is_not_expired_by_its_old_hold_deadline() {
    let mut bookings = Bookings::default();
    let held = hold(&mut bookings, "k1", t0()).unwrap().reservation;
    bookings
        .confirm(SUPPLIER, &held.reservation_id, "c1", t0())
        .unwrap();
    bookings.expire_holds(t0() + TimeDelta::hours(1));
    let confirmed = bookings.get(SUPPLIER, &held.reservation_id).unwrap();
    assert_eq!(confirmed.status, ReservationStatus::Confirmed);
    assert_eq!(bookings.inventory().available(&seat().unit, 1), 0);
}

#[test]
fn cancelling_a_hold_refunds_nothing_and_a_late_cancellation_refunds_half_rounded_down() {
    let mut bookings = Bookings::default();
    let first = hold(&mut bookings, "k1", t0()).unwrap().reservation;
    let cancelled = bookings
        .cancel(SUPPLIER, &first.reservation_id, t0())
        .unwrap();
    assert_eq!(cancelled.refund, Some(Money::new(0, CurrencyCode::USD)));

    let second = hold(&mut bookings, "k2", t0()).unwrap().reservation;
    bookings
        .confirm(SUPPLIER, &second.reservation_id, "c2", t0())
        .unwrap();
    let late = t0() + TimeDelta::days(11);
    let cancelled = bookings
        .cancel(SUPPLIER, &second.reservation_id, late)
        .unwrap();
    assert_eq!(cancelled.refund, Some(Money::new(5_000, CurrencyCode::USD)));
    assert_eq!(bookings.inventory().available(&seat().unit, 1), 1);
}

#[test]
fn a_confirm_key_used_for_another_reservation_is_refused() {
    let mut bookings = Bookings::default();
    let first = hold(&mut bookings, "k1", t0()).unwrap().reservation;
    bookings
        .confirm(SUPPLIER, &first.reservation_id, "c1", t0())
        .unwrap();
    bookings
        .cancel(SUPPLIER, &first.reservation_id, t0())
        .unwrap();
    let second = hold(&mut bookings, "k2", t0()).unwrap().reservation;
    assert_eq!(
        bookings.confirm(SUPPLIER, &second.reservation_id, "c1", t0()),
        Err(ApiError::IdempotencyKeyReused)
    );
}

#[test]
fn a_sold_out_attempt_does_not_use_up_its_idempotency_key() {
    let mut bookings = Bookings::default();
    let first = hold(&mut bookings, "k1", t0()).unwrap().reservation;
    assert_eq!(hold(&mut bookings, "k2", t0()), Err(ApiError::SoldOut));

    bookings
        .cancel(SUPPLIER, &first.reservation_id, t0())
        .unwrap();
    let retried = hold(&mut bookings, "k2", t0()).unwrap();
    assert!(!retried.replayed, "the refused attempt was not remembered");
}
