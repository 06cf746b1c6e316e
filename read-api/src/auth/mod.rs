//! Accounts and tokens. Credentials live in their own table; the event log only ever sees
//! user ids.

pub mod accounts;
pub mod mail;
pub mod oidc;
pub mod password_reset;
pub mod passwords;
pub mod replay;
pub mod throttle;
pub mod tokens;
pub mod two_factor;

/// The client's network address, when the transport knows it (login throttling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Set when the caller of a WebSocket connection is banned or closes their account: from then
/// on the connection's operations are unauthenticated.
#[derive(Debug, Clone, Default)]
pub struct AccessRevoked(pub std::sync::Arc<std::sync::atomic::AtomicBool>);

impl AccessRevoked {
    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The authenticated caller of a request, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: uuid::Uuid,
    /// When the caller's access token expires (Unix seconds); subscriptions end then.
    pub expires_at: i64,
}
