//! Holding, confirming and cancelling: idempotency, inventory, hold expiry, refunds.

use std::time::Duration;

use serde_json::json;
use wayfarer_suppliers::api::{HotelSearch, ReservationStatus, RoomType};

use crate::helpers::*;

/// The id of a flight offer for a party of `travellers`, and its seats left.
async fn flight_offer(simulator: &TestSimulator, supplier: &str, travellers: u8) -> (String, u32) {
    let offers = simulator
        .flights(supplier, &flight_search("FCO", "LHR", 45, travellers))
        .await;
    (offers[0].offer_id.clone(), offers[0].seats_left)
}

#[tokio::test]
async fn reserving_twice_with_the_same_key_and_body_returns_the_same_hold() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "skyhop", 1).await;
    let body = json!({"offerId": offer_id, "travellers": [{"name": "Ada Lovelace"}]});
    let path = "/suppliers/skyhop/reservations";
    let (first_status, first) = simulator.post_raw(path, Some("key-1"), &body).await;
    let (second_status, second) = simulator.post_raw(path, Some("key-1"), &body).await;
    assert_eq!(first_status, 201);
    assert_eq!(second_status, 200, "a replay is not a new creation");
    assert_eq!(first["reservationId"], second["reservationId"]);
    assert_eq!(first["status"], "HELD");
}

#[tokio::test]
async fn reusing_a_key_with_a_different_body_is_refused() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "skyhop", 1).await;
    let key = fresh_key();
    let reserve = |name: &str| {
        let mut request = reserve_request(&offer_id, 1);
        request.travellers[0].name = name.into();
        request
    };
    simulator
        .suppliers
        .reserve("skyhop", &key, &reserve("Ada"))
        .await
        .unwrap();
    let reused = simulator
        .suppliers
        .reserve("skyhop", &key, &reserve("Grace"))
        .await;
    assert_eq!(
        rejected_code(reused),
        (422, "IDEMPOTENCY_KEY_REUSED".into())
    );
}

#[tokio::test]
async fn a_reservation_without_an_idempotency_key_is_refused() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "aerolux", 1).await;
    let body = json!({"offerId": offer_id, "travellers": [{"name": "Ada"}]});
    let (status, answer) = simulator
        .post_raw("/suppliers/aerolux/reservations", None, &body)
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("MISSING_IDEMPOTENCY_KEY"))
    );
}

#[tokio::test]
async fn an_unknown_altered_or_foreign_offer_id_is_refused_as_unknown() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "aerolux", 1).await;
    let altered = offer_id.replacen(".1.", ".2.", 1).replace("FCO", "CDG");
    for (supplier, offer) in [
        ("aerolux", "not-an-offer".to_owned()),
        ("aerolux", altered),
        ("farefox", offer_id.clone()),
    ] {
        let refused = simulator
            .suppliers
            .reserve(supplier, &fresh_key(), &reserve_request(&offer, 1))
            .await;
        assert_eq!(
            rejected_code(refused),
            (404, "UNKNOWN_OFFER".into()),
            "{offer}"
        );
    }
}

#[tokio::test]
async fn naming_more_travellers_than_the_offer_is_for_is_refused() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "aerolux", 2).await;
    let refused = simulator
        .suppliers
        .reserve("aerolux", &fresh_key(), &reserve_request(&offer_id, 3))
        .await;
    assert_eq!(
        rejected_code(refused),
        (400, "TRAVELLER_COUNT_MISMATCH".into())
    );
}

#[tokio::test]
async fn selling_every_seat_answers_sold_out_and_cancelling_a_hold_gives_a_seat_back() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, seats) = flight_offer(&simulator, "farefox", 1).await;
    let mut holds = Vec::new();
    for _ in 0..seats {
        let hold = simulator
            .suppliers
            .reserve("farefox", &fresh_key(), &reserve_request(&offer_id, 1))
            .await
            .unwrap();
        holds.push(hold);
    }
    let sold_out = simulator
        .suppliers
        .reserve("farefox", &fresh_key(), &reserve_request(&offer_id, 1))
        .await;
    assert_eq!(rejected_code(sold_out), (409, "SOLD_OUT".into()));
    let remaining = simulator
        .flights("farefox", &flight_search("FCO", "LHR", 45, 1))
        .await;
    assert!(
        remaining.iter().all(|offer| offer.offer_id != offer_id),
        "a full flight is not offered"
    );

    let cancelled = simulator
        .suppliers
        .cancel("farefox", &holds[0].reservation_id)
        .await
        .unwrap();
    assert_eq!(cancelled.status, ReservationStatus::Cancelled);
    assert_eq!(cancelled.refund.map(|refund| refund.amount_minor), Some(0));
    simulator
        .suppliers
        .reserve("farefox", &fresh_key(), &reserve_request(&offer_id, 1))
        .await
        .expect("the cancelled hold's seat is for sale again");
}

#[tokio::test]
async fn a_lapsed_hold_cannot_be_confirmed_and_its_rooms_are_for_sale_again() {
    let simulator = TestSimulator::quiet(1).await;
    simulator
        .admin
        .set_hold_ttl(Duration::from_secs(1))
        .await
        .unwrap();
    let search = HotelSearch {
        city: LONDON,
        check_in: day(20),
        check_out: day(22),
        guests: 4,
    };
    let suites = simulator
        .suppliers
        .search_hotels("skyhop", &search)
        .await
        .unwrap();
    let suite = &suites[0];
    assert_eq!(suite.room_type, RoomType::Suite);
    let mut holds = Vec::new();
    for _ in 0..suite.rooms_left {
        let hold = simulator
            .suppliers
            .reserve("skyhop", &fresh_key(), &reserve_request(&suite.offer_id, 4))
            .await
            .unwrap();
        holds.push(hold);
    }
    let sold_out = simulator
        .suppliers
        .reserve("skyhop", &fresh_key(), &reserve_request(&suite.offer_id, 4))
        .await;
    assert_eq!(rejected_code(sold_out), (409, "SOLD_OUT".into()));

    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let late = simulator
        .suppliers
        .confirm("skyhop", &holds[0].reservation_id, &fresh_key())
        .await;
    assert_eq!(rejected_code(late), (410, "HOLD_EXPIRED".into()));
    let lapsed = simulator
        .suppliers
        .reservation("skyhop", &holds[0].reservation_id)
        .await
        .unwrap();
    assert_eq!(lapsed.status, ReservationStatus::Expired);
    simulator
        .suppliers
        .reserve("skyhop", &fresh_key(), &reserve_request(&suite.offer_id, 4))
        .await
        .expect("the lapsed holds' rooms are for sale again");
}

#[tokio::test]
async fn confirming_twice_answers_the_same_confirmation() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "aerolux", 1).await;
    let hold = simulator
        .suppliers
        .reserve("aerolux", &fresh_key(), &reserve_request(&offer_id, 1))
        .await
        .unwrap();
    let key = fresh_key();
    let first = simulator
        .suppliers
        .confirm("aerolux", &hold.reservation_id, &key)
        .await
        .unwrap();
    let second = simulator
        .suppliers
        .confirm("aerolux", &hold.reservation_id, &key)
        .await
        .unwrap();
    assert_eq!(first.status, ReservationStatus::Confirmed);
    assert!(first.confirmation_code.is_some());
    assert_eq!(first, second);
}

#[tokio::test]
async fn cancelling_twice_answers_the_same_refund_and_a_cancelled_reservation_cannot_be_confirmed()
{
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "aerolux", 1).await;
    let hold = simulator
        .suppliers
        .reserve("aerolux", &fresh_key(), &reserve_request(&offer_id, 1))
        .await
        .unwrap();
    let id = &hold.reservation_id;
    simulator
        .suppliers
        .confirm("aerolux", id, &fresh_key())
        .await
        .unwrap();
    let first = simulator.suppliers.cancel("aerolux", id).await.unwrap();
    let second = simulator.suppliers.cancel("aerolux", id).await.unwrap();
    assert_eq!(first, second);
    let too_late = simulator
        .suppliers
        .confirm("aerolux", id, &fresh_key())
        .await;
    assert_eq!(
        rejected_code(too_late),
        (409, "RESERVATION_CANCELLED".into())
    );
}

#[tokio::test]
async fn a_confirmed_reservation_cancelled_before_its_deadline_is_refunded_in_full() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "skyhop", 2).await;
    let hold = simulator
        .suppliers
        .reserve("skyhop", &fresh_key(), &reserve_request(&offer_id, 2))
        .await
        .unwrap();
    assert_eq!(hold.cancellation_policy.refund_percent_after, 25);
    let id = &hold.reservation_id;
    simulator
        .suppliers
        .confirm("skyhop", id, &fresh_key())
        .await
        .unwrap();
    let cancelled = simulator.suppliers.cancel("skyhop", id).await.unwrap();
    assert_eq!(cancelled.refund, Some(hold.price));
}

#[tokio::test]
async fn a_confirmed_reservation_cancelled_after_its_deadline_refunds_the_policy_share() {
    let simulator = TestSimulator::quiet(1).await;
    // Check-in tomorrow: free cancellation ended 48 hours before it, so already.
    let search = HotelSearch {
        city: LONDON,
        check_in: day(1),
        check_out: day(2),
        guests: 1,
    };
    let rooms = simulator
        .suppliers
        .search_hotels("farefox", &search)
        .await
        .unwrap();
    let hold = simulator
        .suppliers
        .reserve(
            "farefox",
            &fresh_key(),
            &reserve_request(&rooms[0].offer_id, 1),
        )
        .await
        .unwrap();
    assert!(hold.cancellation_policy.free_cancellation_until < chrono::Utc::now());
    assert_eq!(hold.cancellation_policy.refund_percent_after, 50);
    let id = &hold.reservation_id;
    simulator
        .suppliers
        .confirm("farefox", id, &fresh_key())
        .await
        .unwrap();
    let cancelled = simulator.suppliers.cancel("farefox", id).await.unwrap();
    let refund = cancelled.refund.expect("a refund");
    // Half, rounded down to the penny.
    assert_eq!(refund.amount_minor, hold.price.amount_minor * 50 / 100);
    assert_eq!(refund.currency, hold.price.currency);
}

#[tokio::test]
async fn a_reservation_is_found_only_at_its_own_supplier() {
    let simulator = TestSimulator::quiet(1).await;
    let (offer_id, _) = flight_offer(&simulator, "aerolux", 1).await;
    let hold = simulator
        .suppliers
        .reserve("aerolux", &fresh_key(), &reserve_request(&offer_id, 1))
        .await
        .unwrap();
    let found = simulator
        .suppliers
        .reservation("aerolux", &hold.reservation_id)
        .await
        .unwrap();
    assert_eq!(found, hold);
    let elsewhere = simulator
        .suppliers
        .reservation("skyhop", &hold.reservation_id)
        .await;
    assert_eq!(
        rejected_code(elsewhere),
        (404, "UNKNOWN_RESERVATION".into())
    );
    let unknown = simulator.suppliers.reservation("aerolux", "res_nope").await;
    assert_eq!(rejected_code(unknown), (404, "UNKNOWN_RESERVATION".into()));
}
