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

/// The authenticated caller of a request, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: uuid::Uuid,
    /// When the caller's access token expires (Unix seconds); subscriptions end then.
    pub expires_at: i64,
}
