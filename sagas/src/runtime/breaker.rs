//! One circuit breaker per supplier (failsafe's state machine): after `failures` calls in a
//! row fail for want of an answer, calls to that supplier are refused at once for a while
//! (open), then one is let through (half-open); its success closes the breaker again. A
//! supplier that answers with a refusal is working, so refusals count as successes.
//!
//! Breakers live in the worker's memory: each process learns a supplier's health from its own
//! calls, which is what a breaker is for (not hammering a supplier that is down).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use failsafe::backoff::{self, Exponential};
use failsafe::failure_policy::{self, ConsecutiveFailures};
use failsafe::StateMachine;

type Breaker = StateMachine<ConsecutiveFailures<Exponential>, ()>;

/// How breakers trip and recover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Failed calls in a row that open the breaker.
    pub failures: u32,
    /// How long it stays open the first time (doubling while the supplier keeps failing);
    /// at least a second (failsafe's exponential backoff counts whole seconds).
    pub open_for: Duration,
    /// The longest it stays open.
    pub open_at_most: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failures: 5,
            open_for: Duration::from_secs(10),
            open_at_most: Duration::from_secs(120),
        }
    }
}

/// The breakers of every supplier this process calls.
#[derive(Clone)]
pub struct Breakers {
    settings: BreakerSettings,
    by_supplier: Arc<Mutex<HashMap<String, Breaker>>>,
}

impl Breakers {
    pub fn new(settings: BreakerSettings) -> Self {
        let open_for = settings.open_for.max(Duration::from_secs(1));
        let settings = BreakerSettings {
            failures: settings.failures.max(1),
            open_for,
            open_at_most: settings.open_at_most.max(open_for),
        };
        Self {
            settings,
            by_supplier: Arc::default(),
        }
    }

    fn with<T>(&self, supplier: &str, f: impl FnOnce(&Breaker) -> T) -> T {
        let mut breakers = self.by_supplier.lock().unwrap_or_else(|e| e.into_inner());
        let breaker = breakers.entry(supplier.to_owned()).or_insert_with(|| {
            let policy = failure_policy::consecutive_failures(
                self.settings.failures,
                backoff::exponential(self.settings.open_for, self.settings.open_at_most),
            );
            failsafe::Config::new().failure_policy(policy).build()
        });
        f(breaker)
    }

    /// Whether a call to `supplier` may go out now (false while its breaker is open).
    pub fn permits(&self, supplier: &str) -> bool {
        self.with(supplier, |b| b.is_call_permitted())
    }

    /// The supplier answered (an offer, a confirmation, or a refusal).
    pub fn answered(&self, supplier: &str) {
        self.with(supplier, |b| b.on_success());
    }

    /// The supplier did not answer (a timeout, an outage, a garbled answer).
    pub fn failed(&self, supplier: &str) {
        self.with(supplier, |b| b.on_error());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Breakers {
        Breakers::new(BreakerSettings {
            failures: 3,
            open_for: Duration::from_secs(1),
            open_at_most: Duration::from_secs(1),
        })
    }

    #[test]
    fn consecutive_failures_open_the_breaker_of_that_supplier_only() {
        let breakers = quick();
        for _ in 0..2 {
            breakers.failed("skyhop");
        }
        assert!(breakers.permits("skyhop"), "two failures do not open it");
        breakers.answered("skyhop");
        for _ in 0..2 {
            breakers.failed("skyhop");
        }
        assert!(breakers.permits("skyhop"), "an answer resets the count");
        breakers.failed("skyhop");
        assert!(!breakers.permits("skyhop"), "three in a row open it");
        assert!(
            breakers.permits("aerolux"),
            "other suppliers are unaffected"
        );
    }

    #[test]
    fn an_open_breaker_lets_a_trial_call_through_later_and_closes_on_success() {
        let breakers = quick();
        for _ in 0..3 {
            breakers.failed("farefox");
        }
        assert!(!breakers.permits("farefox"));
        std::thread::sleep(Duration::from_millis(1100));
        assert!(breakers.permits("farefox"), "half-open after the pause");
        breakers.answered("farefox");
        assert!(breakers.permits("farefox"), "closed again");
    }
}
