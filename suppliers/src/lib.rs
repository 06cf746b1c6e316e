//! Simulators of the third parties a booking depends on: three travel suppliers (`aerolux`,
//! `skyhop`, `farefox`) that sell flights, hotels and activities, and a payment gateway; with
//! their wire types ([`api`]) and typed clients ([`client`]).
//!
//! Wayfarer's booking saga must survive suppliers that are slow, fail, sell out, let holds
//! lapse and charge in their own currency, and a gateway that declines cards and answers
//! late. Real sandboxes cannot be made to do that on demand, repeatably; these can. Prices,
//! inventory and injected faults are deterministic for a seed, so a failing test can be
//! replayed. Everything is in memory: a restart is a sandbox reset.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = wayfarer_suppliers::SimulatorConfig::default();
//! wayfarer_suppliers::serve(listener, config, std::future::pending()).await
//! # }
//! ```

pub mod api;
mod cards;
mod catalogue;
pub mod client;
mod config;
mod data;
mod error;
mod extract;
mod faults;
mod gateway;
mod hashing;
mod idempotency;
mod inventory;
mod offer_id;
mod offers;
mod pricing;
mod reservations;
mod routes;
mod signature;
mod simulator;
mod webhooks;

use std::future::Future;

pub use cards::{CARD_DECLINED, CARD_INSUFFICIENT_FUNDS, CARD_SLOW, CARD_SUCCEEDS};
pub use config::{ConfigError, SimulatorConfig, SupplierProfile};
pub use data::{Airport, City, ReferenceData};
pub use error::ApiError;
pub use extract::IDEMPOTENCY_KEY_HEADER;
pub use faults::GATEWAY_TARGET;
pub use routes::router;
pub use signature::{verify_webhook_signature, SignatureError, SIGNATURE_HEADER};
pub use simulator::Simulator;

/// Serves the simulators on `listener` until `shutdown` completes, then finishes the
/// requests in flight (an injected hang holds shutdown until it ends).
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: SimulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let simulator = Simulator::new(config)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "supplier simulators listening");
    }
    axum::serve(listener, router(simulator))
        .with_graceful_shutdown(shutdown)
        .await
}
