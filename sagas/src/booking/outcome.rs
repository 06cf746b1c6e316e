//! What a failed call to a supplier or the gateway means for the booking: try again later
//! (the answer may still come: a timeout, an outage, a failure inside the supplier), or stop
//! and compensate (the supplier refused, for a reason a person can read).

use wayfarer_suppliers::client::ClientError;

use super::wording::FailureCause;

/// How the booking process reads a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// No answer, or a failure that may pass: retry with the same idempotency key.
    Retry(String),
    /// A refusal that retrying will not change.
    Refused(FailureCause),
}

/// Reads a failed supplier call.
pub fn supplier_failure(error: &ClientError) -> CallFailure {
    match error {
        ClientError::Rejected { code, .. } => {
            CallFailure::Refused(FailureCause::from_supplier_code(code))
        }
        // A garbled answer is the supplier's fault and may pass; the deadline bounds it.
        ClientError::Timeout { .. }
        | ClientError::Unavailable { .. }
        | ClientError::Decode { .. } => CallFailure::Retry(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn refusals_stop_and_silence_is_retried() {
        let sold_out = ClientError::Rejected {
            status: 409,
            code: "SOLD_OUT".into(),
            message: "sold out".into(),
        };
        assert_eq!(
            supplier_failure(&sold_out),
            CallFailure::Refused(FailureCause::SoldOut)
        );
        let timeout = ClientError::Timeout {
            timeout: Duration::from_secs(3),
        };
        assert!(matches!(supplier_failure(&timeout), CallFailure::Retry(_)));
    }
}
