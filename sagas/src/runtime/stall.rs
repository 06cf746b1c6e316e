//! A failpoint for the tests that kill the worker: with `WAYFARER_SAGA_STALL_AT=<point>`, the
//! worker stops for good right after the step named `point` has had its effect and before it
//! is recorded (it says so on stderr), so a test can SIGKILL it at exactly that moment. Off
//! unless the variable is set.

use std::sync::Arc;

/// The environment variable naming the point to stall at.
pub const STALL_AT_VAR: &str = "WAYFARER_SAGA_STALL_AT";

/// What the worker writes on stderr when it stalls (followed by the point's name).
pub const STALLED: &str = "saga worker stalled at";

/// Where the worker stalls, if anywhere.
#[derive(Debug, Clone, Default)]
pub struct Stall(Option<Arc<str>>);

impl Stall {
    /// The point named by [`STALL_AT_VAR`], if set.
    pub fn from_env() -> Self {
        Self(std::env::var(STALL_AT_VAR).ok().map(Into::into))
    }

    /// Never stalls.
    pub fn never() -> Self {
        Self(None)
    }

    /// Waits forever when `point` is the one to stall at.
    pub async fn at(&self, point: &str) {
        if self.0.as_deref() == Some(point) {
            tracing::warn!(point, "stalled on purpose ({STALL_AT_VAR})");
            eprintln!("{STALLED} {point}");
            std::future::pending::<()>().await;
        }
    }
}
