//! Every refusal of the simulators' HTTP API, and the one table that maps each to a status
//! and a stable code.
//!
//! Callers branch on the `error` code of the JSON body, so the codes never change once
//! published; the messages are for people. The doc comment of each variant says how a
//! caller (typically a booking saga) should react.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::api::ErrorBody;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A query or body is malformed or out of range. Fix the request; retrying won't help.
    #[error("{0}")]
    InvalidRequest(String),
    /// A date is in the past, too far ahead or in the wrong order. Fix the request.
    #[error("{0}")]
    InvalidDate(String),
    /// A write without an `Idempotency-Key` header. Add one (the same on every retry).
    #[error("the Idempotency-Key header is required (1 to 255 visible ASCII characters)")]
    MissingIdempotencyKey,
    /// The key was used before with a different body. Use a fresh key for a new request.
    #[error("this Idempotency-Key was used with a different request")]
    IdempotencyKeyReused,
    /// No such supplier. Check the name (`GET /suppliers`).
    #[error("no supplier is called {0:?}")]
    UnknownSupplier(String),
    /// No such airport (IATA code) in the simulated world.
    #[error("no airport has the IATA code {0:?}")]
    UnknownAirport(String),
    /// No such city (GeoNames id) in the simulated world.
    #[error("no city has the GeoNames id {0}")]
    UnknownCity(u32),
    /// The offer id was not issued by this supplier (or was altered). Search again.
    #[error("no such offer")]
    UnknownOffer,
    /// The offer's quote is stale or its date has passed. Search again for a fresh price.
    #[error("the offer has expired; search again")]
    OfferExpired,
    /// The number of travellers differs from the party the offer was searched for.
    #[error("the offer is for {expected} people, the request names {actual}")]
    TravellerCountMismatch { expected: u8, actual: usize },
    /// Not enough seats, rooms or places left. Pick another offer; retrying won't help.
    #[error("sold out: not enough inventory left for this offer")]
    SoldOut,
    /// No such reservation at this supplier.
    #[error("no such reservation")]
    UnknownReservation,
    /// The hold lapsed before confirmation and its inventory was released. Reserve again.
    #[error("the hold has expired")]
    HoldExpired,
    /// The reservation was cancelled and cannot be confirmed.
    #[error("the reservation was cancelled")]
    ReservationCancelled,
    /// The card number fails the Luhn check, or a field is malformed. Ask for the card again.
    #[error("{0}")]
    InvalidCard(String),
    /// The card's expiry date has passed. Ask for another card.
    #[error("the card has expired")]
    CardExpired,
    #[error("no such payment method")]
    UnknownPaymentMethod,
    #[error("no such payment intent")]
    UnknownPaymentIntent,
    #[error("no such refund")]
    UnknownRefund,
    /// The refund is larger than what is left of the payment. Refund less.
    #[error("refund of {requested} exceeds the {remaining} left of the payment")]
    RefundExceedsPayment { requested: i64, remaining: i64 },
    /// Only a succeeded payment can be refunded.
    #[error("the payment has not succeeded")]
    PaymentNotSucceeded,
    /// No fault target of that name (a supplier, or `gateway`).
    #[error("no fault target is called {0:?}")]
    UnknownFaultTarget(String),
    /// Injected outage. Retryable later; a saga may compensate if it persists.
    #[error("{0} is unavailable")]
    SupplierUnavailable(String),
    /// Injected failure of one request. Retryable (with the same idempotency key).
    #[error("injected failure at {0}")]
    InjectedFailure(String),
    /// An injected hang ran out. Retryable (with the same idempotency key).
    #[error("{0} did not answer in time")]
    UpstreamTimeout(String),
    /// No such route.
    #[error("no such endpoint")]
    NotFound,
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A defect of the simulator. Its detail is logged, not shown.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// The status and the stable code of each refusal: the one table.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use ApiError::*;
        match self {
            InvalidRequest(_) => (StatusCode::BAD_REQUEST, "INVALID_REQUEST"),
            InvalidDate(_) => (StatusCode::BAD_REQUEST, "INVALID_DATE"),
            MissingIdempotencyKey => (StatusCode::BAD_REQUEST, "MISSING_IDEMPOTENCY_KEY"),
            IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED"),
            UnknownSupplier(_) => (StatusCode::NOT_FOUND, "UNKNOWN_SUPPLIER"),
            UnknownAirport(_) => (StatusCode::NOT_FOUND, "UNKNOWN_AIRPORT"),
            UnknownCity(_) => (StatusCode::NOT_FOUND, "UNKNOWN_CITY"),
            UnknownOffer => (StatusCode::NOT_FOUND, "UNKNOWN_OFFER"),
            OfferExpired => (StatusCode::GONE, "OFFER_EXPIRED"),
            TravellerCountMismatch { .. } => (StatusCode::BAD_REQUEST, "TRAVELLER_COUNT_MISMATCH"),
            SoldOut => (StatusCode::CONFLICT, "SOLD_OUT"),
            UnknownReservation => (StatusCode::NOT_FOUND, "UNKNOWN_RESERVATION"),
            HoldExpired => (StatusCode::GONE, "HOLD_EXPIRED"),
            ReservationCancelled => (StatusCode::CONFLICT, "RESERVATION_CANCELLED"),
            InvalidCard(_) => (StatusCode::BAD_REQUEST, "INVALID_CARD"),
            CardExpired => (StatusCode::BAD_REQUEST, "CARD_EXPIRED"),
            UnknownPaymentMethod => (StatusCode::NOT_FOUND, "UNKNOWN_PAYMENT_METHOD"),
            UnknownPaymentIntent => (StatusCode::NOT_FOUND, "UNKNOWN_PAYMENT_INTENT"),
            UnknownRefund => (StatusCode::NOT_FOUND, "UNKNOWN_REFUND"),
            RefundExceedsPayment { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "REFUND_EXCEEDS_PAYMENT")
            }
            PaymentNotSucceeded => (StatusCode::CONFLICT, "PAYMENT_NOT_SUCCEEDED"),
            UnknownFaultTarget(_) => (StatusCode::NOT_FOUND, "UNKNOWN_TARGET"),
            SupplierUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "SUPPLIER_UNAVAILABLE"),
            InjectedFailure(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INJECTED_FAILURE"),
            UpstreamTimeout(_) => (StatusCode::GATEWAY_TIMEOUT, "UPSTREAM_TIMEOUT"),
            NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Internal => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = ErrorBody {
            error: code.to_owned(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}
