//! Searching: prices per supplier and currency, determinism, local times, rejections.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use wayfarer_suppliers::api::{
    ActivitySearch, CurrencyCode, HotelSearch, ProductKind, RoomType, SupplierSummary,
};

use crate::helpers::*;

#[tokio::test]
async fn the_supplier_list_names_each_supplier_with_its_currency() {
    let simulator = TestSimulator::quiet(1).await;
    let list = simulator.suppliers.list_suppliers().await.unwrap();
    let expected = [
        ("aerolux", CurrencyCode::EUR),
        ("skyhop", CurrencyCode::USD),
        ("farefox", CurrencyCode::GBP),
    ]
    .map(|(name, currency)| SupplierSummary {
        name: name.into(),
        currency,
    });
    assert_eq!(list, expected);
}

#[tokio::test]
async fn the_three_suppliers_sell_the_same_flights_in_their_own_currencies_at_different_prices() {
    let simulator = TestSimulator::quiet(1).await;
    let search = flight_search("LHR", "JFK", 40, 2);
    let mut by_supplier = Vec::new();
    for supplier in SUPPLIERS {
        by_supplier.push(simulator.flights(supplier, &search).await);
    }
    let [aerolux, skyhop, farefox] = &by_supplier[..] else {
        unreachable!()
    };
    assert_eq!(aerolux.len(), 3, "three flights a day");
    let currencies: BTreeSet<_> = by_supplier
        .iter()
        .map(|offers| offers[0].price.currency)
        .collect();
    assert_eq!(currencies.len(), 3, "EUR, USD and GBP");
    for ((a, s), f) in aerolux.iter().zip(skyhop).zip(farefox) {
        assert_eq!(
            a.flight_number, s.flight_number,
            "the same flight everywhere"
        );
        assert_eq!(a.flight_number, f.flight_number);
        assert!(
            a.price.amount_minor > s.price.amount_minor,
            "aerolux is dearer"
        );
        assert!(
            a.price.amount_minor > f.price.amount_minor,
            "aerolux is dearer"
        );
        for offer in [a, s, f] {
            assert_eq!(
                offer.price.amount_minor,
                offer.price_per_traveller.amount_minor * 2
            );
            assert_eq!(offer.origin.iata, "LHR");
            assert_eq!(offer.destination.timezone, "America/New_York");
            assert!(offer.seats_left >= 2);
        }
    }
}

#[tokio::test]
async fn flight_times_are_local_to_each_airport_and_durations_follow_distance() {
    let simulator = TestSimulator::quiet(1).await;
    let offers = simulator
        .flights("skyhop", &flight_search("NRT", "LHR", 30, 1))
        .await;
    for offer in offers {
        let departure_zone: chrono_tz::Tz = offer.origin.timezone.parse().unwrap();
        let arrival_zone: chrono_tz::Tz = offer.destination.timezone.parse().unwrap();
        assert_eq!(
            offer
                .departure_at
                .with_timezone(&departure_zone)
                .naive_local(),
            offer.departure_local
        );
        assert_eq!(
            offer.arrival_at.with_timezone(&arrival_zone).naive_local(),
            offer.arrival_local
        );
        assert_eq!(
            offer.arrival_at - offer.departure_at,
            TimeDelta::minutes(offer.duration_minutes.into())
        );
        // Tokyo to London is about 9,600 km: some twelve hours at 800 km/h plus 30 min.
        assert!(
            (9_400..9_800).contains(&offer.distance_km),
            "{}",
            offer.distance_km
        );
        let cruise_minutes = (offer.distance_km * 60 + 400) / 800;
        assert_eq!(offer.duration_minutes, cruise_minutes + 30);
    }
}

#[tokio::test]
async fn every_offer_is_charged_at_reservation_exactly_its_quoted_price() {
    let simulator = TestSimulator::quiet(3).await;
    for supplier in SUPPLIERS {
        let flight = simulator
            .flights(supplier, &flight_search("CDG", "MAD", 20, 3))
            .await;
        let hotel = simulator
            .suppliers
            .search_hotels(
                supplier,
                &HotelSearch {
                    city: TOKYO,
                    check_in: day(12),
                    check_out: day(15),
                    guests: 2,
                },
            )
            .await
            .unwrap();
        let activity = simulator
            .suppliers
            .search_activities(
                supplier,
                &ActivitySearch {
                    city: TOKYO,
                    date: day(13),
                    participants: 2,
                },
            )
            .await
            .unwrap();
        // What each reservation says it is: the offer's times, place and name.
        let (f, h, a) = (&flight[0], &hotel[0], &activity[0]);
        let quoted = [
            (
                &f.offer_id,
                f.price,
                3,
                ProductKind::Flight,
                (f.departure_at, f.arrival_at, f.destination.city.clone()),
                f.flight_number.clone(),
            ),
            (
                &h.offer_id,
                h.total_price,
                2,
                ProductKind::Hotel,
                (
                    h.check_in.and_hms_opt(6, 0, 0).unwrap().and_utc(),
                    h.check_out.and_hms_opt(2, 0, 0).unwrap().and_utc(),
                    h.city.name.clone(),
                ),
                h.hotel_name.clone(),
            ),
            (
                &a.offer_id,
                a.price,
                2,
                ProductKind::Activity,
                (a.starts_at, a.ends_at, a.city.name.clone()),
                a.title.clone(),
            ),
        ];
        for (offer_id, price, party, kind, (starts, ends, place), name) in quoted {
            let reservation = simulator
                .suppliers
                .reserve(supplier, &fresh_key(), &reserve_request(offer_id, party))
                .await
                .unwrap();
            assert_eq!(reservation.price, price, "{supplier} {kind:?}");
            assert_eq!(reservation.kind, kind);
            assert_eq!(reservation.supplier, supplier);
            let summary = &reservation.summary;
            assert!(summary.title.contains(&name), "{summary:?}");
            assert_eq!(summary.place_name, place);
            // Tokyo's check-in (15:00) and check-out (11:00) are 06:00 and 02:00 UTC.
            assert_eq!(
                (summary.starts_at, summary.ends_at),
                (starts, ends),
                "{kind:?}"
            );
        }
    }
}

#[tokio::test]
async fn hotel_offers_price_each_night_of_the_stay_for_rooms_that_sleep_the_party() {
    let simulator = TestSimulator::quiet(1).await;
    let search = HotelSearch {
        city: LONDON,
        check_in: day(30),
        check_out: day(33),
        guests: 3,
    };
    let offers = simulator
        .suppliers
        .search_hotels("farefox", &search)
        .await
        .unwrap();
    assert!(!offers.is_empty());
    for offer in &offers {
        assert_ne!(
            offer.room_type,
            RoomType::Standard,
            "a standard room sleeps two"
        );
        assert_eq!(offer.nights, 3);
        assert_eq!(
            offer.total_price.amount_minor,
            offer.nightly_price.amount_minor * 3
        );
        assert_eq!(offer.total_price.currency, CurrencyCode::GBP);
        assert_eq!(offer.city.name, "London");
        assert!(offer.rooms_left >= 1);
    }
}

#[tokio::test]
async fn activity_offers_are_time_slots_with_places_left() {
    let simulator = TestSimulator::quiet(1).await;
    let search = ActivitySearch {
        city: LONDON,
        date: day(9),
        participants: 4,
    };
    let offers = simulator
        .suppliers
        .search_activities("aerolux", &search)
        .await
        .unwrap();
    // Two tours with two sessions and two tickets with three.
    assert_eq!(offers.len(), 10);
    for offer in &offers {
        assert!(offer.ends_at > offer.starts_at);
        assert_eq!(offer.starts_local.date(), search.date);
        assert_eq!(
            offer.price.amount_minor,
            offer.price_per_participant.amount_minor * 4
        );
        assert!(offer.capacity_left >= 4);
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_offers_and_another_seed_other_prices() {
    let first = TestSimulator::quiet(7).await;
    let again = TestSimulator::quiet(7).await;
    let other = TestSimulator::quiet(8).await;
    let search = flight_search("LAX", "NRT", 50, 2);
    let hotels = HotelSearch {
        city: LONDON,
        check_in: day(25),
        check_out: day(27),
        guests: 2,
    };
    for supplier in SUPPLIERS {
        let offers = first.flights(supplier, &search).await;
        assert_eq!(offers, again.flights(supplier, &search).await);
        let other_offers = other.flights(supplier, &search).await;
        let prices = |offers: &[wayfarer_suppliers::api::FlightOffer]| -> Vec<i64> {
            offers
                .iter()
                .map(|offer| offer.price.amount_minor)
                .collect()
        };
        assert_ne!(prices(&offers), prices(&other_offers), "{supplier}");

        let rooms = first
            .suppliers
            .search_hotels(supplier, &hotels)
            .await
            .unwrap();
        assert_eq!(
            rooms,
            again
                .suppliers
                .search_hotels(supplier, &hotels)
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn unknown_airports_cities_and_suppliers_are_refused_with_their_codes() {
    let simulator = TestSimulator::quiet(1).await;
    let unknown_airport = simulator
        .suppliers
        .search_flights("skyhop", &flight_search("LHR", "XXX", 10, 1))
        .await;
    assert_eq!(
        rejected_code(unknown_airport),
        (404, "UNKNOWN_AIRPORT".into())
    );
    let hotels = HotelSearch {
        city: 1,
        check_in: day(10),
        check_out: day(11),
        guests: 2,
    };
    let unknown_city = simulator.suppliers.search_hotels("skyhop", &hotels).await;
    assert_eq!(rejected_code(unknown_city), (404, "UNKNOWN_CITY".into()));
    let activities = ActivitySearch {
        city: 1,
        date: day(10),
        participants: 1,
    };
    let unknown_city = simulator
        .suppliers
        .search_activities("skyhop", &activities)
        .await;
    assert_eq!(rejected_code(unknown_city), (404, "UNKNOWN_CITY".into()));
    let unknown_supplier = simulator
        .suppliers
        .search_flights("nosuch", &flight_search("LHR", "JFK", 10, 1))
        .await;
    assert_eq!(
        rejected_code(unknown_supplier),
        (404, "UNKNOWN_SUPPLIER".into())
    );
}

#[tokio::test]
async fn bad_dates_and_party_sizes_are_refused_as_bad_requests() {
    let simulator = TestSimulator::quiet(1).await;
    let (status, body) = simulator
        .get_raw("/suppliers/skyhop/flights?from=LHR&to=JFK&date=2026-13-45&travellers=1")
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("INVALID_REQUEST"))
    );
    let past = simulator
        .suppliers
        .search_flights("skyhop", &flight_search("LHR", "JFK", -1, 1))
        .await;
    assert_eq!(rejected_code(past), (400, "INVALID_DATE".into()));
    let backwards = HotelSearch {
        city: LONDON,
        check_in: day(10),
        check_out: day(10),
        guests: 2,
    };
    let no_nights = simulator
        .suppliers
        .search_hotels("skyhop", &backwards)
        .await;
    assert_eq!(rejected_code(no_nights), (400, "INVALID_DATE".into()));
    let crowd = simulator
        .suppliers
        .search_flights("skyhop", &flight_search("LHR", "JFK", 10, 10))
        .await;
    assert_eq!(rejected_code(crowd), (400, "INVALID_REQUEST".into()));
    let (status, body) = simulator.get_raw("/no/such/endpoint").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("NOT_FOUND")));
}
