//! Webhook signatures: how a receiver knows an event came from the gateway, unaltered and
//! recently.
//!
//! Header `Wayfarer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Signing the timestamp with the body stops replays of old events (the receiver refuses
//! timestamps outside its tolerance); signing the raw body means the receiver must verify
//! the bytes it received, before parsing them. Several `v1` entries may appear (during a
//! secret rotation); one matching is enough. Comparison is constant-time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::hashing::{from_hex, to_hex};

/// The header the gateway signs its webhook requests with.
pub const SIGNATURE_HEADER: &str = "Wayfarer-Signature";

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook request must be refused (answer 400 and do not process it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is missing its `t=` or `v1=` part, or they are not a number and hex.
    #[error("malformed signature header")]
    MalformedHeader,
    /// The signed timestamp is too far from now: a replay, or a badly skewed clock.
    #[error("signature timestamp {timestamp} is outside the tolerance")]
    OutsideTolerance { timestamp: i64 },
    /// No signature matches the body: altered, or signed with another secret.
    #[error("signature does not match the body")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value signing `body` at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let signature = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", to_hex(&signature))
}

/// Checks a `Wayfarer-Signature` header against the raw body received.
pub fn verify_webhook_signature(
    secret: &str,
    header_value: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header_value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::MalformedHeader)?,
                )
            }
            Some(("v1", value)) => {
                signatures.push(from_hex(value).ok_or(SignatureError::MalformedHeader)?)
            }
            // Unknown schemes are skipped so newer senders stay compatible.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::MalformedHeader)?;
    if signatures.is_empty() {
        return Err(SignatureError::MalformedHeader);
    }
    let age = now.timestamp().abs_diff(timestamp);
    if age > tolerance.as_secs() {
        return Err(SignatureError::OutsideTolerance { timestamp });
    }
    let expected = mac(secret, timestamp, body);
    if signatures
        .iter()
        .any(|signature| expected.clone().verify_slice(signature).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    fn at(timestamp: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(timestamp, 0).unwrap()
    }

    #[test]
    fn a_signed_body_verifies_within_the_tolerance() {
        let header = sign(SECRET, 1_800_000_000, b"{\"id\":\"evt_1\"}");
        assert!(header.starts_with("t=1800000000,v1="));
        let verified = verify_webhook_signature(
            SECRET,
            &header,
            b"{\"id\":\"evt_1\"}",
            at(1_800_000_100),
            FIVE_MINUTES,
        );
        assert_eq!(verified, Ok(()));
    }

    #[test]
    fn an_altered_body_or_another_secret_does_not_verify() {
        let header = sign(SECRET, 1_800_000_000, b"{\"amount\":100}");
        let now = at(1_800_000_000);
        assert_eq!(
            verify_webhook_signature(SECRET, &header, b"{\"amount\":999}", now, FIVE_MINUTES),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_webhook_signature("other", &header, b"{\"amount\":100}", now, FIVE_MINUTES),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_old_signature_is_refused_as_a_replay() {
        let header = sign(SECRET, 1_800_000_000, b"{}");
        assert_eq!(
            verify_webhook_signature(SECRET, &header, b"{}", at(1_800_000_301), FIVE_MINUTES),
            Err(SignatureError::OutsideTolerance {
                timestamp: 1_800_000_000
            })
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in ["", "t=1", "v1=00", "t=x,v1=00", "t=1,v1=zz"] {
            assert_eq!(
                verify_webhook_signature(SECRET, header, b"{}", at(1), FIVE_MINUTES),
                Err(SignatureError::MalformedHeader),
                "{header:?}"
            );
        }
    }

    #[test]
    fn one_matching_signature_among_several_is_enough() {
        let good = sign(SECRET, 1_800_000_000, b"{}");
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t=1800000000,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(
            verify_webhook_signature(SECRET, &header, b"{}", at(1_800_000_000), FIVE_MINUTES),
            Ok(())
        );
    }
}
