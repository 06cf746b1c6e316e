//! Comparing offers across the three simulated suppliers over HTTP: every supplier's offers,
//! cheapest first in one currency, and a slow or failing supplier left out of a partial
//! answer instead of holding it up.

use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};
use wayfarer_suppliers::api::FaultSettings;
use wayfarer_suppliers::client::AdminClient;
use wayfarer_tests::{Roles, TestSystem};

const FLIGHTS: &str = "query($from: String!, $to: String!, $date: NaiveDate!, $n: Int, $c: String) { searchFlights(from: $from, to: $to, date: $date, travellers: $n, currency: $c) { comparedIn partial suppliers { supplier outcome offers } offers { offerId supplier flightNumber origin { iata timezone } destination { iata } departureLocal departureAt durationMinutes travellers price { amountMinor currency } comparablePrice { amountMinor currency } seatsLeft } } }";
const HOTELS: &str = "query($city: Int!, $in: NaiveDate!, $out: NaiveDate!) { searchHotels(cityId: $city, checkIn: $in, checkOut: $out, guests: 2) { partial suppliers { outcome } offers { offerId supplier hotelName city { id name } nights totalPrice { amountMinor currency } comparablePrice { amountMinor } } } }";
const ACTIVITIES: &str = "query($city: Int!, $date: NaiveDate!) { searchActivities(cityId: $city, date: $date, participants: 3) { partial offers { offerId supplier title category participants startsAt price { amountMinor currency } comparablePrice { amountMinor } } } }";

const PARIS: u32 = 2_988_507;

fn day(days_ahead: i64) -> String {
    (Utc::now().date_naive() + chrono::Duration::days(days_ahead)).to_string()
}

/// The comparable prices in order, asserting they are cheapest first.
fn cheapest_first(offers: &[Value]) -> Vec<i64> {
    let prices: Vec<i64> = offers
        .iter()
        .map(|o| o["comparablePrice"]["amountMinor"].as_i64().unwrap())
        .collect();
    let mut sorted = prices.clone();
    sorted.sort();
    assert_eq!(prices, sorted, "cheapest first");
    prices
}

fn suppliers_of(offers: &[Value]) -> std::collections::BTreeSet<String> {
    offers
        .iter()
        .map(|o| o["supplier"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offers_are_compared_across_suppliers_and_a_failing_one_is_left_out() {
    let system = TestSystem::start("travelsearch", Roles::all())
        .await
        .unwrap();
    let client = system.graphql();
    let simulator = AdminClient::new(
        system.suppliers_url.clone().unwrap(),
        Duration::from_secs(10),
    );
    let flights = json!({ "from": "cdg", "to": "JFK", "date": day(30), "n": 2 });

    let found = client.data(FLIGHTS, flights.clone()).await["searchFlights"].clone();
    assert_eq!(found["comparedIn"], "EUR");
    assert_eq!(found["partial"], false);
    let offers = found["offers"].as_array().unwrap().clone();
    assert_eq!(
        suppliers_of(&offers),
        ["aerolux", "farefox", "skyhop"].map(String::from).into(),
        "every supplier's offers"
    );
    cheapest_first(&offers);
    let currencies: std::collections::BTreeSet<&str> = offers
        .iter()
        .map(|o| o["price"]["currency"].as_str().unwrap())
        .collect();
    assert_eq!(
        currencies,
        ["EUR", "GBP", "USD"].into(),
        "each in its own currency"
    );
    for offer in &offers {
        assert_eq!(offer["origin"]["iata"], "CDG");
        assert_eq!(offer["origin"]["timezone"], "Europe/Paris");
        assert_eq!(offer["destination"]["iata"], "JFK");
        assert_eq!(offer["travellers"], 2);
        assert_eq!(offer["comparablePrice"]["currency"], "EUR");
        if offer["price"]["currency"] == "EUR" {
            assert_eq!(offer["comparablePrice"], offer["price"]);
        }
    }
    let answered: Vec<(String, i64)> = found["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["outcome"], "ANSWERED");
            (
                s["supplier"].as_str().unwrap().to_owned(),
                s["offers"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        answered.iter().map(|(_, n)| n).sum::<i64>(),
        offers.len() as i64
    );

    // Compared in another currency on request.
    let mut in_usd = flights.clone();
    in_usd["c"] = json!("USD");
    let usd = client.data(FLIGHTS, in_usd).await["searchFlights"].clone();
    assert_eq!(usd["comparedIn"], "USD");
    let usd_offers = usd["offers"].as_array().unwrap().clone();
    cheapest_first(&usd_offers);
    assert!(usd_offers
        .iter()
        .all(|o| o["comparablePrice"]["currency"] == "USD"));

    // Bad searches are refused as such.
    let mut unknown = flights.clone();
    unknown["to"] = json!("ZZZ");
    assert_eq!(client.error_code(FLIGHTS, unknown).await, "NOT_FOUND");
    let mut nobody = flights.clone();
    nobody["n"] = json!(0);
    assert_eq!(client.error_code(FLIGHTS, nobody).await, "VALIDATION");
    let mut odd_currency = flights.clone();
    odd_currency["c"] = json!("XYZ");
    assert_eq!(client.error_code(FLIGHTS, odd_currency).await, "VALIDATION");
    let mut past = flights.clone();
    past["date"] = json!(day(-3));
    assert_eq!(client.error_code(FLIGHTS, past).await, "VALIDATION");

    // One supplier down, another slower than its timeout: the rest still answer.
    simulator
        .set_faults(
            "farefox",
            &FaultSettings {
                outage: true,
                ..FaultSettings::NONE
            },
        )
        .await
        .unwrap();
    simulator
        .set_faults(
            "skyhop",
            &FaultSettings {
                latency_ms: 8_000,
                ..FaultSettings::NONE
            },
        )
        .await
        .unwrap();
    let degraded = client.data(FLIGHTS, flights.clone()).await["searchFlights"].clone();
    assert_eq!(degraded["partial"], true);
    let outcomes: Vec<(String, String)> = degraded["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["supplier"].as_str().unwrap().to_owned(),
                s["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("aerolux".to_owned(), "ANSWERED".to_owned()),
            ("skyhop".to_owned(), "TIMED_OUT".to_owned()),
            ("farefox".to_owned(), "UNAVAILABLE".to_owned()),
        ]
    );
    let left = degraded["offers"].as_array().unwrap().clone();
    assert_eq!(suppliers_of(&left), ["aerolux".to_owned()].into());
    for supplier in ["farefox", "skyhop"] {
        simulator.reset_faults(supplier).await.unwrap();
    }

    // Hotels and activities compare the same way.
    let hotels = client
        .data(
            HOTELS,
            json!({ "city": PARIS, "in": day(40), "out": day(43) }),
        )
        .await["searchHotels"]
        .clone();
    let hotel_offers = hotels["offers"].as_array().unwrap().clone();
    assert!(!hotel_offers.is_empty());
    assert_eq!(suppliers_of(&hotel_offers).len(), 3);
    cheapest_first(&hotel_offers);
    for offer in &hotel_offers {
        assert_eq!(offer["nights"], 3);
        assert_eq!(offer["city"]["name"], "Paris");
    }
    assert_eq!(
        client
            .error_code(
                HOTELS,
                json!({ "city": PARIS, "in": day(43), "out": day(40) }),
            )
            .await,
        "VALIDATION",
        "check-out before check-in"
    );
    assert_eq!(
        client
            .error_code(HOTELS, json!({ "city": 1, "in": day(40), "out": day(41) }))
            .await,
        "NOT_FOUND"
    );
    let activities = client
        .data(ACTIVITIES, json!({ "city": PARIS, "date": day(40) }))
        .await["searchActivities"]
        .clone();
    let activity_offers = activities["offers"].as_array().unwrap().clone();
    assert!(!activity_offers.is_empty());
    cheapest_first(&activity_offers);
    assert!(activity_offers.iter().all(|o| o["participants"] == 3));
    system.stop().await;
}

/// A supplier the simulator does not know (a typo in `WAYFARER_SUPPLIERS`) refuses every
/// call: it is left out like one that is down, not taken as the search's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_misconfigured_supplier_is_left_out_not_taken_as_the_answer() {
    let mut settings = wayfarer_tests::system::isolated_settings("travelmisnamed");
    settings.api.suppliers.names = vec!["aerolux".into(), "nosuchsupplier".into()];
    let system = TestSystem::start_with(settings, Roles::all())
        .await
        .unwrap();
    let found = system
        .graphql()
        .data(
            FLIGHTS,
            json!({ "from": "CDG", "to": "JFK", "date": day(30), "n": 1 }),
        )
        .await["searchFlights"]
        .clone();
    assert_eq!(found["partial"], true);
    assert_eq!(found["suppliers"][1]["supplier"], "nosuchsupplier");
    assert_eq!(found["suppliers"][1]["outcome"], "UNAVAILABLE");
    let offers = found["offers"].as_array().unwrap();
    assert!(!offers.is_empty());
    assert!(offers.iter().all(|o| o["supplier"] == "aerolux"));
    system.stop().await;
}
