//! Wallets through the real services: cards tokenised by the simulated payment gateway over
//! HTTP, top-ups charged through it exactly once per idempotency key, declines and gateway
//! outages as typed errors with nothing recorded, the history, and who may see what.

use std::time::Duration;

use serde_json::{json, Value};
use wayfarer_schemas::wallet_id;
use wayfarer_suppliers::api::{CreatePaymentIntent, CurrencyCode, FaultSettings};
use wayfarer_suppliers::client::{AdminClient, GatewayClient};
use wayfarer_suppliers::{CARD_DECLINED, CARD_INSUFFICIENT_FUNDS, CARD_SUCCEEDS, SIGNATURE_HEADER};
use wayfarer_tests::cards::tokenise;
use wayfarer_tests::{Roles, TestSystem};

use crate::people::{banned_by_an_admin, person};

const TOP_UP: &str = "mutation($c: String!, $a: Int!, $pm: String, $k: UUID) { topUpWallet(currency: $c, amountMinor: $a, paymentMethod: $pm, idempotencyKey: $k) { walletId position replayed paymentReference } }";
const SET_CARD: &str = "mutation($c: String!, $pm: String!) { updatePaymentMethod(currency: $c, paymentMethod: $pm) { walletId position } }";
const WALLET: &str = "query($c: String!, $p: Position) { wallet(currency: $c, afterPosition: $p) { id currency balance { amountMinor currency } held { amountMinor } available { amountMinor } paymentMethod { token brand last4 expMonth expYear } } }";
const WALLETS: &str =
    "query($p: Position) { wallets(afterPosition: $p) { currency balance { amountMinor } } }";
const HISTORY: &str = "query($c: String, $first: Int, $after: String, $p: Position) { walletTransactions(currency: $c, first: $first, after: $after, afterPosition: $p) { edges { cursor node { kind amount { amountMinor currency } paymentReference balanceAfter { amountMinor } availableAfter { amountMinor } } } pageInfo { hasNextPage } } }";
const PAYMENTS: &str = "query($first: Int, $after: String) { paymentHistory(first: $first, after: $after) { edges { cursor node { kind amount { amountMinor currency } } } pageInfo { hasNextPage } } }";

/// The gateway and the simulator's admin endpoint of a running system.
fn gateway_of(system: &TestSystem) -> (GatewayClient, AdminClient) {
    let suppliers = system.suppliers_url.clone().unwrap();
    (
        GatewayClient::new(suppliers.clone(), Duration::from_secs(10)),
        AdminClient::new(suppliers, Duration::from_secs(10)),
    )
}

/// Takes the simulated gateway down (until its faults are reset).
async fn gateway_down(simulator: &AdminClient) {
    simulator
        .set_faults(
            "gateway",
            &FaultSettings {
                outage: true,
                ..FaultSettings::NONE
            },
        )
        .await
        .unwrap();
}

fn nodes(data: &Value, field: &str) -> Vec<Value> {
    data[field]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wallet_is_topped_up_through_the_gateway_once_per_key_and_declines_record_nothing() {
    let system = TestSystem::start("wallet", Roles::all()).await.unwrap();
    let (gateway, admin_of_simulator) = gateway_of(&system);
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;

    // The card: a token the gateway issued, never the number.
    let card = tokenise(&gateway, CARD_SUCCEEDS).await;
    for bad in [
        "pm_never_issued",
        "pm_../payment-intents/x",
        "pm_\u{0}",
        "",
        &"pm_x".repeat(500),
    ] {
        assert_eq!(
            ada.client
                .error_code(SET_CARD, json!({ "c": "EUR", "pm": bad }))
                .await,
            "VALIDATION",
            "{bad:?}"
        );
        assert_eq!(
            ada.client
                .error_code(
                    TOP_UP,
                    json!({ "c": "EUR", "a": 100, "pm": bad, "k": uuid::Uuid::new_v4() })
                )
                .await,
            "VALIDATION",
            "{bad:?}"
        );
    }
    let set = ada
        .client
        .data(SET_CARD, json!({ "c": "EUR", "pm": card }))
        .await;
    let wallet = ada
        .client
        .data(
            WALLET,
            json!({ "c": "EUR", "p": set["updatePaymentMethod"]["position"] }),
        )
        .await["wallet"]
        .clone();
    assert_eq!(wallet["paymentMethod"]["last4"], "4242");
    assert_eq!(wallet["paymentMethod"]["brand"], "VISA");
    assert_eq!(wallet["balance"]["amountMinor"], 0);
    assert!(!wallet.to_string().contains(CARD_SUCCEEDS));

    // A top-up charges the wallet's card; the same key charges it once.
    let key = uuid::Uuid::new_v4();
    let first = ada
        .client
        .data(TOP_UP, json!({ "c": "EUR", "a": 50_00, "k": key }))
        .await["topUpWallet"]
        .clone();
    let reference = first["paymentReference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("pi_"));
    assert_eq!(first["replayed"], false);
    let again = ada
        .client
        .data(TOP_UP, json!({ "c": "EUR", "a": 50_00, "k": key }))
        .await["topUpWallet"]
        .clone();
    assert_eq!(again["paymentReference"], reference.as_str());
    assert_eq!(again["replayed"], true);
    let charged = gateway.payment_intent(&reference).await.unwrap();
    assert_eq!(charged.amount_minor, 50_00);
    // The same key for another amount is refused before anything is charged.
    assert_eq!(
        ada.client
            .error_code(TOP_UP, json!({ "c": "EUR", "a": 60_00, "k": key }))
            .await,
        "CONFLICT"
    );

    // Declined cards and bad input record nothing.
    for (number, code) in [
        (CARD_DECLINED, "card_declined"),
        (CARD_INSUFFICIENT_FUNDS, "insufficient_funds"),
    ] {
        let token = tokenise(&gateway, number).await;
        let answer = ada
            .client
            .execute(
                TOP_UP,
                json!({ "c": "EUR", "a": 10_00, "pm": token, "k": uuid::Uuid::new_v4() }),
            )
            .await;
        let error = &answer["errors"][0]["extensions"];
        assert_eq!(error["code"], "PAYMENT_DECLINED", "{answer}");
        assert_eq!(error["declineCode"], code, "{answer}");
    }
    for (currency, amount) in [
        ("EUR", 0),
        ("EUR", -5),
        ("EUR", 100_000_001),
        ("eur", 100),
        ("XYZ", 100),
    ] {
        assert_eq!(
            ada.client
                .error_code(
                    TOP_UP,
                    json!({ "c": currency, "a": amount, "k": uuid::Uuid::new_v4() })
                )
                .await,
            "VALIDATION",
            "{currency} {amount}"
        );
    }
    // A currency without a card: name one. And a top-up always names its key.
    assert_eq!(
        ada.client
            .error_code(
                TOP_UP,
                json!({ "c": "USD", "a": 100, "k": uuid::Uuid::new_v4() })
            )
            .await,
        "VALIDATION"
    );
    assert_eq!(
        ada.client
            .error_code(TOP_UP, json!({ "c": "EUR", "a": 100, "pm": card }))
            .await,
        "VALIDATION"
    );
    assert_eq!(
        ada.client
            .error_code(SET_CARD, json!({ "c": "XYZ", "pm": card }))
            .await,
        "VALIDATION"
    );

    // The gateway is down: UNAVAILABLE, and the retry with the same key charges once.
    gateway_down(&admin_of_simulator).await;
    let retry_key = uuid::Uuid::new_v4();
    assert_eq!(
        ada.client
            .error_code(TOP_UP, json!({ "c": "EUR", "a": 25_00, "k": retry_key }))
            .await,
        "UNAVAILABLE"
    );
    admin_of_simulator.reset_faults("gateway").await.unwrap();
    let retried = ada
        .client
        .data(TOP_UP, json!({ "c": "EUR", "a": 25_00, "k": retry_key }))
        .await["topUpWallet"]
        .clone();

    let history = ada
        .client
        .data(
            HISTORY,
            json!({ "c": "EUR", "first": 10, "p": retried["position"] }),
        )
        .await;
    let moves = nodes(&history, "walletTransactions");
    let kinds: Vec<(&str, i64, i64)> = moves
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap(),
                m["amount"]["amountMinor"].as_i64().unwrap(),
                m["balanceAfter"]["amountMinor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![("DEPOSIT", 25_00, 75_00), ("DEPOSIT", 50_00, 50_00)],
        "newest first, each top-up once"
    );
    assert_eq!(moves[1]["paymentReference"], reference.as_str());
    let wallet = ada.client.data(WALLET, json!({ "c": "EUR" })).await["wallet"].clone();
    assert_eq!(wallet["balance"]["amountMinor"], 75_00);
    assert_eq!(wallet["available"]["amountMinor"], 75_00);
    assert_eq!(wallet["held"]["amountMinor"], 0);

    // Pages follow their cursor; the payment history lists the same deposits.
    let page = ada.client.data(PAYMENTS, json!({ "first": 1 })).await;
    let edges = page["paymentHistory"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(page["paymentHistory"]["pageInfo"]["hasNextPage"], true);
    let rest = ada
        .client
        .data(PAYMENTS, json!({ "first": 5, "after": edges[0]["cursor"] }))
        .await;
    let rest = nodes(&rest, "paymentHistory");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["amount"]["amountMinor"], 50_00);
    assert_eq!(
        ada.client
            .error_code(PAYMENTS, json!({ "after": "bm90IGEgY3Vyc29y" }))
            .await,
        "VALIDATION"
    );

    // Each person sees only their own money.
    let theirs = bea.client.data(WALLETS, json!({})).await;
    assert_eq!(theirs["wallets"], json!([]));
    let theirs = bea.client.data(WALLET, json!({ "c": "EUR" })).await;
    assert!(theirs["wallet"].is_null());
    let theirs = bea.client.data(HISTORY, json!({})).await;
    assert!(nodes(&theirs, "walletTransactions").is_empty());
    for (operation, variables) in [
        (TOP_UP, json!({ "c": "EUR", "a": 100, "pm": card })),
        (SET_CARD, json!({ "c": "EUR", "pm": card })),
        (WALLET, json!({ "c": "EUR" })),
        (WALLETS, json!({})),
        (HISTORY, json!({})),
        (PAYMENTS, json!({})),
    ] {
        assert_eq!(
            anonymous.error_code(operation, variables).await,
            "UNAUTHENTICATED",
            "{operation}"
        );
    }
    // A card set a moment ago is the one a top-up charges at once (read from the store, not
    // from the model, which may not have it yet).
    let bea_card = tokenise(&gateway, CARD_SUCCEEDS).await;
    bea.client
        .data(SET_CARD, json!({ "c": "GBP", "pm": bea_card }))
        .await;
    let at_once = bea
        .client
        .data(
            TOP_UP,
            json!({ "c": "GBP", "a": 2_00, "k": uuid::Uuid::new_v4() }),
        )
        .await;
    let at_once = gateway
        .payment_intent(at_once["topUpWallet"]["paymentReference"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(at_once.payment_method, bea_card);

    // Bea using Ada's card token charges Bea's own wallet, never Ada's.
    let bea_paid = bea
        .client
        .data(
            TOP_UP,
            json!({ "c": "EUR", "a": 1_00, "pm": card, "k": uuid::Uuid::new_v4() }),
        )
        .await;
    let bea_wallet = bea
        .client
        .data(
            WALLET,
            json!({ "c": "EUR", "p": bea_paid["topUpWallet"]["position"] }),
        )
        .await;
    assert_eq!(bea_wallet["wallet"]["balance"]["amountMinor"], 1_00);
    assert_ne!(bea_wallet["wallet"]["id"], wallet["id"]);

    // A banned person pays nothing in.
    banned_by_an_admin(&system, &anonymous, &bea).await;
    assert_eq!(
        bea.client
            .error_code(
                TOP_UP,
                json!({ "c": "EUR", "a": 100, "pm": card, "k": uuid::Uuid::new_v4() })
            )
            .await,
        "FORBIDDEN"
    );

    // The model rebuilds to the same wallets and history.
    let before = (
        ada.client.data(WALLET, json!({ "c": "EUR" })).await,
        ada.client.data(HISTORY, json!({ "first": 10 })).await,
    );
    system.rebuild(wayfarer_projections::wallet::NAME).await;
    let after = (
        ada.client.data(WALLET, json!({ "c": "EUR" })).await,
        ada.client.data(HISTORY, json!({ "first": 10 })).await,
    );
    assert_eq!(after, before);
    system.stop().await;
}

const PROCESS: &str = "mutation($input: PaymentInput!, $k: UUID) { processPayment(input: $input, idempotencyKey: $k) { paymentReference walletId amount { amountMinor currency } position replayed } }";
const REFUND_PAYMENT: &str = "mutation($c: String!, $ref: String!, $a: Int!, $k: UUID) { refundPayment(currency: $c, paymentReference: $ref, amountMinor: $a, idempotencyKey: $k) { refundReference paymentReference amount { amountMinor } position replayed } }";
const PAID_BACK: &str = "query { paymentHistory(first: 20) { edges { node { kind amount { amountMinor } paymentReference } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_goes_into_the_wallet_and_back_to_its_card_once_and_never_more_than_it_brought() {
    let system = TestSystem::start("payments", Roles::all()).await.unwrap();
    let (gateway, simulator) = gateway_of(&system);
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let bea = person(&anonymous, "bea").await;
    let card = tokenise(&gateway, CARD_SUCCEEDS).await;
    let balance = |p: Value| {
        let client = ada.client.clone();
        async move {
            client.data(WALLET, json!({ "c": "EUR", "p": p })).await["wallet"]["balance"]
                ["amountMinor"]
                .as_i64()
                .unwrap()
        }
    };

    // processPayment: the card is charged once per key and the money is in the wallet.
    let input = json!({ "currency": "EUR", "amountMinor": 80_00, "paymentMethod": card });
    assert_eq!(
        ada.client
            .error_code(PROCESS, json!({ "input": input }))
            .await,
        "VALIDATION",
        "a payment needs its idempotency key"
    );
    let key = uuid::Uuid::new_v4();
    let paid = ada
        .client
        .data(PROCESS, json!({ "input": input, "k": key }))
        .await["processPayment"]
        .clone();
    assert_eq!(
        paid["amount"],
        json!({ "amountMinor": 80_00, "currency": "EUR" })
    );
    assert_eq!(paid["replayed"], false);
    let reference = paid["paymentReference"].as_str().unwrap().to_owned();
    // What the gateway has refunded of the payment.
    let refunded = || async {
        gateway
            .payment_intent(&reference)
            .await
            .unwrap()
            .amount_refunded
    };
    let again = ada
        .client
        .data(PROCESS, json!({ "input": input, "k": key }))
        .await["processPayment"]
        .clone();
    assert_eq!(
        (
            again["paymentReference"].as_str(),
            again["replayed"].as_bool()
        ),
        (Some(reference.as_str()), Some(true))
    );
    assert_eq!(balance(paid["position"].clone()).await, 80_00);

    // refundPayment: part of it back to the card, once per key.
    let refund = |amount: i64, key: uuid::Uuid| json!({ "c": "EUR", "ref": reference, "a": amount, "k": key });
    let key = uuid::Uuid::new_v4();
    let back = ada.client.data(REFUND_PAYMENT, refund(30_00, key)).await["refundPayment"].clone();
    assert!(back["refundReference"].as_str().unwrap().starts_with("re_"));
    assert_eq!(back["amount"]["amountMinor"], 30_00);
    let twice = ada.client.data(REFUND_PAYMENT, refund(30_00, key)).await["refundPayment"].clone();
    assert_eq!(twice["refundReference"], back["refundReference"]);
    assert_eq!(twice["replayed"], true);
    assert_eq!(refunded().await, 30_00);
    assert_eq!(balance(back["position"].clone()).await, 50_00);

    // Refused: more than is left of the payment, the same key for another amount, a payment
    // that is not the wallet's, a malformed reference, no key; another person's payment
    // looks missing.
    let code = |variables: Value| {
        let client = ada.client.clone();
        async move { client.error_code(REFUND_PAYMENT, variables).await }
    };
    assert_eq!(
        code(refund(50_01, uuid::Uuid::new_v4())).await,
        "VALIDATION"
    );
    assert_eq!(code(refund(10_00, key)).await, "CONFLICT");
    assert_eq!(code(refund(0, uuid::Uuid::new_v4())).await, "VALIDATION");
    assert_eq!(
        code(json!({ "c": "EUR", "ref": "pi_never_paid", "a": 100, "k": uuid::Uuid::new_v4() }))
            .await,
        "NOT_FOUND"
    );
    for bad in ["pi_../refunds", "pi_\u{0}", "", "re_abc"] {
        assert_eq!(
            code(json!({ "c": "EUR", "ref": bad, "a": 100, "k": uuid::Uuid::new_v4() })).await,
            "VALIDATION",
            "{bad:?}"
        );
    }
    assert_eq!(
        code(json!({ "c": "EUR", "ref": reference, "a": 100 })).await,
        "VALIDATION"
    );
    assert_eq!(
        bea.client
            .error_code(REFUND_PAYMENT, refund(100, uuid::Uuid::new_v4()))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        anonymous
            .error_code(REFUND_PAYMENT, refund(100, uuid::Uuid::new_v4()))
            .await,
        "UNAUTHENTICATED"
    );
    assert_eq!(refunded().await, 30_00);

    // The gateway is down: the money has left the wallet, and the retry with the same key
    // refunds the card exactly once.
    gateway_down(&simulator).await;
    let key = uuid::Uuid::new_v4();
    assert_eq!(code(refund(20_00, key)).await, "UNAVAILABLE");
    simulator.reset_faults("gateway").await.unwrap();
    let retried =
        ada.client.data(REFUND_PAYMENT, refund(20_00, key)).await["refundPayment"].clone();
    assert_eq!(retried["replayed"], true);
    assert_eq!(refunded().await, 50_00);
    assert_eq!(balance(retried["position"].clone()).await, 30_00);

    // The history lists the payment and what went back, each with the payment's reference.
    let history = ada.client.data(PAID_BACK, json!({})).await;
    let listed: Vec<(String, i64)> = nodes(&history, "paymentHistory")
        .iter()
        .filter(|n| n["paymentReference"] == reference.as_str())
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["amount"]["amountMinor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("WITHDRAWAL".to_owned(), 20_00),
            ("WITHDRAWAL".to_owned(), 30_00),
            ("DEPOSIT".to_owned(), 80_00)
        ]
    );
    system.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_gateways_signed_word_deposits_a_top_up_the_api_never_recorded_once() {
    let system = TestSystem::start("webhooks", Roles::all()).await.unwrap();
    let (gateway, simulator) = gateway_of(&system);
    let webhook = format!("{}/webhooks/gateway", system.api_url.clone().unwrap());
    simulator.set_webhook(Some(&webhook)).await.unwrap();
    let anonymous = system.graphql();
    let ada = person(&anonymous, "ada").await;
    let card = tokenise(&gateway, CARD_SUCCEEDS).await;

    // An ordinary top-up: recorded by the API, and the gateway's word about it changes
    // nothing.
    ada.client
        .data(
            TOP_UP,
            json!({ "c": "EUR", "a": 40_00, "pm": card, "k": uuid::Uuid::new_v4() }),
        )
        .await;
    // A payment the API took but never recorded (cut off between the charge and the
    // record, and never retried): the gateway's webhook deposits it.
    let owner = uuid::Uuid::parse_str(&ada.id).unwrap();
    let operation = uuid::Uuid::new_v4();
    let metadata = std::collections::BTreeMap::from([
        ("walletId".to_owned(), wallet_id(owner, "EUR").to_string()),
        ("operationId".to_owned(), operation.to_string()),
        ("ownerId".to_owned(), owner.to_string()),
    ]);
    let intent = gateway
        .create_payment_intent(
            &format!("top-up-{operation}"),
            &CreatePaymentIntent {
                amount_minor: 25_00,
                currency: CurrencyCode::EUR,
                payment_method: card.clone(),
                description: Some("Wayfarer wallet top-up".into()),
                metadata,
            },
        )
        .await
        .unwrap();
    gateway.confirm_payment_intent(&intent.id).await.unwrap();
    TestSystem::eventually(Duration::from_secs(30), "the webhook's deposit", || async {
        let wallet = ada.client.data(WALLET, json!({ "c": "EUR" })).await;
        wallet["wallet"]["balance"]["amountMinor"] == 65_00
    })
    .await;
    let history = ada.client.data(HISTORY, json!({ "c": "EUR" })).await;
    let deposits: Vec<Value> = nodes(&history, "walletTransactions")
        .into_iter()
        .filter(|n| n["kind"] == "DEPOSIT")
        .collect();
    assert_eq!(deposits.len(), 2, "one deposit per payment: {deposits:?}");
    assert!(deposits
        .iter()
        .any(|d| d["paymentReference"] == intent.id.as_str()));

    // Unsigned, forged or tampered deliveries are refused and deposit nothing.
    let http = reqwest::Client::new();
    let forged = json!({ "id": "evt_forged", "type": "payment_intent.succeeded", "data": { "paymentIntent": intent }, "created": chrono::Utc::now() });
    for signature in [None, Some("t=1,v1=00"), Some("garbage")] {
        let mut request = http.post(&webhook).json(&forged);
        if let Some(signature) = signature {
            request = request.header(SIGNATURE_HEADER, signature);
        }
        assert_eq!(request.send().await.unwrap().status(), 400, "{signature:?}");
    }
    let wallet = ada.client.data(WALLET, json!({ "c": "EUR" })).await;
    assert_eq!(wallet["wallet"]["balance"]["amountMinor"], 65_00);
    system.stop().await;
}
