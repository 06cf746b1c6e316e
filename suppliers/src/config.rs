//! How a simulator behaves: its seed, its suppliers and their default faults.
//!
//! `Default` is what a developer runs (`wayfarer suppliers`): three suppliers with realistic
//! latency and one that fails now and then. [`SimulatorConfig::quiet`] is what tests start
//! from: the same suppliers, no latency, no faults, so each test adds exactly the faults it
//! is about.

use std::time::Duration;

use crate::api::{CurrencyCode, FaultSettings};

/// One simulated supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierProfile {
    /// Lowercase ASCII letters and digits; appears in URLs and offer ids.
    pub name: String,
    /// Every price this supplier quotes is in this currency.
    pub currency: CurrencyCode,
    /// Per-mille multiplier of every base price (1000 = 1.0).
    pub price_factor: u32,
    /// Faults in force at start and after `DELETE /admin/faults/{name}`.
    pub default_faults: FaultSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorConfig {
    /// Seeds prices, inventory and each target's fault generator.
    pub seed: u64,
    /// How long a new hold lasts (changeable at run time: `PUT /admin/hold-ttl`).
    pub hold_ttl: Duration,
    /// Key of the webhook signatures (`Wayfarer-Signature`).
    pub webhook_secret: String,
    /// Where gateway events are posted at start (changeable: `PUT /admin/gateway/webhook`).
    pub webhook_url: Option<String>,
    pub suppliers: Vec<SupplierProfile>,
    /// Faults of the payment gateway at start and after `DELETE /admin/faults/gateway`.
    pub gateway_faults: FaultSettings,
    /// How long the "slow" test card takes to be confirmed.
    pub gateway_slow_delay: Duration,
    /// How long a request picked by `timeoutRate` hangs before answering 504: longer than any
    /// sane client timeout.
    pub fault_hang: Duration,
}

impl SimulatorConfig {
    /// The default suppliers with no latency and no faults: for tests.
    pub fn quiet(seed: u64) -> Self {
        let mut config = Self {
            seed,
            gateway_faults: FaultSettings::NONE,
            ..Self::default()
        };
        for supplier in &mut config.suppliers {
            supplier.default_faults = FaultSettings::NONE;
        }
        config
    }

    pub fn supplier(&self, name: &str) -> Option<&SupplierProfile> {
        self.suppliers.iter().find(|supplier| supplier.name == name)
    }

    /// Checks what the types cannot: unique, URL-safe supplier names and rates within 0..=1000.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for supplier in &self.suppliers {
            let well_formed = !supplier.name.is_empty()
                && supplier
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            if !well_formed || supplier.name == crate::faults::GATEWAY_TARGET {
                return Err(ConfigError::InvalidSupplierName(supplier.name.clone()));
            }
            if !seen.insert(supplier.name.as_str()) {
                return Err(ConfigError::DuplicateSupplier(supplier.name.clone()));
            }
            if supplier.price_factor == 0 {
                return Err(ConfigError::ZeroPriceFactor(supplier.name.clone()));
            }
            crate::faults::validate(&supplier.default_faults)
                .map_err(|_| ConfigError::InvalidFaults(supplier.name.clone()))?;
        }
        crate::faults::validate(&self.gateway_faults)
            .map_err(|_| ConfigError::InvalidFaults(crate::faults::GATEWAY_TARGET.into()))?;
        if self.webhook_secret.is_empty() {
            return Err(ConfigError::EmptyWebhookSecret);
        }
        Ok(())
    }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            hold_ttl: Duration::from_secs(15 * 60),
            webhook_secret: "whsec_wayfarer_dev".into(),
            webhook_url: None,
            suppliers: vec![
                SupplierProfile {
                    name: "aerolux".into(),
                    currency: CurrencyCode::EUR,
                    price_factor: 1150,
                    default_faults: FaultSettings::latency(40),
                },
                SupplierProfile {
                    name: "skyhop".into(),
                    currency: CurrencyCode::USD,
                    price_factor: 1000,
                    default_faults: FaultSettings::latency(120),
                },
                SupplierProfile {
                    name: "farefox".into(),
                    currency: CurrencyCode::GBP,
                    price_factor: 850,
                    default_faults: FaultSettings {
                        latency_ms: 350,
                        error_rate: 20,
                        ..FaultSettings::NONE
                    },
                },
            ],
            gateway_faults: FaultSettings::latency(60),
            gateway_slow_delay: Duration::from_secs(3),
            fault_hang: Duration::from_secs(60),
        }
    }
}

/// A configuration the simulator refuses to start with. Fix the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("supplier name {0:?} must be lowercase ASCII letters or digits, and not \"gateway\"")]
    InvalidSupplierName(String),
    #[error("supplier {0:?} is configured twice")]
    DuplicateSupplier(String),
    #[error("supplier {0:?} has a price factor of zero")]
    ZeroPriceFactor(String),
    #[error("default faults of {0:?} have a rate above 1000 per mille")]
    InvalidFaults(String),
    #[error("the webhook secret is empty")]
    EmptyWebhookSecret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_and_quiet_configurations_are_valid() {
        assert_eq!(SimulatorConfig::default().validate(), Ok(()));
        assert_eq!(SimulatorConfig::quiet(7).validate(), Ok(()));
    }

    #[test]
    fn a_quiet_configuration_has_no_latency_and_no_faults() {
        let config = SimulatorConfig::quiet(7);
        assert!(config
            .suppliers
            .iter()
            .all(|supplier| supplier.default_faults == FaultSettings::NONE));
        assert_eq!(config.gateway_faults, FaultSettings::NONE);
    }

    #[test]
    fn duplicate_or_malformed_supplier_names_are_refused() {
        let mut config = SimulatorConfig::quiet(1);
        config.suppliers.push(config.suppliers[0].clone());
        assert!(matches!(
            config.validate(),
            Err(ConfigError::DuplicateSupplier(_))
        ));
        let mut config = SimulatorConfig::quiet(1);
        config.suppliers[0].name = "Aero Lux".into();
        assert!(matches!(
            config.validate(),
            Err(ConfigError::InvalidSupplierName(_))
        ));
    }
}
