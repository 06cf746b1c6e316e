//! Client of the supplier endpoints.

use std::time::Duration;

use reqwest::Method;

use super::{ClientError, Http, IDEMPOTENCY_KEY_HEADER};
use crate::api::{
    ActivityOffer, ActivitySearch, FlightOffer, FlightSearch, HotelOffer, HotelSearch, Offers,
    Reservation, ReserveRequest, SupplierList, SupplierSummary,
};

/// Talks to the suppliers behind one base URL; each call names its supplier.
#[derive(Debug, Clone)]
pub struct SupplierClient {
    http: Http,
}

impl SupplierClient {
    /// `base_url` like `http://127.0.0.1:7300`; `timeout` applies to each call.
    pub fn new(base_url: impl Into<String>, timeout: Duration) -> Self {
        Self::with_http_client(reqwest::Client::new(), base_url, timeout)
    }

    /// Shares an existing connection pool.
    pub fn with_http_client(
        client: reqwest::Client,
        base_url: impl Into<String>,
        timeout: Duration,
    ) -> Self {
        Self {
            http: Http::new(client, base_url.into(), timeout),
        }
    }

    pub async fn list_suppliers(&self) -> Result<Vec<SupplierSummary>, ClientError> {
        let list: SupplierList = self
            .http
            .send(self.http.request(Method::GET, "/suppliers"))
            .await?;
        Ok(list.suppliers)
    }

    pub async fn search_flights(
        &self,
        supplier: &str,
        search: &FlightSearch,
    ) -> Result<Vec<FlightOffer>, ClientError> {
        let request = self
            .http
            .request(Method::GET, &format!("/suppliers/{supplier}/flights"))
            .query(search);
        let offers: Offers<FlightOffer> = self.http.send(request).await?;
        Ok(offers.offers)
    }

    pub async fn search_hotels(
        &self,
        supplier: &str,
        search: &HotelSearch,
    ) -> Result<Vec<HotelOffer>, ClientError> {
        let request = self
            .http
            .request(Method::GET, &format!("/suppliers/{supplier}/hotels"))
            .query(search);
        let offers: Offers<HotelOffer> = self.http.send(request).await?;
        Ok(offers.offers)
    }

    pub async fn search_activities(
        &self,
        supplier: &str,
        search: &ActivitySearch,
    ) -> Result<Vec<ActivityOffer>, ClientError> {
        let request = self
            .http
            .request(Method::GET, &format!("/suppliers/{supplier}/activities"))
            .query(search);
        let offers: Offers<ActivityOffer> = self.http.send(request).await?;
        Ok(offers.offers)
    }

    /// Holds an offer. Retry with the same key after a timeout: the answer is the same hold.
    pub async fn reserve(
        &self,
        supplier: &str,
        idempotency_key: &str,
        request: &ReserveRequest,
    ) -> Result<Reservation, ClientError> {
        let request = self
            .http
            .request(Method::POST, &format!("/suppliers/{supplier}/reservations"))
            .header(IDEMPOTENCY_KEY_HEADER, idempotency_key)
            .json(request);
        self.http.send(request).await
    }

    pub async fn confirm(
        &self,
        supplier: &str,
        reservation_id: &str,
        idempotency_key: &str,
    ) -> Result<Reservation, ClientError> {
        let path = format!("/suppliers/{supplier}/reservations/{reservation_id}/confirm");
        let request = self
            .http
            .request(Method::POST, &path)
            .header(IDEMPOTENCY_KEY_HEADER, idempotency_key);
        self.http.send(request).await
    }

    /// Cancels (idempotent: a second cancel answers the same refund).
    pub async fn cancel(
        &self,
        supplier: &str,
        reservation_id: &str,
    ) -> Result<Reservation, ClientError> {
        let path = format!("/suppliers/{supplier}/reservations/{reservation_id}/cancel");
        self.http.send(self.http.request(Method::POST, &path)).await
    }

    pub async fn reservation(
        &self,
        supplier: &str,
        reservation_id: &str,
    ) -> Result<Reservation, ClientError> {
        let path = format!("/suppliers/{supplier}/reservations/{reservation_id}");
        self.http.send(self.http.request(Method::GET, &path)).await
    }
}
