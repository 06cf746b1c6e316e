//! Webhook delivery and signature verification, against a real receiver on port 0.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use tokio::sync::mpsc;
use wayfarer_suppliers::api::{CreateRefund, WebhookEvent, WebhookEventType};
use wayfarer_suppliers::{
    verify_webhook_signature, SignatureError, SimulatorConfig, CARD_DECLINED, CARD_SUCCEEDS,
    SIGNATURE_HEADER,
};

use crate::helpers::*;

const SECRET: &str = "whsec_webhook_test";
const TOLERANCE: Duration = Duration::from_secs(300);

/// One request the receiver got: the signature header and the raw body.
struct Delivery {
    signature: String,
    body: Bytes,
}

struct Receiver {
    url: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
}

impl Receiver {
    async fn start() -> Self {
        async fn receive(
            State(sink): State<mpsc::UnboundedSender<Delivery>>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            let signature = headers
                .get(SIGNATURE_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let _ = sink.send(Delivery { signature, body });
            StatusCode::OK
        }
        let (sink, deliveries) = mpsc::unbounded_channel();
        let app = Router::new()
            .route("/hooks", post(receive))
            .with_state(sink);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, deliveries }
    }

    async fn next(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(10), self.deliveries.recv())
            .await
            .expect("a webhook within 10 s")
            .expect("receiver open")
    }
}

async fn simulator_posting_to(receiver: &Receiver) -> TestSimulator {
    let config = SimulatorConfig {
        webhook_secret: SECRET.into(),
        ..SimulatorConfig::quiet(1)
    };
    let simulator = TestSimulator::spawn(config).await;
    simulator
        .admin
        .set_webhook(Some(&receiver.url))
        .await
        .unwrap();
    simulator
}

fn verify(delivery: &Delivery, body: &[u8]) -> Result<(), SignatureError> {
    verify_webhook_signature(SECRET, &delivery.signature, body, Utc::now(), TOLERANCE)
}

#[tokio::test]
async fn a_succeeded_payment_is_posted_with_a_signature_that_verifies() {
    let mut receiver = Receiver::start().await;
    let simulator = simulator_posting_to(&receiver).await;
    let id = simulator.intent(CARD_SUCCEEDS, 4_200).await;
    simulator.gateway.confirm_payment_intent(&id).await.unwrap();

    let delivery = receiver.next().await;
    assert_eq!(verify(&delivery, &delivery.body), Ok(()));
    let event: WebhookEvent = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(event.event_type, WebhookEventType::PaymentIntentSucceeded);
    assert!(event.id.starts_with("evt_"));
    let intent = event.data.payment_intent.expect("the intent");
    assert_eq!(
        (intent.id.as_str(), intent.amount_minor),
        (id.as_str(), 4_200)
    );
}

#[tokio::test]
async fn a_tampered_body_fails_verification() {
    let mut receiver = Receiver::start().await;
    let simulator = simulator_posting_to(&receiver).await;
    let id = simulator.intent(CARD_SUCCEEDS, 4_200).await;
    simulator.gateway.confirm_payment_intent(&id).await.unwrap();

    let delivery = receiver.next().await;
    let text = String::from_utf8(delivery.body.to_vec()).unwrap();
    let tampered = text.replace("4200", "42");
    assert_ne!(tampered, text);
    assert_eq!(
        verify(&delivery, tampered.as_bytes()),
        Err(SignatureError::Mismatch)
    );
    let wrong_secret = verify_webhook_signature(
        "whsec_other",
        &delivery.signature,
        &delivery.body,
        Utc::now(),
        TOLERANCE,
    );
    assert_eq!(wrong_secret, Err(SignatureError::Mismatch));
}

#[tokio::test]
async fn failed_payments_and_refunds_send_their_own_events() {
    let mut receiver = Receiver::start().await;
    let simulator = simulator_posting_to(&receiver).await;
    let declined = simulator.intent(CARD_DECLINED, 1_000).await;
    simulator
        .gateway
        .confirm_payment_intent(&declined)
        .await
        .unwrap();
    let failed: WebhookEvent = serde_json::from_slice(&receiver.next().await.body).unwrap();
    assert_eq!(
        failed.event_type,
        WebhookEventType::PaymentIntentPaymentFailed
    );

    let paid = simulator.intent(CARD_SUCCEEDS, 1_000).await;
    simulator
        .gateway
        .confirm_payment_intent(&paid)
        .await
        .unwrap();
    let succeeded: WebhookEvent = serde_json::from_slice(&receiver.next().await.body).unwrap();
    assert_eq!(
        succeeded.event_type,
        WebhookEventType::PaymentIntentSucceeded
    );
    let refund = CreateRefund {
        payment_intent: paid,
        amount_minor: 400,
    };
    let refunded = simulator
        .gateway
        .create_refund(&fresh_key(), &refund)
        .await
        .unwrap();
    let delivery = receiver.next().await;
    assert_eq!(verify(&delivery, &delivery.body), Ok(()));
    let event: WebhookEvent = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(event.event_type, WebhookEventType::RefundSucceeded);
    assert_eq!(event.data.refund, Some(refunded));
}

#[tokio::test]
async fn the_api_answers_at_once_when_the_webhook_receiver_is_down() {
    let simulator = TestSimulator::quiet(1).await;
    // A port that was just free: nothing listens there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", closed.local_addr().unwrap());
    drop(closed);
    simulator.admin.set_webhook(Some(&url)).await.unwrap();
    let id = simulator.intent(CARD_SUCCEEDS, 800).await;
    let started = std::time::Instant::now();
    simulator.gateway.confirm_payment_intent(&id).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
}
