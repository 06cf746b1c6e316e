//! Client of the admin endpoints (fault injection, hold time, webhook URL) and `/health`.

use std::time::Duration;

use reqwest::Method;

use super::{ClientError, Http};
use crate::api::{FaultSettings, HoldTtl, WebhookEndpoint};

#[derive(Debug, Clone)]
pub struct AdminClient {
    http: Http,
}

impl AdminClient {
    pub fn new(base_url: impl Into<String>, timeout: Duration) -> Self {
        Self {
            http: Http::new(reqwest::Client::new(), base_url.into(), timeout),
        }
    }

    pub async fn health(&self) -> Result<(), ClientError> {
        let request = self.http.request(Method::GET, "/health");
        self.http.send_expecting_no_body(request).await
    }

    /// `target` is a supplier name or `gateway`.
    pub async fn faults(&self, target: &str) -> Result<FaultSettings, ClientError> {
        let path = format!("/admin/faults/{target}");
        self.http.send(self.http.request(Method::GET, &path)).await
    }

    pub async fn set_faults(
        &self,
        target: &str,
        settings: &FaultSettings,
    ) -> Result<FaultSettings, ClientError> {
        let path = format!("/admin/faults/{target}");
        let request = self.http.request(Method::PUT, &path).json(settings);
        self.http.send(request).await
    }

    /// Back to the target's default faults.
    pub async fn reset_faults(&self, target: &str) -> Result<FaultSettings, ClientError> {
        let path = format!("/admin/faults/{target}");
        self.http
            .send(self.http.request(Method::DELETE, &path))
            .await
    }

    pub async fn hold_ttl(&self) -> Result<Duration, ClientError> {
        let ttl: HoldTtl = self
            .http
            .send(self.http.request(Method::GET, "/admin/hold-ttl"))
            .await?;
        Ok(Duration::from_secs(ttl.seconds))
    }

    /// Sets the hold time of new holds (whole seconds, at least one).
    pub async fn set_hold_ttl(&self, ttl: Duration) -> Result<(), ClientError> {
        let body = HoldTtl {
            seconds: ttl.as_secs(),
        };
        let request = self
            .http
            .request(Method::PUT, "/admin/hold-ttl")
            .json(&body);
        let _: HoldTtl = self.http.send(request).await?;
        Ok(())
    }

    /// Where gateway events go; `None` stops them.
    pub async fn set_webhook(&self, url: Option<&str>) -> Result<(), ClientError> {
        let body = WebhookEndpoint {
            url: url.map(str::to_owned),
        };
        let request = self
            .http
            .request(Method::PUT, "/admin/gateway/webhook")
            .json(&body);
        let _: WebhookEndpoint = self.http.send(request).await?;
        Ok(())
    }
}
