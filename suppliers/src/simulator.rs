//! The simulator's shared state: configuration, bookings, gateway, faults and settings.
//!
//! Everything is in memory: this stands in for other companies' systems, and restarting it
//! forgets every reservation, payment and fault setting, like resetting a sandbox. Each
//! concern has its own `std` mutex, held only for the few synchronous steps of one request:
//! guards are not `Send`, so the compiler refuses any handler that would hold one across an
//! `.await`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::config::{ConfigError, SimulatorConfig};
use crate::data::ReferenceData;
use crate::error::ApiError;
use crate::faults::{FaultDecision, Faults};
use crate::gateway::GatewayState;
use crate::offers::SupplierContext;
use crate::reservations::Bookings;
use crate::webhooks::Webhooks;

/// A running simulator's state; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SimulatorConfig,
    reference: &'static ReferenceData,
    bookings: Mutex<Bookings>,
    gateway: Mutex<GatewayState>,
    faults: Mutex<Faults>,
    hold_ttl: Mutex<Duration>,
    webhooks: Webhooks,
}

/// Locks a mutex; a panic while it was held leaves simple data that is still usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Simulator {
    /// Checks the configuration and starts with no reservations and no payments.
    pub fn new(config: SimulatorConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let inner = Inner {
            reference: ReferenceData::bundled(),
            bookings: Mutex::new(Bookings::default()),
            gateway: Mutex::new(GatewayState::default()),
            faults: Mutex::new(Faults::new(&config)),
            hold_ttl: Mutex::new(config.hold_ttl),
            webhooks: Webhooks::new(config.webhook_secret.clone(), config.webhook_url.clone()),
            config,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub fn config(&self) -> &SimulatorConfig {
        &self.inner.config
    }

    pub(crate) fn supplier_context(&self, name: &str) -> Result<SupplierContext<'_>, ApiError> {
        let supplier = self
            .inner
            .config
            .supplier(name)
            .ok_or_else(|| ApiError::UnknownSupplier(name.to_owned()))?;
        Ok(SupplierContext {
            reference: self.inner.reference,
            seed: self.inner.config.seed,
            supplier,
        })
    }

    pub(crate) fn bookings(&self) -> MutexGuard<'_, Bookings> {
        lock(&self.inner.bookings)
    }

    pub(crate) fn gateway(&self) -> MutexGuard<'_, GatewayState> {
        lock(&self.inner.gateway)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.inner.faults)
    }

    pub(crate) fn draw_fault(&self, target: &str) -> Option<FaultDecision> {
        self.faults().draw(target)
    }

    pub(crate) fn hold_ttl(&self) -> Duration {
        *lock(&self.inner.hold_ttl)
    }

    pub(crate) fn set_hold_ttl(&self, ttl: Duration) {
        *lock(&self.inner.hold_ttl) = ttl;
    }

    pub(crate) fn webhooks(&self) -> &Webhooks {
        &self.inner.webhooks
    }
}
