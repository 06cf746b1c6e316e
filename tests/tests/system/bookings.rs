//! Bookings end to end: GraphQL → Booking events → Kafka → the booking process
//! (`wayfarer sagas`) calling the simulated suppliers over HTTP, the wallet and the
//! itinerary → the bookings and wallets models. Happy paths for each kind, each failure with
//! its compensations and money conserved, the circuit breaker, cancellation with refunds,
//! who may do what, and a worker SIGKILLed between each step's effect and its record.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use rdkafka::producer::FutureRecord;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;
use wayfarer_infra::kafka;
use wayfarer_projections::dead_letters;
use wayfarer_sagas::runtime::stall::{STALLED, STALL_AT_VAR};
use wayfarer_suppliers::api::{FaultSettings, ReservationStatus};
use wayfarer_suppliers::client::{AdminClient, GatewayClient, SupplierClient};
use wayfarer_suppliers::CARD_SUCCEEDS;
use wayfarer_tests::cards::tokenise;
use wayfarer_tests::graphql::GraphqlClient;
use wayfarer_tests::system::isolated_settings;
use wayfarer_tests::{Roles, TestSystem, ALL_PROJECTIONS};

use crate::people::{person, Person};

const TOP_UP: &str = "mutation($c: String!, $a: Int!, $pm: String, $k: UUID) { topUpWallet(currency: $c, amountMinor: $a, paymentMethod: $pm, idempotencyKey: $k) { position } }";
const WALLET: &str = "query($c: String!, $p: Position) { wallet(currency: $c, afterPosition: $p) { balance { amountMinor } held { amountMinor } } }";
const HISTORY: &str = "query { walletTransactions(first: 100) { edges { node { kind amount { amountMinor } bookingId } } } }";
const CREATE_TRIP: &str = "mutation($input: CreateItineraryInput!) { createItinerary(input: $input) { itineraryId position } }";
const ITEMS: &str = "query($id: UUID!) { itinerary(id: $id) { items { id title category estimatedCost { amountMinor currency } } } }";
const FLIGHTS: &str = "query($d: NaiveDate!) { searchFlights(from: \"CDG\", to: \"JFK\", date: $d, travellers: 2) { offers { offerId supplier } } }";
const HOTELS: &str = "query($in: NaiveDate!, $out: NaiveDate!) { searchHotels(cityId: 2988507, checkIn: $in, checkOut: $out, guests: 2) { offers { offerId supplier } } }";
const ACTIVITIES: &str = "query($d: NaiveDate!) { searchActivities(cityId: 2988507, date: $d, participants: 2) { offers { offerId supplier } } }";
const BOOKING: &str = "query($id: UUID!, $p: Position) { booking(id: $id, afterPosition: $p) { id kind status supplier reservationId confirmationCode itineraryId itineraryItemId title price { amountMinor currency } paid { amountMinor currency } rate failureReason compensations refund { amountMinor } } }";
const MY_BOOKINGS: &str = "query($s: [BookingStatus!]) { myBookings(status: $s, first: 50) { edges { node { id status } } } }";
const CANCEL: &str = "mutation($id: UUID!) { cancelBooking(bookingId: $id) { position } }";
const MOVE: &str = "mutation($id: UUID!, $it: UUID!) { syncBookingWithItinerary(bookingId: $id, itineraryId: $it) { position } }";

const NOTIFIED: &str =
    "query { notifications(first: 50) { edges { node { kind bookingId subject message } } } }";

const TOP_UP_MINOR: i64 = 1_000_000;

fn day(days_ahead: i64) -> String {
    (Utc::now().date_naive() + chrono::Duration::days(days_ahead)).to_string()
}

fn book_mutation(kind: &str) -> String {
    let field = match kind {
        "FLIGHT" => "bookFlight",
        "HOTEL" => "bookHotel",
        _ => "bookActivity",
    };
    format!("mutation($input: BookingInput!, $k: UUID) {{ {field}(input: $input, idempotencyKey: $k) {{ bookingId position replayed }} }}")
}

async fn top_up(system: &TestSystem, who: &Person, amount_minor: i64) {
    let gateway = GatewayClient::new(
        system.suppliers_url.clone().unwrap(),
        Duration::from_secs(10),
    );
    let card = tokenise(&gateway, CARD_SUCCEEDS).await;
    who.client
        .data(
            TOP_UP,
            json!({ "c": "EUR", "a": amount_minor, "pm": card, "k": Uuid::new_v4() }),
        )
        .await;
}

async fn trip(who: &Person) -> String {
    let input = json!({ "title": "Paris and New York", "startDate": day(20), "endDate": day(50), "baseCurrency": "EUR" });
    let data = who
        .client
        .data(CREATE_TRIP, json!({ "input": input }))
        .await;
    data["createItinerary"]["itineraryId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The first offer of a search from `supplier`.
async fn offer(client: &GraphqlClient, kind: &str, supplier: &str) -> String {
    let (query, variables, field) = match kind {
        "FLIGHT" => (FLIGHTS, json!({ "d": day(30) }), "searchFlights"),
        "HOTEL" => (
            HOTELS,
            json!({ "in": day(30), "out": day(32) }),
            "searchHotels",
        ),
        _ => (ACTIVITIES, json!({ "d": day(31) }), "searchActivities"),
    };
    let found = client.data(query, variables).await;
    found[field]["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["supplier"] == supplier)
        .unwrap_or_else(|| panic!("{supplier} offers {kind}"))["offerId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn book(who: &Person, kind: &str, offer_id: &str, itinerary: Option<&str>) -> String {
    let input = json!({ "offerId": offer_id, "travellers": ["Ada", "Bo"], "itineraryId": itinerary, "walletCurrency": "EUR" });
    let data = who
        .client
        .data(
            &book_mutation(kind),
            json!({ "input": input, "k": Uuid::new_v4() }),
        )
        .await;
    let field = data.as_object().unwrap().values().next().unwrap().clone();
    field["bookingId"].as_str().unwrap().to_owned()
}

/// The booking once it reaches one of `statuses` (panics after a minute).
async fn settled(who: &Person, id: &str, statuses: &[&str]) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let booking = who.client.data(BOOKING, json!({ "id": id })).await["booking"].clone();
        if statuses.iter().any(|s| booking["status"] == *s) {
            return booking;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "booking {id} stuck at {booking}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Balance and held amount of `who`'s EUR wallet, once the model has every movement the
/// bookings' records name (polls until it stops changing for a moment).
async fn wallet(who: &Person) -> (i64, i64) {
    let mut last = None;
    for _ in 0..100 {
        let data = who.client.data(WALLET, json!({ "c": "EUR" })).await["wallet"].clone();
        let now = (
            data["balance"]["amountMinor"].as_i64().unwrap(),
            data["held"]["amountMinor"].as_i64().unwrap(),
        );
        if last == Some(now) {
            return now;
        }
        last = Some(now);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    last.unwrap()
}

/// The kinds of money movement per booking.
async fn movements(who: &Person) -> HashMap<String, Vec<(String, i64)>> {
    let data = who.client.data(HISTORY, json!({})).await;
    let mut by_booking: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for edge in data["walletTransactions"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        if let Some(booking) = node["bookingId"].as_str() {
            by_booking.entry(booking.to_owned()).or_default().push((
                node["kind"].as_str().unwrap().to_owned(),
                node["amount"]["amountMinor"].as_i64().unwrap(),
            ));
        }
    }
    by_booking
}

async fn items(who: &Person, itinerary: &str) -> Vec<Value> {
    // Empty until the model has the itinerary.
    who.client.data(ITEMS, json!({ "id": itinerary })).await["itinerary"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The booking notifications `who` has, once there are `count` of them: (kind, booking id,
/// message).
async fn booking_notices(who: &Person, count: usize) -> Vec<(String, String, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let data = who.client.data(NOTIFIED, json!({})).await;
        let notices: Vec<(String, String, String)> = data["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .filter(|n| n["kind"].as_str().unwrap().starts_with("BOOKING_"))
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_owned(),
                    n["bookingId"].as_str().unwrap().to_owned(),
                    n["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        if notices.len() >= count || tokio::time::Instant::now() > deadline {
            return notices;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn suppliers(system: &TestSystem) -> (SupplierClient, AdminClient) {
    let url = system.suppliers_url.clone().unwrap();
    (
        SupplierClient::new(url.clone(), Duration::from_secs(10)),
        AdminClient::new(url, Duration::from_secs(10)),
    )
}

async fn start(label: &str) -> TestSystem {
    let mut settings = isolated_settings(label);
    settings.sagas.reserve_within = Duration::from_secs(3);
    settings.sagas.breaker_failures = 2;
    settings.sagas.breaker_open_for = Duration::from_secs(2);
    settings.sagas.supplier_timeout = Duration::from_secs(2);
    settings.sagas.poll = Duration::from_millis(100);
    TestSystem::start_with(settings, Roles::all())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_kind_is_booked_paid_and_added_to_its_itinerary_and_a_cancellation_refunds() {
    let system = start("bookings").await;
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    top_up(&system, &ada, TOP_UP_MINOR).await;
    let itinerary = trip(&ada).await;
    let (supplier_client, _) = suppliers(&system);

    let mut paid_total = 0;
    let mut booked = Vec::new();
    for (kind, supplier, category) in [
        ("FLIGHT", "skyhop", "TRANSPORT"),
        ("HOTEL", "aerolux", "ACCOMMODATION"),
        ("ACTIVITY", "farefox", "ACTIVITY"),
    ] {
        let offer_id = offer(&ada.client, kind, supplier).await;
        let id = book(&ada, kind, &offer_id, Some(&itinerary)).await;
        let booking = settled(&ada, &id, &["CONFIRMED", "FAILED"]).await;
        assert_eq!(booking["status"], "CONFIRMED", "{booking}");
        assert_eq!(booking["kind"], kind);
        assert_eq!(booking["supplier"], supplier);
        assert_eq!(booking["paid"]["currency"], "EUR");
        let price = &booking["price"];
        if price["currency"] == "EUR" {
            assert_eq!(booking["paid"], *price, "no conversion needed");
            assert!(booking["rate"].is_null());
        } else {
            assert!(
                booking["rate"].is_string(),
                "the rate is recorded: {booking}"
            );
        }
        paid_total += booking["paid"]["amountMinor"].as_i64().unwrap();
        // The supplier holds it as confirmed.
        let reservation = supplier_client
            .reservation(supplier, booking["reservationId"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(reservation.status, ReservationStatus::Confirmed);
        assert_eq!(
            reservation.confirmation_code.as_deref(),
            booking["confirmationCode"].as_str()
        );
        // Its item, once added.
        let booking = loop {
            let b = ada.client.data(BOOKING, json!({ "id": id })).await["booking"].clone();
            if b["itineraryItemId"].is_string() {
                break b;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let item_id = booking["itineraryItemId"].as_str().unwrap().to_owned();
        let shown = loop {
            let all = items(&ada, &itinerary).await;
            if let Some(item) = all.iter().find(|i| i["id"] == item_id.as_str()) {
                break item.clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(shown["category"], category);
        assert_eq!(shown["title"], booking["title"]);
        assert_eq!(shown["estimatedCost"], booking["paid"]);
        booked.push((id, item_id));
    }
    assert_eq!(items(&ada, &itinerary).await.len(), 3);
    assert_eq!(wallet(&ada).await, (TOP_UP_MINOR - paid_total, 0));
    let moved = movements(&ada).await;
    for (id, _) in &booked {
        let kinds: Vec<&str> = moved[id].iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
        assert!(kinds.contains(&"HOLD") && kinds.contains(&"CAPTURE"));
    }
    let listed = ada
        .client
        .data(MY_BOOKINGS, json!({ "s": ["CONFIRMED"] }))
        .await;
    assert_eq!(listed["myBookings"]["edges"].as_array().unwrap().len(), 3);

    // Cancelling the hotel well before its free-cancellation deadline refunds all of it and
    // takes its item out of the itinerary.
    let (hotel, hotel_item) = &booked[1];
    let hotel_paid = ada.client.data(BOOKING, json!({ "id": hotel })).await["booking"]["paid"]
        ["amountMinor"]
        .as_i64()
        .unwrap();
    ada.client.data(CANCEL, json!({ "id": hotel })).await;
    let cancelled = settled(&ada, hotel, &["REFUNDED", "CANCELLED"]).await;
    assert_eq!(cancelled["status"], "REFUNDED");
    assert_eq!(cancelled["refund"]["amountMinor"], hotel_paid);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while items(&ada, &itinerary)
        .await
        .iter()
        .any(|i| i["id"] == hotel_item.as_str())
    {
        assert!(tokio::time::Instant::now() < deadline, "the item leaves");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        wallet(&ada).await,
        (TOP_UP_MINOR - paid_total + hotel_paid, 0)
    );
    // The owner was told of each confirmation (with what was paid) and of the refund, once
    // each.
    let notices = booking_notices(&ada, 4).await;
    assert_eq!(notices.len(), 4, "{notices:?}");
    for (id, _) in &booked {
        let confirmed: Vec<_> = notices
            .iter()
            .filter(|(kind, booking, _)| kind == "BOOKING_CONFIRMED" && booking == id)
            .collect();
        assert_eq!(confirmed.len(), 1, "{notices:?}");
        assert!(confirmed[0].2.ends_with(" EUR paid"), "{notices:?}");
    }
    let refund_words = format!(
        "is cancelled: {}.{:02} EUR refunded to your wallet",
        hotel_paid / 100,
        hotel_paid % 100
    );
    assert!(
        notices
            .iter()
            .any(|(kind, booking, message)| kind == "BOOKING_REFUNDED"
                && booking == hotel
                && message.ends_with(&refund_words)),
        "{notices:?}"
    );
    // A second cancellation changes nothing; a failed or unknown booking is refused.
    assert_eq!(
        ada.client.data(CANCEL, json!({ "id": hotel })).await["cancelBooking"]["position"],
        "0"
    );

    // Moving the flight to another itinerary moves its item.
    let (flight, flight_item) = &booked[0];
    let other = trip(&ada).await;
    ada.client
        .data(MOVE, json!({ "id": flight, "it": other }))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let old = items(&ada, &itinerary).await;
        let new = items(&ada, &other).await;
        if !old.iter().any(|i| i["id"] == flight_item.as_str()) && new.len() == 1 {
            assert_ne!(new[0]["id"], flight_item.as_str(), "a new item id");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the item moves");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookings_are_private_and_checked_before_they_are_accepted() {
    let system = start("bookingauth").await;
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    top_up(&system, &ada, TOP_UP_MINOR).await;
    let itinerary = trip(&ada).await;
    let bea_trip = trip(&bea).await;
    let offer_id = offer(&ada.client, "ACTIVITY", "aerolux").await;
    let input = |offer: &str, trip: Option<&str>, currency: &str| json!({ "input": { "offerId": offer, "travellers": ["Ada", "Bo"], "itineraryId": trip, "walletCurrency": currency }, "k": Uuid::new_v4() });
    let book_activity = book_mutation("ACTIVITY");
    // Anonymous callers, unknown offers, a mutation for another kind, a bad currency, a
    // missing idempotency key.
    assert_eq!(
        anonymous
            .error_code(&book_activity, input(&offer_id, None, "EUR"))
            .await,
        "UNAUTHENTICATED"
    );
    for bad in ["", "xx.aerolux.1", "ac.nobody.1.2"] {
        assert_eq!(
            ada.client
                .error_code(&book_activity, input(bad, None, "EUR"))
                .await,
            "VALIDATION",
            "{bad}"
        );
    }
    assert_eq!(
        ada.client
            .error_code(&book_mutation("FLIGHT"), input(&offer_id, None, "EUR"))
            .await,
        "VALIDATION"
    );
    assert_eq!(
        ada.client
            .error_code(&book_activity, input(&offer_id, None, "XXX"))
            .await,
        "VALIDATION"
    );
    assert_eq!(
        ada.client
            .error_code(
                &book_activity,
                json!({ "input": input(&offer_id, None, "EUR")["input"].clone() })
            )
            .await,
        "VALIDATION"
    );
    // Someone else's itinerary is not found; too many travellers, none, or names with
    // control characters or too long are refused.
    assert_eq!(
        ada.client
            .error_code(&book_activity, input(&offer_id, Some(&bea_trip), "EUR"))
            .await,
        "NOT_FOUND"
    );
    for travellers in [
        json!(vec!["X"; 10]),
        json!([]),
        json!(["Ada\u{0}Lovelace"]),
        json!(["Ada\u{1b}[2J"]),
        json!(["x".repeat(101)]),
    ] {
        let bad = json!({ "input": { "offerId": offer_id, "travellers": travellers, "walletCurrency": "EUR" }, "k": Uuid::new_v4() });
        assert_eq!(
            ada.client.error_code(&book_activity, bad).await,
            "VALIDATION",
            "{travellers}"
        );
    }

    // A booking is its owner's alone: hidden looks like missing.
    let key = Uuid::new_v4();
    let keyed =
        json!({ "input": input(&offer_id, Some(&itinerary), "EUR")["input"].clone(), "k": key });
    let first = ada.client.data(&book_activity, keyed.clone()).await["bookActivity"].clone();
    let again = ada.client.data(&book_activity, keyed).await["bookActivity"].clone();
    assert_eq!(
        first["bookingId"], again["bookingId"],
        "a retry names the same booking"
    );
    assert_eq!(again["replayed"], true);
    let id = first["bookingId"].as_str().unwrap().to_owned();
    settled(&ada, &id, &["CONFIRMED"]).await;
    assert!(bea.client.data(BOOKING, json!({ "id": id })).await["booking"].is_null());
    assert_eq!(
        bea.client.error_code(CANCEL, json!({ "id": id })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        bea.client
            .error_code(MOVE, json!({ "id": id, "it": bea_trip }))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        ada.client
            .error_code(MOVE, json!({ "id": id, "it": bea_trip }))
            .await,
        "NOT_FOUND",
        "nor can Ada move hers into Bea's trip"
    );
    assert!(
        bea.client.data(MY_BOOKINGS, json!({})).await["myBookings"]["edges"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_are_compensated_with_money_conserved_and_the_breaker_fails_fast_then_recovers() {
    let system = start("bookingfail").await;
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let (supplier_client, simulator) = suppliers(&system);

    // Too little money: the reservation is cancelled with the supplier.
    top_up(&system, &ada, 100).await;
    let offer_id = offer(&ada.client, "HOTEL", "aerolux").await;
    let id = book(&ada, "HOTEL", &offer_id, None).await;
    let failed = settled(&ada, &id, &["FAILED", "CONFIRMED"]).await;
    assert_eq!(failed["status"], "FAILED");
    assert!(failed["failureReason"]
        .as_str()
        .unwrap()
        .contains("top it up"));
    assert_eq!(failed["compensations"], json!(["reservation cancelled"]));
    let reservation = supplier_client
        .reservation("aerolux", failed["reservationId"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(reservation.status, ReservationStatus::Cancelled);
    assert_eq!(wallet(&ada).await, (100, 0));
    let notices = booking_notices(&ada, 1).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    let (kind, booking, message) = &notices[0];
    assert_eq!(
        (kind.as_str(), booking.as_str()),
        ("BOOKING_FAILED", id.as_str())
    );
    assert!(
        message.starts_with("Your booking “") && message.contains("could not be made. "),
        "{message}"
    );
    assert!(message.contains("top it up"), "{message}");

    // An offer the supplier does not know: refused, nothing to undo.
    let forged = format!("{}0", &offer_id[..offer_id.len() - 1]);
    let forged = if forged == offer_id {
        format!("{}1", &offer_id[..offer_id.len() - 1])
    } else {
        forged
    };
    let id = book(&ada, "HOTEL", &forged, None).await;
    let failed = settled(&ada, &id, &["FAILED", "CONFIRMED"]).await;
    assert_eq!(
        failed["failureReason"],
        "The supplier does not know this offer."
    );
    assert_eq!(failed["compensations"], json!([]));

    top_up(&system, &ada, TOP_UP_MINOR).await;
    let balance = TOP_UP_MINOR + 100;

    // The hold lapses before the confirmation arrives: the funds are released and the
    // reservation cancelled.
    let usual_hold = simulator.hold_ttl().await.unwrap();
    simulator
        .set_hold_ttl(Duration::from_secs(1))
        .await
        .unwrap();
    simulator
        .set_faults(
            "farefox",
            &FaultSettings {
                latency_ms: 1200,
                ..FaultSettings::NONE
            },
        )
        .await
        .unwrap();
    let activity = offer(&ada.client, "ACTIVITY", "farefox").await;
    let id = book(&ada, "ACTIVITY", &activity, None).await;
    let failed = settled(&ada, &id, &["FAILED", "CONFIRMED"]).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(failed["failureReason"]
        .as_str()
        .unwrap()
        .contains("hold expired"));
    assert_eq!(
        failed["compensations"],
        json!(["funds released", "reservation cancelled"])
    );
    assert_eq!(wallet(&ada).await, (balance, 0), "the held money is back");
    let moved = movements(&ada).await;
    let kinds: Vec<&str> = moved[&id].iter().map(|(k, _)| k.as_str()).collect();
    assert!(kinds.contains(&"HOLD") && kinds.contains(&"RELEASE") && !kinds.contains(&"CAPTURE"));
    simulator.reset_faults("farefox").await.unwrap();
    simulator.set_hold_ttl(usual_hold).await.unwrap();

    // An outage: the first booking retries until its deadline, the breaker opens, and the
    // next one fails at once with its own reason; after the outage, bookings go through.
    let flight = offer(&ada.client, "FLIGHT", "skyhop").await;
    simulator
        .set_faults(
            "skyhop",
            &FaultSettings {
                outage: true,
                ..FaultSettings::NONE
            },
        )
        .await
        .unwrap();
    let slow = book(&ada, "FLIGHT", &flight, None).await;
    let failed = settled(&ada, &slow, &["FAILED", "CONFIRMED"]).await;
    // Retried until its deadline, or until the breaker opened meanwhile.
    let reason = failed["failureReason"].as_str().unwrap_or_default();
    assert!(
        reason == "The supplier did not answer in time." || reason.contains("not answering"),
        "{failed}"
    );
    let started = tokio::time::Instant::now();
    let fast = book(&ada, "FLIGHT", &flight, None).await;
    let failed = settled(&ada, &fast, &["FAILED", "CONFIRMED"]).await;
    assert!(
        failed["failureReason"]
            .as_str()
            .unwrap()
            .contains("not answering at the moment"),
        "{failed}"
    );
    assert!(started.elapsed() < Duration::from_secs(3), "fails fast");
    simulator.reset_faults("skyhop").await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let recovered = book(&ada, "FLIGHT", &flight, None).await;
    let booking = settled(&ada, &recovered, &["FAILED", "CONFIRMED"]).await;
    assert_eq!(booking["status"], "CONFIRMED", "{booking}");
    let paid = booking["paid"]["amountMinor"].as_i64().unwrap();
    assert_eq!(wallet(&ada).await, (balance - paid, 0));
    system.stop().await;
}

/// A system whose booking work is left to worker processes the test spawns.
async fn without_worker(label: &str) -> TestSystem {
    TestSystem::start(
        label,
        Roles {
            sagas: false,
            ..Roles::all()
        },
    )
    .await
    .unwrap()
}

/// Ada, with money in her EUR wallet and a trip to book into.
async fn funded_traveller(system: &TestSystem, anonymous: &GraphqlClient) -> (Person, String) {
    let ada = person(anonymous, "ada").await;
    top_up(system, &ada, TOP_UP_MINOR).await;
    let itinerary = trip(&ada).await;
    (ada, itinerary)
}

fn spawn_worker(system: &TestSystem, stall_at: Option<&str>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wayfarer-node"));
    command
        .arg("sagas")
        .envs(system.child_env())
        .env("WAYFARER_SAGA_LEASE_MS", "1500")
        .env("WAYFARER_SAGA_POLL_MS", "100")
        .env("WAYFARER_SAGA_CONCURRENCY", "2")
        .env_remove(STALL_AT_VAR)
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    if let Some(point) = stall_at {
        command.env(STALL_AT_VAR, point);
    }
    command.spawn().expect("the saga worker starts")
}

/// Waits until the worker says it stalled at `point`.
async fn stalled(child: &mut Child, point: &str) {
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let marker = format!("{STALLED} {point}");
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains(&marker) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "the worker stalls at {point}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_between_any_step_and_its_record_resumes_exactly_once() {
    let system = without_worker("bookingkill").await;
    let anonymous = system.graphql();
    let (ada, itinerary) = funded_traveller(&system, &anonymous).await;
    let (supplier_client, _) = suppliers(&system);
    let offer_id = offer(&ada.client, "ACTIVITY", "skyhop").await;
    let mut paid_total = 0;
    let mut confirmed = Vec::new();
    for point in ["reserve", "hold", "confirm", "capture", "add-item"] {
        let mut worker = spawn_worker(&system, Some(point));
        let id = book(&ada, "ACTIVITY", &offer_id, Some(&itinerary)).await;
        stalled(&mut worker, point).await;
        worker.start_kill().expect("SIGKILL sent");
        worker.wait().await.unwrap();
        let mut worker = spawn_worker(&system, None);
        let booking = settled(&ada, &id, &["CONFIRMED", "FAILED"]).await;
        assert_eq!(
            booking["status"], "CONFIRMED",
            "killed at {point}: {booking}"
        );
        let booking = loop {
            let b = ada.client.data(BOOKING, json!({ "id": id })).await["booking"].clone();
            if b["itineraryItemId"].is_string() {
                break b;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let reservation = supplier_client
            .reservation("skyhop", booking["reservationId"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(reservation.status, ReservationStatus::Confirmed);
        paid_total += booking["paid"]["amountMinor"].as_i64().unwrap();
        confirmed.push(id);
        worker.start_kill().unwrap();
        worker.wait().await.unwrap();
    }
    // One hold and one capture each, the money taken once, one item each.
    assert_eq!(wallet(&ada).await, (TOP_UP_MINOR - paid_total, 0));
    let moved = movements(&ada).await;
    for id in &confirmed {
        let mut kinds: Vec<&str> = moved[id].iter().map(|(k, _)| k.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, ["CAPTURE", "HOLD"], "{id}");
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while items(&ada, &itinerary).await.len() != confirmed.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "one item per booking"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Killed while compensating: the funds are released once and the booking fails once.
    let poor = person(&anonymous, "poor").await;
    top_up(&system, &poor, 100).await;
    let mut worker = spawn_worker(&system, Some("cancel-reservation"));
    let id = book(&poor, "ACTIVITY", &offer_id, None).await;
    stalled(&mut worker, "cancel-reservation").await;
    worker.start_kill().unwrap();
    worker.wait().await.unwrap();
    let mut worker = spawn_worker(&system, None);
    let failed = settled(&poor, &id, &["FAILED", "CONFIRMED"]).await;
    assert_eq!(failed["compensations"], json!(["reservation cancelled"]));
    assert_eq!(wallet(&poor).await, (100, 0));
    worker.start_kill().unwrap();
    worker.wait().await.unwrap();
    system.stop().await;
}

/// What bookings have done, as the read models, the store and the booking process's own
/// table have it.
async fn booking_effects(system: &TestSystem) -> Value {
    let row = |sql: &'static str| async move {
        sqlx::query_scalar::<_, Value>(sql)
            .fetch_one(&system.pool)
            .await
            .unwrap()
    };
    json!({
        "events": row("SELECT to_jsonb(count(*)) FROM events").await,
        "bookings": row("SELECT coalesce(jsonb_agg(to_jsonb(b) ORDER BY booking_id), '[]') FROM bookings b").await,
        "wallets": row("SELECT coalesce(jsonb_agg(to_jsonb(w) ORDER BY wallet_id), '[]') FROM wallets w").await,
        "movements": row("SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY wallet_id, sequence), '[]') FROM wallet_transactions t").await,
        "notifications": row("SELECT coalesce(jsonb_agg(to_jsonb(n) ORDER BY notification_id), '[]') FROM notifications n").await,
        "emails": row("SELECT to_jsonb(count(*)) FROM notification_emails").await,
        "tasks": row("SELECT to_jsonb(count(*)) FROM saga_tasks").await,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_booking_event_delivered_twice_has_no_second_effect() {
    let system = start("bookingtwice").await;
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    top_up(&system, &ada, TOP_UP_MINOR).await;
    let itinerary = trip(&ada).await;
    let poor = person(&anonymous, "poor").await;
    top_up(&system, &poor, 100).await;
    // One confirmed into an itinerary, one cancelled and refunded, one failed and
    // compensated.
    let activity = offer(&ada.client, "ACTIVITY", "farefox").await;
    let confirmed = book(&ada, "ACTIVITY", &activity, Some(&itinerary)).await;
    let hotel = offer(&ada.client, "HOTEL", "aerolux").await;
    let cancelled = book(&ada, "HOTEL", &hotel, None).await;
    let failed = book(&poor, "HOTEL", &hotel, None).await;
    assert_eq!(
        settled(&ada, &confirmed, &["CONFIRMED", "FAILED"]).await["status"],
        "CONFIRMED"
    );
    assert_eq!(
        settled(&ada, &cancelled, &["CONFIRMED", "FAILED"]).await["status"],
        "CONFIRMED"
    );
    ada.client.data(CANCEL, json!({ "id": cancelled })).await;
    settled(&ada, &cancelled, &["REFUNDED", "CANCELLED"]).await;
    assert_eq!(
        settled(&poor, &failed, &["FAILED", "CONFIRMED"]).await["status"],
        "FAILED"
    );
    TestSystem::eventually(Duration::from_secs(30), "the item is added", || async {
        items(&ada, &itinerary).await.len() == 1
    })
    .await;
    let names: Vec<&str> = ALL_PROJECTIONS
        .iter()
        .copied()
        .chain([wayfarer_sagas::wakes::NAME])
        .collect();
    for name in &names {
        system.wait_caught_up(name, Duration::from_secs(60)).await;
    }
    TestSystem::eventually(Duration::from_secs(30), "the process is idle", || async {
        booking_effects(&system).await["tasks"] == 0
    })
    .await;
    let before = booking_effects(&system).await;

    // Every stored event again, through every projection that reads it, the booking
    // process's wakes included: as a consumer sees a batch redelivered after a crash.
    let everything = system.stored_envelopes().await;
    for name in &names {
        system.redeliver(name, &everything).await;
    }
    // Time for a woken worker to act, had anything woken it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(booking_effects(&system).await, before);
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_share_the_bookings_and_a_killed_ones_work_moves_to_the_other() {
    let system = without_worker("bookingpair").await;
    let anonymous = system.graphql();
    let (ada, itinerary) = funded_traveller(&system, &anonymous).await;
    let offer_id = offer(&ada.client, "ACTIVITY", "aerolux").await;

    // The first worker (two slots) takes a booking and stops before confirming it, as it
    // will every booking it takes; a second worker joins the same consumer group. With at
    // most one slot left to the first, the second takes most of the next bookings: any
    // confirmed while the first still runs is the second's.
    let mut first = spawn_worker(&system, Some("confirm"));
    let mut ids = vec![book(&ada, "ACTIVITY", &offer_id, Some(&itinerary)).await];
    stalled(&mut first, "confirm").await;
    let mut second = spawn_worker(&system, None);
    for _ in 0..4 {
        ids.push(book(&ada, "ACTIVITY", &offer_id, Some(&itinerary)).await);
    }
    TestSystem::eventually(
        Duration::from_secs(60),
        "the second worker confirms bookings",
        || async {
            let mut confirmed = 0;
            for id in &ids[1..] {
                let b = ada.client.data(BOOKING, json!({ "id": id })).await["booking"].clone();
                confirmed += usize::from(b["status"] == "CONFIRMED");
            }
            confirmed >= 3
        },
    )
    .await;

    // Killed (its stalled bookings' leases lapse, live or dead): the second takes them over,
    // and every booking is confirmed once.
    first.start_kill().expect("SIGKILL sent");
    first.wait().await.unwrap();
    let mut paid_total = 0;
    for id in &ids {
        let booking = settled(&ada, id, &["CONFIRMED", "FAILED"]).await;
        assert_eq!(booking["status"], "CONFIRMED", "{booking}");
        paid_total += booking["paid"]["amountMinor"].as_i64().unwrap();
    }
    assert_eq!(wallet(&ada).await, (TOP_UP_MINOR - paid_total, 0));
    let moved = movements(&ada).await;
    for id in &ids {
        let mut kinds: Vec<&str> = moved[id].iter().map(|(k, _)| k.as_str()).collect();
        kinds.sort();
        assert_eq!(kinds, ["CAPTURE", "HOLD"], "{id}");
    }
    TestSystem::eventually(Duration::from_secs(30), "one item per booking", || async {
        items(&ada, &itinerary).await.len() == ids.len()
    })
    .await;
    second.start_kill().unwrap();
    second.wait().await.unwrap();
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poison_record_on_the_booking_topic_is_dead_lettered_and_bookings_go_on() {
    let system = start("bookingpoison").await;
    let anonymous = system.graphql();
    let (ada, itinerary) = funded_traveller(&system, &anonymous).await;
    let topic = system
        .settings
        .names()
        .topic(wayfarer_schemas::booking::AGGREGATE_TYPE);
    kafka::ensure_topics(&system.settings.kafka, std::slice::from_ref(&topic))
        .await
        .unwrap();
    kafka::producer(&system.settings.kafka)
        .unwrap()
        .send(
            FutureRecord::to(&topic)
                .key("garbage")
                .payload("not a booking \u{0}"),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(error, _)| error)
        .unwrap();

    // Every consumer of the topic steps over it (the booking process's wakes, the bookings
    // model, notifications), and a booking made after it goes through.
    let offer_id = offer(&ada.client, "ACTIVITY", "aerolux").await;
    let id = book(&ada, "ACTIVITY", &offer_id, Some(&itinerary)).await;
    let booking = settled(&ada, &id, &["CONFIRMED", "FAILED"]).await;
    assert_eq!(booking["status"], "CONFIRMED", "{booking}");
    for projection in [
        wayfarer_sagas::wakes::NAME,
        wayfarer_projections::booking::NAME,
        wayfarer_projections::notification::NAME,
    ] {
        TestSystem::eventually(
            Duration::from_secs(30),
            "the record is dead-lettered",
            || async {
                dead_letters::list(&system.pool, Some(projection), true)
                    .await
                    .unwrap()
                    .iter()
                    .any(|letter| letter.error.contains("undecodable record"))
            },
        )
        .await;
    }
    system.stop().await;
}
