//! Typed HTTP clients of the simulators (and of anything that speaks the same contract).
//!
//! Every call has its own timeout, and every failure is sorted into what a booking saga
//! needs to decide between retrying and compensating:
//!
//! | error | meaning | saga reaction |
//! | --- | --- | --- |
//! | [`ClientError::Timeout`] | no answer in time; the write may or may not have happened | retry with the same idempotency key, or compensate |
//! | [`ClientError::Unavailable`] | unreachable, outage (503) or server failure (5xx) | retry later with the same key; compensate if it persists |
//! | [`ClientError::Rejected`] | a 4xx with its error code: the request itself was refused | do not retry; compensate or change the request |
//! | [`ClientError::Decode`] | an answer that does not follow the contract | a defect: alert, do not retry blindly |

mod admin;
mod gateway;
mod suppliers;

use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;

use crate::api::ErrorBody;

pub use crate::extract::IDEMPOTENCY_KEY_HEADER;
pub use admin::AdminClient;
pub use gateway::GatewayClient;
pub use suppliers::SupplierClient;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No complete answer within the call's timeout. The request may have taken effect:
    /// retry with the same idempotency key (never a new one), or compensate.
    #[error("no answer within {timeout:?}")]
    Timeout { timeout: Duration },
    /// The service is unreachable, in an outage, or failed. Retry later (same key).
    #[error("service unavailable")]
    Unavailable {
        #[source]
        cause: Unavailability,
    },
    /// The service refused the request (4xx) with a stable `code`, e.g. `SOLD_OUT`,
    /// `HOLD_EXPIRED`, `IDEMPOTENCY_KEY_REUSED`. Retrying the same request won't help.
    #[error("rejected with {status} {code}: {message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    /// The answer's body is not what the contract says. A defect on one side or the other.
    #[error("undecodable answer with status {status}")]
    Decode {
        status: u16,
        #[source]
        source: serde_json::Error,
    },
}

/// Why a service was unavailable.
#[derive(Debug, thiserror::Error)]
pub enum Unavailability {
    /// No connection (refused, reset, DNS), or the answer broke off.
    #[error("unreachable")]
    Unreachable(#[source] reqwest::Error),
    /// A 5xx answer: `SUPPLIER_UNAVAILABLE` (503, outage), `INJECTED_FAILURE` (500),
    /// `UPSTREAM_TIMEOUT` (504) or a real failure.
    #[error("server answered {status} {code}: {message}")]
    ServerError {
        status: u16,
        code: String,
        message: String,
    },
}

impl ClientError {
    /// Whether retrying the same request (with the same idempotency key) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ClientError::Timeout { .. } | ClientError::Unavailable { .. }
        )
    }

    /// The service's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Rejected { code, .. } => Some(code),
            ClientError::Unavailable {
                cause: Unavailability::ServerError { code, .. },
            } => Some(code),
            _ => None,
        }
    }
}

/// What every client shares: the HTTP connection pool, the base URL and the timeout.
#[derive(Debug, Clone)]
struct Http {
    client: reqwest::Client,
    base_url: String,
    timeout: Duration,
}

impl Http {
    fn new(client: reqwest::Client, base_url: String, timeout: Duration) -> Self {
        Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            timeout,
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base_url))
            .timeout(self.timeout)
    }

    /// Sends and decodes a JSON answer.
    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ClientError> {
        let answer = self.answer(request).await?;
        serde_json::from_slice(&answer.body).map_err(|source| ClientError::Decode {
            status: answer.status,
            source,
        })
    }

    /// Sends and ignores the body of a successful answer.
    async fn send_expecting_no_body(&self, request: RequestBuilder) -> Result<(), ClientError> {
        self.answer(request).await.map(|_| ())
    }

    async fn answer(&self, request: RequestBuilder) -> Result<Answer, ClientError> {
        let response = request
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        let status = response.status().as_u16();
        let is_success = response.status().is_success();
        let is_server_error = response.status().is_server_error();
        let body = response
            .bytes()
            .await
            .map_err(|error| self.transport(error))?;
        if is_success {
            return Ok(Answer {
                status,
                body: body.to_vec(),
            });
        }
        if is_server_error {
            // Whatever the body says, a 5xx is unavailability (proxies answer HTML too).
            let error = serde_json::from_slice::<ErrorBody>(&body).unwrap_or(ErrorBody {
                error: format!("HTTP_{status}"),
                message: String::from_utf8_lossy(&body).into_owned(),
            });
            return Err(ClientError::Unavailable {
                cause: Unavailability::ServerError {
                    status,
                    code: error.error,
                    message: error.message,
                },
            });
        }
        let error: ErrorBody = serde_json::from_slice(&body)
            .map_err(|source| ClientError::Decode { status, source })?;
        Err(ClientError::Rejected {
            status,
            code: error.error,
            message: error.message,
        })
    }

    fn transport(&self, error: reqwest::Error) -> ClientError {
        if error.is_timeout() {
            ClientError::Timeout {
                timeout: self.timeout,
            }
        } else {
            ClientError::Unavailable {
                cause: Unavailability::Unreachable(error),
            }
        }
    }
}

/// A successful answer's status and raw body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}
