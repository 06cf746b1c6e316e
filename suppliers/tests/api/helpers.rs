//! Spawning simulators and small request helpers shared by the tests.

use std::time::Duration;

use chrono::{NaiveDate, TimeDelta, Utc};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wayfarer_suppliers::api::{
    CreatePaymentIntent, CreatePaymentMethod, CurrencyCode, FlightOffer, FlightSearch,
    ReserveRequest, Traveller,
};
use wayfarer_suppliers::client::{AdminClient, ClientError, GatewayClient, SupplierClient};
use wayfarer_suppliers::{serve, SimulatorConfig};

pub const SUPPLIERS: [&str; 3] = ["aerolux", "skyhop", "farefox"];
pub const LONDON: u32 = 2643743;
pub const TOKYO: u32 = 1850147;
/// Generous: tests that are not about timeouts must never hit one on a loaded machine.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A simulator running for the duration of a test (stopped when dropped).
pub struct TestSimulator {
    pub base_url: String,
    pub suppliers: SupplierClient,
    pub gateway: GatewayClient,
    pub admin: AdminClient,
    pub http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

impl TestSimulator {
    pub async fn quiet(seed: u64) -> Self {
        Self::spawn(SimulatorConfig::quiet(seed)).await
    }

    pub async fn spawn(config: SimulatorConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            serve(listener, config, shutdown)
                .await
                .expect("simulator serves");
        });
        let simulator = Self {
            suppliers: SupplierClient::new(&base_url, CLIENT_TIMEOUT),
            gateway: GatewayClient::new(&base_url, CLIENT_TIMEOUT),
            admin: AdminClient::new(&base_url, CLIENT_TIMEOUT),
            http: reqwest::Client::new(),
            base_url,
            _stop: stop,
        };
        simulator
            .admin
            .health()
            .await
            .expect("simulator is healthy");
        simulator
    }

    /// A supplier client with its own (short) timeout.
    pub fn suppliers_with_timeout(&self, timeout: Duration) -> SupplierClient {
        SupplierClient::new(&self.base_url, timeout)
    }

    /// POSTs JSON with an optional idempotency key; answers status and body.
    pub async fn post_raw(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn get_raw(&self, path_and_query: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.base_url))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn flights(&self, supplier: &str, search: &FlightSearch) -> Vec<FlightOffer> {
        self.suppliers
            .search_flights(supplier, search)
            .await
            .expect("flight search")
    }

    /// A tokenised test card.
    pub async fn card(&self, number: &str) -> String {
        self.gateway
            .create_payment_method(&card(number))
            .await
            .expect("card tokenised")
            .payment_method
    }

    /// A payment intent of `amount_minor` EUR on a card, not yet confirmed.
    pub async fn intent(&self, number: &str, amount_minor: i64) -> String {
        let payment_method = self.card(number).await;
        self.gateway
            .create_payment_intent(&fresh_key(), &intent_request(&payment_method, amount_minor))
            .await
            .expect("intent created")
            .id
    }
}

pub fn day(days_from_today: i64) -> NaiveDate {
    Utc::now().date_naive() + TimeDelta::days(days_from_today)
}

pub fn flight_search(from: &str, to: &str, days_ahead: i64, travellers: u8) -> FlightSearch {
    FlightSearch {
        from: from.into(),
        to: to.into(),
        date: day(days_ahead),
        travellers,
    }
}

pub fn reserve_request(offer_id: &str, travellers: usize) -> ReserveRequest {
    ReserveRequest {
        offer_id: offer_id.to_owned(),
        travellers: (1..=travellers)
            .map(|n| Traveller {
                name: format!("Traveller {n}"),
            })
            .collect(),
    }
}

pub fn fresh_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn card(number: &str) -> CreatePaymentMethod {
    CreatePaymentMethod {
        card_number: number.into(),
        exp_month: 12,
        exp_year: 2040,
        cvc: "314".into(),
    }
}

pub fn intent_request(payment_method: &str, amount_minor: i64) -> CreatePaymentIntent {
    CreatePaymentIntent {
        amount_minor,
        currency: CurrencyCode::EUR,
        payment_method: payment_method.to_owned(),
        description: Some("trip to Tokyo".into()),
        metadata: [("itineraryId".to_owned(), "it_1".to_owned())].into(),
    }
}

/// The error code of a rejection, or a panic describing what came instead.
pub fn rejected_code<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (u16, String) {
    match result {
        Err(ClientError::Rejected { status, code, .. }) => (status, code),
        other => panic!("expected a rejection, got {other:?}"),
    }
}
