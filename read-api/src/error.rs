//! One error type for the API edge and the single table mapping it to `extensions.code`.

use async_graphql::ErrorExtensions;
use wayfarer_commands::{CommandError, RejectionKind};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The password was right; the account also needs a code from its authenticator app (or
    /// a recovery code) as `twoFactorCode`.
    #[error("a two-factor code is required")]
    TwoFactorRequired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    /// The projection did not reach the requested position within the configured wait.
    #[error("the read model has not caught up with position {0} yet; retry shortly")]
    NotYetConsistent(i64),
    /// A store the request needs is not ready (a search index being built). Retry shortly.
    #[error("{0}")]
    Unavailable(String),
    /// Too many sign-in attempts for an account or from an address; retry after this long.
    #[error("too many attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// The payment gateway refused the card (`decline_code`: `card_declined`,
    /// `insufficient_funds`); nothing was charged. Retrying unchanged fails again.
    #[error("the payment was declined ({decline_code})")]
    PaymentDeclined { decline_code: String },
    /// Something failed inside; the cause is logged under `id`, never shown to clients.
    #[error("internal error (reference {id})")]
    Internal { id: uuid::Uuid },
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated
            | ApiError::InvalidCredentials
            | ApiError::TwoFactorRequired => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Validation(_) => "VALIDATION",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::NotYetConsistent(_) => "NOT_YET_CONSISTENT",
            ApiError::Unavailable(_) => "UNAVAILABLE",
            ApiError::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            ApiError::PaymentDeclined { .. } => "PAYMENT_DECLINED",
            ApiError::Internal { .. } => "INTERNAL",
        }
    }

    /// Logs `cause` with a fresh reference id and returns the opaque error shown to clients.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = uuid::Uuid::now_v7();
        tracing::error!(reference = %id, cause = %cause, "internal error");
        ApiError::Internal { id }
    }
}

impl<E: wayfarer_domain::DomainError> From<CommandError<E>> for ApiError {
    fn from(error: CommandError<E>) -> Self {
        let message = error.to_string();
        match error.kind() {
            RejectionKind::NotFound => ApiError::NotFound(message),
            RejectionKind::Forbidden => ApiError::Forbidden(message),
            RejectionKind::Conflict => ApiError::Conflict(message),
            RejectionKind::Validation => ApiError::Validation(message),
            RejectionKind::Unavailable => ApiError::internal(message),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::internal(error)
    }
}

impl From<wayfarer_projections::ProjectionError> for ApiError {
    fn from(error: wayfarer_projections::ProjectionError) -> Self {
        match error {
            wayfarer_projections::ProjectionError::IndexMissing(_) => {
                ApiError::Unavailable("search is being rebuilt; retry shortly".to_owned())
            }
            error => ApiError::internal(error),
        }
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code();
        let retry_after = match self {
            ApiError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let two_factor = matches!(self, ApiError::TwoFactorRequired);
        let decline_code = match self {
            ApiError::PaymentDeclined { decline_code } => Some(decline_code.clone()),
            _ => None,
        };
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| {
            e.set("code", code);
            if two_factor {
                e.set("twoFactorRequired", true);
            }
            if let Some(code) = &decline_code {
                e.set("declineCode", code.as_str());
            }
            if let Some(seconds) = retry_after {
                e.set("retryAfter", seconds);
            }
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
