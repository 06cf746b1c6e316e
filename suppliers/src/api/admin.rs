//! Run-time controls of the simulators (never subject to injected faults).

use serde::{Deserialize, Serialize};

/// Faults injected into every request to one target (a supplier, or `gateway`). Rates are
/// per mille (0 to 1000). Each request draws one number from the target's seeded random
/// generator: below `timeoutRate` it hangs, below `timeoutRate + errorRate` it fails with
/// 500; `outage` answers 503 to everything at once. `latencyMs` delays every other request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultSettings {
    pub latency_ms: u64,
    pub error_rate: u16,
    pub timeout_rate: u16,
    pub outage: bool,
}

impl FaultSettings {
    /// No latency and no faults.
    pub const NONE: FaultSettings = FaultSettings {
        latency_ms: 0,
        error_rate: 0,
        timeout_rate: 0,
        outage: false,
    };

    /// Just latency.
    pub const fn latency(latency_ms: u64) -> Self {
        Self {
            latency_ms,
            ..Self::NONE
        }
    }
}

/// Body of `PUT /admin/hold-ttl` (and answer of `GET`): how long new holds last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldTtl {
    pub seconds: u64,
}

/// Body of `PUT /admin/gateway/webhook`: where gateway events are posted (`null` stops them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    pub url: Option<String>,
}
