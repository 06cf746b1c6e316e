//! Client of the payment gateway.

use std::time::Duration;

use reqwest::Method;

use super::{ClientError, Http, IDEMPOTENCY_KEY_HEADER};
use crate::api::{
    CreatePaymentIntent, CreatePaymentMethod, CreateRefund, PaymentIntent, PaymentMethod, Refund,
};

#[derive(Debug, Clone)]
pub struct GatewayClient {
    http: Http,
}

impl GatewayClient {
    /// `base_url` like `http://127.0.0.1:7300`; `timeout` applies to each call (a slow card
    /// answers after the simulator's `gateway_slow_delay`).
    pub fn new(base_url: impl Into<String>, timeout: Duration) -> Self {
        Self::with_http_client(reqwest::Client::new(), base_url, timeout)
    }

    pub fn with_http_client(
        client: reqwest::Client,
        base_url: impl Into<String>,
        timeout: Duration,
    ) -> Self {
        Self {
            http: Http::new(client, base_url.into(), timeout),
        }
    }

    /// Tokenises a card; only the token and last four digits come back.
    pub async fn create_payment_method(
        &self,
        card: &CreatePaymentMethod,
    ) -> Result<PaymentMethod, ClientError> {
        let request = self
            .http
            .request(Method::POST, "/gateway/payment-methods")
            .json(card);
        self.http.send(request).await
    }

    pub async fn create_payment_intent(
        &self,
        idempotency_key: &str,
        intent: &CreatePaymentIntent,
    ) -> Result<PaymentIntent, ClientError> {
        let request = self
            .http
            .request(Method::POST, "/gateway/payment-intents")
            .header(IDEMPOTENCY_KEY_HEADER, idempotency_key)
            .json(intent);
        self.http.send(request).await
    }

    /// Charges the card: the intent comes back `SUCCEEDED` or `FAILED` (with its
    /// `failureCode`). Idempotent.
    pub async fn confirm_payment_intent(&self, id: &str) -> Result<PaymentIntent, ClientError> {
        let path = format!("/gateway/payment-intents/{id}/confirm");
        self.http.send(self.http.request(Method::POST, &path)).await
    }

    /// A tokenised card (`UNKNOWN_PAYMENT_METHOD` for a token the gateway never issued).
    pub async fn payment_method(&self, token: &str) -> Result<PaymentMethod, ClientError> {
        let path = format!("/gateway/payment-methods/{token}");
        self.http.send(self.http.request(Method::GET, &path)).await
    }

    pub async fn payment_intent(&self, id: &str) -> Result<PaymentIntent, ClientError> {
        let path = format!("/gateway/payment-intents/{id}");
        self.http.send(self.http.request(Method::GET, &path)).await
    }

    pub async fn create_refund(
        &self,
        idempotency_key: &str,
        refund: &CreateRefund,
    ) -> Result<Refund, ClientError> {
        let request = self
            .http
            .request(Method::POST, "/gateway/refunds")
            .header(IDEMPOTENCY_KEY_HEADER, idempotency_key)
            .json(refund);
        self.http.send(request).await
    }

    pub async fn refund(&self, id: &str) -> Result<Refund, ClientError> {
        let path = format!("/gateway/refunds/{id}");
        self.http.send(self.http.request(Method::GET, &path)).await
    }
}
