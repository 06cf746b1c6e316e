//! Budget and split expenses through GraphQL on the real services: expenses in two currencies
//! converted at their day's ECB rate, budgets, balances that sum to zero and a settle-up
//! plan; who may record money; and the exchange-rate feed read over HTTP.

use serde_json::{json, Value};
use wayfarer_read_api::rates::{EcbFeedRates, ExchangeRates};
use wayfarer_tests::{GraphqlClient, Roles, TestSystem};

use crate::support::*;

const ADD: &str = "mutation($id: UUID!, $item: UUID!, $input: ExpenseInput!) { addExpense(itineraryId: $id, itemId: $item, input: $input) { expenseId position } }";
const SUMMARY: &str = "query($id: UUID!, $p: Position) { expensesSummary(itineraryId: $id, afterPosition: $p) { baseCurrency total { amountMinor currency } byCategory { category spent { amountMinor } budget { amountMinor } remaining { amountMinor } overBudget } byCurrency { amountMinor currency } balances { userId paid { amountMinor } owed { amountMinor } net { amountMinor } } settleUp { fromUserId toUserId amount { amountMinor } } ratesSource } }";

fn expense(amount: i64, currency: &str, paid_by: &str, among: &[&str]) -> Value {
    json!({
        "amountMinor": amount, "currency": currency, "category": "DINING",
        "description": "Dinner", "date": "2027-05-02", "paidBy": paid_by,
        "split": { "method": "EQUALLY", "participants": among.iter().map(|u| json!({ "userId": u })).collect::<Vec<_>>() }
    })
}

async fn join(owner: &GraphqlClient, member: &GraphqlClient, id: &str, user: &str, level: &str) {
    owner
        .data(
            "mutation($id: UUID!, $u: UUID!, $l: AccessLevel!) { inviteCollaborator(itineraryId: $id, userId: $u, accessLevel: $l) { version } }",
            json!({ "id": id, "u": user, "l": level }),
        )
        .await;
    member
        .data(
            "mutation($id: UUID!) { acceptInvitation(itineraryId: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expenses_in_two_currencies_sum_in_the_base_one_and_settle_up() {
    let roles = Roles {
        api: true,
        relay: true,
        sagas: false,
        projectors: vec![
            wayfarer_projections::itinerary::pg::NAME,
            wayfarer_projections::itinerary::expenses::NAME,
        ],
    };
    let system = TestSystem::start("expenses", roles).await.unwrap();
    let anonymous = system.graphql();
    let (ada, ada_id) = anonymous.register_user("ada").await;
    let (bea, bea_id) = anonymous.register_user("bea").await;
    let (cem, cem_id) = anonymous.register_user("cem").await;
    let (id, _) = create(&ada, "Lisbon, shared", "PUBLIC").await;
    let (item_id, _) = add(&ada, &id, item("Dinner in Alfama", 2, None)).await;
    join(&ada, &bea, &id, &bea_id, "EDIT").await;
    join(&ada, &cem, &id, &cem_id, "VIEW").await;

    // Ada paid 90.00 EUR for three; Bea paid 110.05 USD (100.00 EUR at the rate) for two.
    ada.data(
        ADD,
        json!({ "id": id, "item": item_id, "input": expense(9_000, "EUR", &ada_id, &[&ada_id, &bea_id, &cem_id]) }),
    )
    .await;
    let second = bea
        .data(
            ADD,
            json!({ "id": id, "item": item_id, "input": expense(11_005, "USD", &bea_id, &[&ada_id, &bea_id]) }),
        )
        .await;
    // VIEW records no money; a stranger is not part of a split; bad input is VALIDATION.
    let before = event_count(&system.pool, &id).await;
    let code = cem
        .error_code(
            ADD,
            json!({ "id": id, "item": item_id, "input": expense(100, "EUR", &cem_id, &[&cem_id]) }),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let (_, stranger_id) = anonymous.register_user("stranger").await;
    for input in [
        expense(100, "EUR", &ada_id, &[&ada_id, &stranger_id]),
        expense(100, "XYZ", &ada_id, &[&ada_id]),
        expense(0, "EUR", &ada_id, &[&ada_id]),
        json!({ "amountMinor": 100, "currency": "EUR", "category": "DINING", "date": "2027-05-02", "paidBy": ada_id,
                "split": { "method": "EXACT", "participants": [{ "userId": ada_id, "amountMinor": 60 }, { "userId": bea_id, "amountMinor": 30 }] } }),
        json!({ "amountMinor": 100, "currency": "EUR", "category": "DINING", "date": "2027-05-02", "paidBy": ada_id,
                "split": { "method": "SHARES", "participants": [{ "userId": ada_id }] } }),
    ] {
        let code = ada
            .error_code(ADD, json!({ "id": id, "item": item_id, "input": input }))
            .await;
        assert_eq!(code, "VALIDATION", "{input}");
    }
    assert_eq!(
        event_count(&system.pool, &id).await,
        before,
        "refusals stored nothing"
    );
    let budget = ada
        .data(
            "mutation($id: UUID!) { setBudget(itineraryId: $id, category: DINING, amountMinor: 15000) { position } }",
            json!({ "id": id }),
        )
        .await;

    let summary = cem
        .data(
            SUMMARY,
            json!({ "id": id, "p": budget["setBudget"]["position"] }),
        )
        .await["expensesSummary"]
        .clone();
    assert_eq!(
        summary["total"],
        json!({ "amountMinor": 19_000, "currency": "EUR" })
    );
    let dining = &summary["byCategory"][0];
    assert_eq!(dining["spent"]["amountMinor"], 19_000);
    assert_eq!(dining["budget"]["amountMinor"], 15_000);
    assert_eq!(dining["remaining"]["amountMinor"], -4_000);
    assert_eq!(dining["overBudget"], true);
    let currencies: Vec<&str> = summary["byCurrency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["EUR", "USD"]);
    let net = |user: &str| {
        summary["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["userId"] == user)
            .map(|b| b["net"]["amountMinor"].as_i64().unwrap())
            .unwrap()
    };
    assert_eq!(
        (net(&ada_id), net(&bea_id), net(&cem_id)),
        (1_000, 2_000, -3_000)
    );
    let transfers = summary["settleUp"].as_array().unwrap();
    assert_eq!(transfers.len(), 2);
    assert!(transfers.iter().all(|t| t["fromUserId"] == cem_id.as_str()));
    assert!(summary["ratesSource"]
        .as_str()
        .unwrap()
        .contains("European Central Bank"));

    // The list, newest day first; an update and a delete change the summary.
    let listed = ada
        .data(
            "query($id: UUID!) { expensesForItinerary(itineraryId: $id) { edges { node { id amount { amountMinor currency } paidBy parts { userId amountMinor } } } } }",
            json!({ "id": id }),
        )
        .await;
    let edges = listed["expensesForItinerary"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2);
    let usd = second["addExpense"]["expenseId"].as_str().unwrap();
    let updated = bea
        .data(
            "mutation($id: UUID!, $e: UUID!, $input: ExpenseInput!) { updateExpense(itineraryId: $id, expenseId: $e, input: $input) { position } }",
            json!({ "id": id, "e": usd, "input": expense(11_005, "USD", &bea_id, &[&bea_id]) }),
        )
        .await;
    let summary = ada
        .data(
            SUMMARY,
            json!({ "id": id, "p": updated["updateExpense"]["position"] }),
        )
        .await;
    assert_eq!(
        summary["expensesSummary"]["settleUp"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let deleted = ada
        .data(
            "mutation($id: UUID!, $e: UUID!) { deleteExpense(itineraryId: $id, expenseId: $e) { position } }",
            json!({ "id": id, "e": usd }),
        )
        .await;
    let summary = ada
        .data(
            SUMMARY,
            json!({ "id": id, "p": deleted["deleteExpense"]["position"] }),
        )
        .await;
    assert_eq!(summary["expensesSummary"]["total"]["amountMinor"], 9_000);

    // Money is for members: a stranger sees none of it, even on a public itinerary.
    let (stranger, _) = anonymous.register_user("outsider").await;
    let hidden = stranger.data(SUMMARY, json!({ "id": id })).await;
    assert!(hidden["expensesSummary"].is_null());
    // Nor what changed last (it may name money or people): members see it, others null.
    let last = "query($id: UUID!) { itinerary(id: $id) { title lastChange { description } } }";
    let seen = stranger.data(last, json!({ "id": id })).await;
    assert_eq!(seen["itinerary"]["title"], "Lisbon, shared");
    assert!(seen["itinerary"]["lastChange"].is_null());
    let seen = cem.data(last, json!({ "id": id })).await;
    assert!(seen["itinerary"]["lastChange"]["description"].is_string());

    // The CurrencyService.
    let rates = anonymous
        .data(
            "{ exchangeRate(from: \"EUR\", to: \"USD\", date: \"2020-01-28\") { rate rateDate } convertCurrency(amountMinor: 10000, from: \"EUR\", to: \"JPY\", date: \"2020-01-25\") { amount { amountMinor currency } rate { rateDate } } supportedCurrencies }",
            json!({}),
        )
        .await;
    assert_eq!(rates["exchangeRate"]["rate"], "1.100500");
    assert_eq!(rates["convertCurrency"]["rate"]["rateDate"], "2020-01-24");
    assert_eq!(rates["convertCurrency"]["amount"]["currency"], "JPY");
    assert_eq!(rates["supportedCurrencies"].as_array().unwrap().len(), 33);
    let code = anonymous
        .error_code(
            "{ exchangeRate(from: \"EUR\", to: \"XYZ\") { rate } }",
            json!({}),
        )
        .await;
    assert_eq!(code, "VALIDATION");
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ecb_feed_is_read_over_http_and_its_last_table_outlives_an_outage() {
    // A stand-in for the ECB's server, serving one day in its format.
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\"><Cube><Cube time=\"2026-11-27\"><Cube currency=\"USD\" rate=\"1.0412\"/><Cube currency=\"JPY\" rate=\"158.2\"/></Cube></Cube></gesmes:Envelope>";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let app =
            axum::Router::new().route("/rates.xml", axum::routing::get(move || async move { xml }));
        axum::serve(listener, app).await.unwrap();
    });
    let feed = EcbFeedRates::new(format!("http://{address}/rates.xml")).unwrap();
    let table = feed.table().await.unwrap();
    assert_eq!(table.currencies(), ["EUR", "JPY", "USD"]);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    assert_eq!(table.convert(10_000, "EUR", "USD", date).unwrap().0, 10_412);
    // The server goes away: the table already read keeps serving.
    server.abort();
    let _ = server.await;
    assert!(feed.table().await.is_ok());
    // A feed never read is UNAVAILABLE rather than wrong.
    let dead = EcbFeedRates::new(format!("http://{address}/rates.xml")).unwrap();
    assert!(matches!(
        dead.table().await,
        Err(wayfarer_read_api::error::ApiError::Unavailable(_))
    ));
}
