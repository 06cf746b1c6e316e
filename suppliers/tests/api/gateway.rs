//! The payment gateway: test cards, tokenisation, refunds and idempotency.

use std::time::{Duration, Instant};

use serde_json::json;
use wayfarer_suppliers::api::{CardBrand, CreateRefund, FailureCode, PaymentIntentStatus};
use wayfarer_suppliers::client::{ClientError, GatewayClient};
use wayfarer_suppliers::{
    SimulatorConfig, CARD_DECLINED, CARD_INSUFFICIENT_FUNDS, CARD_SLOW, CARD_SUCCEEDS,
};

use crate::helpers::*;

/// A quiet simulator whose slow card answers after `delay`.
async fn with_slow_delay(delay: Duration) -> TestSimulator {
    let config = SimulatorConfig {
        gateway_slow_delay: delay,
        ..SimulatorConfig::quiet(1)
    };
    TestSimulator::spawn(config).await
}

#[tokio::test]
async fn each_test_card_gives_its_outcome() {
    let simulator = with_slow_delay(Duration::from_millis(400)).await;
    let cases = [
        (CARD_SUCCEEDS, PaymentIntentStatus::Succeeded, None),
        (
            CARD_DECLINED,
            PaymentIntentStatus::Failed,
            Some(FailureCode::CardDeclined),
        ),
        (
            CARD_INSUFFICIENT_FUNDS,
            PaymentIntentStatus::Failed,
            Some(FailureCode::InsufficientFunds),
        ),
    ];
    for (card, status, failure) in cases {
        let id = simulator.intent(card, 12_500).await;
        let confirmed = simulator.gateway.confirm_payment_intent(&id).await.unwrap();
        assert_eq!(
            (confirmed.status, confirmed.failure_code),
            (status, failure),
            "{card}"
        );
    }

    let slow = simulator.intent(CARD_SLOW, 12_500).await;
    let started = Instant::now();
    let confirmed = simulator
        .gateway
        .confirm_payment_intent(&slow)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "the slow card is slow"
    );
    assert_eq!(confirmed.status, PaymentIntentStatus::Succeeded);
}

#[tokio::test]
async fn a_slow_card_times_out_an_impatient_client_and_settles_anyway() {
    let simulator = with_slow_delay(Duration::from_millis(600)).await;
    let id = simulator.intent(CARD_SLOW, 9_900).await;
    let impatient = GatewayClient::new(&simulator.base_url, Duration::from_millis(150));
    let answer = impatient.confirm_payment_intent(&id).await;
    assert!(
        matches!(answer, Err(ClientError::Timeout { .. })),
        "{answer:?}"
    );
    let meanwhile = simulator.gateway.payment_intent(&id).await.unwrap();
    assert_eq!(meanwhile.status, PaymentIntentStatus::Processing);

    tokio::time::sleep(Duration::from_millis(900)).await;
    let settled = simulator.gateway.payment_intent(&id).await.unwrap();
    assert_eq!(settled.status, PaymentIntentStatus::Succeeded);
}

#[tokio::test]
async fn tokenising_a_card_never_echoes_its_number() {
    let simulator = TestSimulator::quiet(1).await;
    let body = json!({"cardNumber": CARD_SUCCEEDS, "expMonth": 7, "expYear": 2039, "cvc": "987"});
    let (status, answer) = simulator
        .post_raw("/gateway/payment-methods", None, &body)
        .await;
    assert_eq!(status, 201);
    let text = answer.to_string();
    assert!(!text.contains(CARD_SUCCEEDS), "{text}");
    assert!(!text.contains("987"), "{text}");
    assert_eq!(answer["last4"], "4242");
    assert_eq!(answer["brand"], "VISA");
    assert!(answer["paymentMethod"].as_str().unwrap().starts_with("pm_"));

    let method = simulator
        .gateway
        .create_payment_method(&card(CARD_DECLINED))
        .await
        .unwrap();
    assert_eq!(
        (method.brand, method.last4.as_str()),
        (CardBrand::Visa, "0002")
    );
    // The token reads back as issued; a token never issued is unknown.
    let read = simulator
        .gateway
        .payment_method(&method.payment_method)
        .await
        .unwrap();
    assert_eq!(read, method);
    let unknown = simulator
        .gateway
        .payment_method("pm_never_issued")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some("UNKNOWN_PAYMENT_METHOD"));
}

#[tokio::test]
async fn invalid_and_expired_cards_are_refused() {
    let simulator = TestSimulator::quiet(1).await;
    let mistyped = simulator
        .gateway
        .create_payment_method(&card("4242424242424241"))
        .await;
    assert_eq!(rejected_code(mistyped), (400, "INVALID_CARD".into()));
    let mut expired = card(CARD_SUCCEEDS);
    expired.exp_year = 2020;
    let expired = simulator.gateway.create_payment_method(&expired).await;
    assert_eq!(rejected_code(expired), (400, "CARD_EXPIRED".into()));
}

#[tokio::test]
async fn refunds_are_limited_to_what_is_left_of_the_payment() {
    let simulator = TestSimulator::quiet(1).await;
    let id = simulator.intent(CARD_SUCCEEDS, 10_000).await;
    simulator.gateway.confirm_payment_intent(&id).await.unwrap();
    let refund = |amount_minor| CreateRefund {
        payment_intent: id.clone(),
        amount_minor,
    };
    let first = simulator
        .gateway
        .create_refund(&fresh_key(), &refund(6_000))
        .await
        .unwrap();
    assert!(first.id.starts_with("re_"));
    let too_much = simulator
        .gateway
        .create_refund(&fresh_key(), &refund(5_000))
        .await;
    assert_eq!(
        rejected_code(too_much),
        (422, "REFUND_EXCEEDS_PAYMENT".into())
    );
    simulator
        .gateway
        .create_refund(&fresh_key(), &refund(4_000))
        .await
        .unwrap();
    let intent = simulator.gateway.payment_intent(&id).await.unwrap();
    assert_eq!(intent.amount_refunded, 10_000);
}

#[tokio::test]
async fn a_payment_that_did_not_succeed_cannot_be_refunded() {
    let simulator = TestSimulator::quiet(1).await;
    let declined = simulator.intent(CARD_DECLINED, 5_000).await;
    simulator
        .gateway
        .confirm_payment_intent(&declined)
        .await
        .unwrap();
    let unconfirmed = simulator.intent(CARD_SUCCEEDS, 5_000).await;
    for id in [declined, unconfirmed] {
        let refund = CreateRefund {
            payment_intent: id,
            amount_minor: 100,
        };
        let refused = simulator.gateway.create_refund(&fresh_key(), &refund).await;
        assert_eq!(
            rejected_code(refused),
            (409, "PAYMENT_NOT_SUCCEEDED".into())
        );
    }
}

#[tokio::test]
async fn payment_intents_and_refunds_are_idempotent_by_key() {
    let simulator = TestSimulator::quiet(1).await;
    let method = simulator.card(CARD_SUCCEEDS).await;
    let key = fresh_key();
    let request = intent_request(&method, 7_000);
    let first = simulator
        .gateway
        .create_payment_intent(&key, &request)
        .await
        .unwrap();
    let again = simulator
        .gateway
        .create_payment_intent(&key, &request)
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    let other = intent_request(&method, 7_001);
    let reused = simulator.gateway.create_payment_intent(&key, &other).await;
    assert_eq!(
        rejected_code(reused),
        (422, "IDEMPOTENCY_KEY_REUSED".into())
    );
    let missing = simulator
        .post_raw(
            "/gateway/payment-intents",
            None,
            &serde_json::to_value(&request).unwrap(),
        )
        .await;
    assert_eq!(missing.0, 400);

    simulator
        .gateway
        .confirm_payment_intent(&first.id)
        .await
        .unwrap();
    let refund_key = fresh_key();
    let refund = CreateRefund {
        payment_intent: first.id.clone(),
        amount_minor: 2_500,
    };
    let once = simulator
        .gateway
        .create_refund(&refund_key, &refund)
        .await
        .unwrap();
    let twice = simulator
        .gateway
        .create_refund(&refund_key, &refund)
        .await
        .unwrap();
    assert_eq!(once, twice);
    let intent = simulator.gateway.payment_intent(&first.id).await.unwrap();
    assert_eq!(
        intent.amount_refunded, 2_500,
        "the retried refund counted once"
    );
}

#[tokio::test]
async fn confirming_a_payment_twice_answers_the_same_outcome() {
    let simulator = TestSimulator::quiet(1).await;
    for card in [CARD_SUCCEEDS, CARD_INSUFFICIENT_FUNDS] {
        let id = simulator.intent(card, 3_000).await;
        let first = simulator.gateway.confirm_payment_intent(&id).await.unwrap();
        let second = simulator.gateway.confirm_payment_intent(&id).await.unwrap();
        assert_eq!(first, second);
    }
    let unknown = simulator.gateway.confirm_payment_intent("pi_nope").await;
    assert_eq!(
        rejected_code(unknown),
        (404, "UNKNOWN_PAYMENT_INTENT".into())
    );
}
