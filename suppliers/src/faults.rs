//! Fault injection: latency, failures, hangs and outages, switchable at run time and
//! reproducible from the seed.
//!
//! Each target (every supplier, and `gateway`) has its own random generator seeded from
//! (seed, target), and every request to that target draws exactly one number from it,
//! whatever the settings. So for a given seed and sequence of requests to a target, the
//! failures fall on the same requests every run, and traffic to one target never shifts
//! another's sequence. Faults are decided before the handler runs: an injected failure or
//! hang has not taken effect (a real timeout might have; idempotency keys cover both).
//! Admin endpoints, `/health` and `GET /suppliers` are never faulted.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::api::FaultSettings;
use crate::config::SimulatorConfig;
use crate::error::ApiError;
use crate::hashing::StableHash;
use crate::simulator::Simulator;

/// The fault target of every `/gateway/...` endpoint.
pub const GATEWAY_TARGET: &str = "gateway";
/// Rates are per mille.
pub const PER_MILLE: u16 = 1000;
/// Longest latency that can be injected (ten minutes).
pub const MAX_LATENCY_MS: u64 = 600_000;

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOutcome {
    /// 503 at once.
    Outage,
    /// Hang for the configured time, then 504.
    Hang,
    /// 500 after the latency.
    Fail,
    /// Handled normally after the latency.
    Pass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultDecision {
    pub latency: Duration,
    pub outcome: FaultOutcome,
}

/// Rates within 0..=1000 (and together at most 1000), latency at most ten minutes.
pub fn validate(settings: &FaultSettings) -> Result<(), ApiError> {
    if settings.error_rate > PER_MILLE
        || settings.timeout_rate > PER_MILLE
        || settings.error_rate + settings.timeout_rate > PER_MILLE
    {
        return Err(ApiError::InvalidRequest(
            "errorRate and timeoutRate are per mille and may add up to at most 1000".into(),
        ));
    }
    if settings.latency_ms > MAX_LATENCY_MS {
        return Err(ApiError::InvalidRequest(format!(
            "latencyMs must be at most {MAX_LATENCY_MS}"
        )));
    }
    Ok(())
}

/// The outcome for a roll in `0..1000`: hangs take the lowest `timeoutRate` rolls, failures
/// the next `errorRate`.
pub fn decide(settings: &FaultSettings, roll: u16) -> FaultOutcome {
    if settings.outage {
        FaultOutcome::Outage
    } else if roll < settings.timeout_rate {
        FaultOutcome::Hang
    } else if roll < settings.timeout_rate.saturating_add(settings.error_rate) {
        FaultOutcome::Fail
    } else {
        FaultOutcome::Pass
    }
}

#[derive(Debug)]
struct TargetFaults {
    settings: FaultSettings,
    defaults: FaultSettings,
    rng: StdRng,
}

#[derive(Debug)]
pub struct Faults {
    targets: HashMap<String, TargetFaults>,
}

impl Faults {
    pub fn new(config: &SimulatorConfig) -> Self {
        let target = |name: &str, defaults: FaultSettings| {
            let seed = StableHash::new("faults")
                .u64(config.seed)
                .str(name)
                .finish();
            let faults = TargetFaults {
                settings: defaults,
                defaults,
                rng: StdRng::seed_from_u64(seed),
            };
            (name.to_owned(), faults)
        };
        let mut targets: HashMap<_, _> = config
            .suppliers
            .iter()
            .map(|supplier| target(&supplier.name, supplier.default_faults))
            .collect();
        let (name, gateway) = target(GATEWAY_TARGET, config.gateway_faults);
        targets.insert(name, gateway);
        Self { targets }
    }

    fn target(&mut self, name: &str) -> Result<&mut TargetFaults, ApiError> {
        self.targets
            .get_mut(name)
            .ok_or_else(|| ApiError::UnknownFaultTarget(name.to_owned()))
    }

    pub fn settings(&mut self, target: &str) -> Result<FaultSettings, ApiError> {
        Ok(self.target(target)?.settings)
    }

    pub fn set(
        &mut self,
        target: &str,
        settings: FaultSettings,
    ) -> Result<FaultSettings, ApiError> {
        validate(&settings)?;
        let faults = self.target(target)?;
        faults.settings = settings;
        tracing::info!(target, ?settings, "faults set");
        Ok(settings)
    }

    /// Back to the profile's default faults (the random sequence continues).
    pub fn reset(&mut self, target: &str) -> Result<FaultSettings, ApiError> {
        let faults = self.target(target)?;
        faults.settings = faults.defaults;
        Ok(faults.settings)
    }

    /// Draws this request's fate; `None` for a name that is not a target.
    pub fn draw(&mut self, target: &str) -> Option<FaultDecision> {
        let faults = self.targets.get_mut(target)?;
        let roll = faults.rng.random_range(0..PER_MILLE);
        Some(FaultDecision {
            latency: Duration::from_millis(faults.settings.latency_ms),
            outcome: decide(&faults.settings, roll),
        })
    }
}

/// The fault target a path belongs to: `/suppliers/{name}/…` or `/gateway/…`.
fn target_of(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("suppliers"), Some(name), Some(_)) => Some(name),
        (Some("gateway"), Some(_), _) => Some(GATEWAY_TARGET),
        _ => None,
    }
}

/// Middleware of the supplier and gateway routes.
pub async fn inject(State(simulator): State<Simulator>, request: Request, next: Next) -> Response {
    let target = target_of(request.uri().path()).map(str::to_owned);
    let Some(target) = target else {
        return next.run(request).await;
    };
    let Some(decision) = simulator.draw_fault(&target) else {
        // Not a known supplier: the handler answers UNKNOWN_SUPPLIER.
        return next.run(request).await;
    };
    if decision.outcome == FaultOutcome::Outage {
        return ApiError::SupplierUnavailable(target).into_response();
    }
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    match decision.outcome {
        FaultOutcome::Hang => {
            tokio::time::sleep(simulator.config().fault_hang).await;
            ApiError::UpstreamTimeout(target).into_response()
        }
        FaultOutcome::Fail => ApiError::InjectedFailure(target).into_response(),
        FaultOutcome::Outage | FaultOutcome::Pass => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_below_the_timeout_rate_hang_and_the_next_ones_fail() {
        let settings = FaultSettings {
            latency_ms: 0,
            error_rate: 100,
            timeout_rate: 50,
            outage: false,
        };
        assert_eq!(decide(&settings, 0), FaultOutcome::Hang);
        assert_eq!(decide(&settings, 49), FaultOutcome::Hang);
        assert_eq!(decide(&settings, 50), FaultOutcome::Fail);
        assert_eq!(decide(&settings, 149), FaultOutcome::Fail);
        assert_eq!(decide(&settings, 150), FaultOutcome::Pass);
        let down = FaultSettings {
            outage: true,
            ..settings
        };
        assert_eq!(decide(&down, 999), FaultOutcome::Outage);
    }

    #[test]
    fn rates_of_zero_and_a_thousand_per_mille_are_never_and_always() {
        let never = FaultSettings::NONE;
        let always = FaultSettings {
            error_rate: 1000,
            ..FaultSettings::NONE
        };
        for roll in 0..PER_MILLE {
            assert_eq!(decide(&never, roll), FaultOutcome::Pass);
            assert_eq!(decide(&always, roll), FaultOutcome::Fail);
        }
    }

    #[test]
    fn rates_above_a_thousand_per_mille_are_refused() {
        let too_much = FaultSettings {
            error_rate: 600,
            timeout_rate: 500,
            ..FaultSettings::NONE
        };
        assert!(validate(&too_much).is_err());
    }

    #[test]
    fn the_same_seed_draws_the_same_sequence_per_target() {
        let config = SimulatorConfig::quiet(9);
        let mut first = Faults::new(&config);
        let mut second = Faults::new(&config);
        let half = FaultSettings {
            error_rate: 500,
            ..FaultSettings::NONE
        };
        for faults in [&mut first, &mut second] {
            faults.set("skyhop", half).unwrap();
        }
        // Traffic to another target does not shift skyhop's sequence.
        second.draw("aerolux");
        let run = |faults: &mut Faults| -> Vec<_> {
            (0..64)
                .map(|_| faults.draw("skyhop").unwrap().outcome)
                .collect()
        };
        let sequence = run(&mut first);
        assert_eq!(sequence, run(&mut second));
        assert!(sequence.contains(&FaultOutcome::Fail) && sequence.contains(&FaultOutcome::Pass));
    }

    #[test]
    fn paths_map_to_their_fault_target() {
        assert_eq!(target_of("/suppliers/skyhop/flights"), Some("skyhop"));
        assert_eq!(
            target_of("/gateway/payment-intents/pi_1/confirm"),
            Some("gateway")
        );
        assert_eq!(target_of("/suppliers"), None);
        assert_eq!(target_of("/admin/faults/skyhop"), None);
        assert_eq!(target_of("/health"), None);
    }
}
