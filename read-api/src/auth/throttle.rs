//! Throttling of sign-in attempts (and of password reset mails) shared by every API node:
//! attempts are counted in Redis per account (the email, hashed) and per client address, in a
//! fixed window. An attempt over either limit is refused with `TOO_MANY_REQUESTS` and a
//! retry-after before any password hashing runs, so a guesser costs us a Redis round trip, not
//! an Argon2 verification (and nobody can flood an inbox with reset mails).
//!
//! An attempt is counted before the password is checked (one atomic script checks and
//! counts both keys), so concurrent guesses cannot slip past the limit; a successful login
//! clears its account's count and gives its address's attempt back.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// Sign-in attempts per account within the window.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Sign-in attempts per client address within the window (a success gives its own back).
pub const ADDRESS_LIMIT: u32 = 20;
/// Reset mails per account within the window.
pub const RESET_ACCOUNT_LIMIT: u32 = 3;
/// Reset requests per client address within the window.
pub const RESET_ADDRESS_LIMIT: u32 = 10;
/// How long counts live after an address's or an account's first attempt.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Checks both counts; if both are under their limits, counts the attempt in both and returns
/// 0, otherwise the milliseconds until the exceeded count expires.
const ADMIT: &str = r"
local window = tonumber(ARGV[3])
for i, limit in ipairs({tonumber(ARGV[1]), tonumber(ARGV[2])}) do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= limit then
    local left = redis.call('PTTL', KEYS[i])
    if left < 0 then left = window end
    return left
  end
end
for i = 1, 2 do
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], window, 'NX')
end
return 0
";

/// Forgets the account's count and gives the address its attempt back.
const SUCCEEDED: &str = r"
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 0
";

/// The Redis keys and limits of one attempt.
pub struct LoginAttempt {
    account_key: String,
    address_key: String,
    account_limit: u32,
    address_limit: u32,
}

impl LoginAttempt {
    /// A sign-in attempt (`login`, or `changePassword`'s check of the current password).
    /// `email` as typed (it is normalised as login normalises it); `address` is the client's,
    /// when the transport knows it (attempts without one share a bucket).
    pub fn new(redis_prefix: &str, email: &str, address: Option<IpAddr>) -> Self {
        Self::counted_as(
            "login",
            redis_prefix,
            email,
            address,
            ACCOUNT_LIMIT,
            ADDRESS_LIMIT,
        )
    }

    /// A request for a password reset mail.
    pub fn password_reset(redis_prefix: &str, email: &str, address: Option<IpAddr>) -> Self {
        Self::counted_as(
            "reset",
            redis_prefix,
            email,
            address,
            RESET_ACCOUNT_LIMIT,
            RESET_ADDRESS_LIMIT,
        )
    }

    fn counted_as(
        kind: &str,
        redis_prefix: &str,
        email: &str,
        address: Option<IpAddr>,
        account_limit: u32,
        address_limit: u32,
    ) -> Self {
        let email = email.trim().to_lowercase();
        let account = format!("{:x}", Sha256::digest(email.as_bytes()));
        let address = address.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        Self {
            account_key: format!("{redis_prefix}wayfarer:{kind}:account:{account}"),
            address_key: format!("{redis_prefix}wayfarer:{kind}:address:{address}"),
            account_limit,
            address_limit,
        }
    }

    /// Counts the attempt, or refuses it with the time until it may be tried again. Redis
    /// being away refuses logins (`UNAVAILABLE`) rather than letting guesses through unseen.
    pub async fn admit(&self, redis: &deadpool_redis::Pool) -> ApiResult<()> {
        let mut connection = redis.get().await.map_err(unavailable)?;
        let wait_ms: i64 = redis::Script::new(ADMIT)
            .key(&self.account_key)
            .key(&self.address_key)
            .arg(self.account_limit)
            .arg(self.address_limit)
            .arg(WINDOW.as_millis() as u64)
            .invoke_async(&mut *connection)
            .await
            .map_err(unavailable)?;
        if wait_ms > 0 {
            let retry_after_secs = (wait_ms as u64).div_ceil(1000);
            return Err(ApiError::TooManyRequests { retry_after_secs });
        }
        Ok(())
    }

    /// The password was right: the account starts afresh. A failure here only leaves the
    /// count as it was (it expires with the window), so it is logged, not returned.
    pub async fn succeeded(&self, redis: &deadpool_redis::Pool) {
        let cleared = async {
            let mut connection = redis.get().await.map_err(|e| e.to_string())?;
            redis::Script::new(SUCCEEDED)
                .key(&self.account_key)
                .key(&self.address_key)
                .invoke_async::<i64>(&mut *connection)
                .await
                .map_err(|e| e.to_string())
        };
        if let Err(error) = cleared.await {
            tracing::warn!(%error, "login attempt count not cleared");
        }
    }
}

fn unavailable(error: impl std::fmt::Display) -> ApiError {
    tracing::warn!(%error, "login throttle unavailable");
    ApiError::Unavailable("sign-in is unavailable; retry shortly".into())
}
