//! The Redis hot cache of itinerary views, and the change notifications behind the
//! `itineraryChanged` subscription. A Lua script compares versions and writes, expires and
//! publishes atomically, so an older or repeated write never replaces a newer view and never
//! notifies twice.

use deadpool_redis::Pool;
use redis::Script;
use uuid::Uuid;

use super::view::ItineraryView;
use crate::{Names, ProjectionError};

pub const NAME: &str = "itinerary_cache";

/// How long an untouched view stays cached; a miss falls back to PostgreSQL.
pub const CACHE_TTL_SECONDS: u64 = 24 * 3600;

const PUT_IF_NEWER: &str = r#"
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'view', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1
"#;

/// Stores each view unless the cache already holds that version or a newer one. Returns how
/// many were written (and announced).
pub async fn put_views(
    pool: &Pool,
    names: &Names,
    views: &[ItineraryView],
) -> Result<usize, ProjectionError> {
    let script = Script::new(PUT_IF_NEWER);
    let mut connection = pool.get().await?;
    let mut written = 0;
    for view in views {
        let json =
            serde_json::to_string(view).map_err(|e| ProjectionError::RedisPool(e.to_string()))?;
        let stored: i64 = script
            .key(names.itinerary_cache_key(view.id))
            .key(names.itinerary_channel(view.id))
            .arg(view.version)
            .arg(json)
            .arg(CACHE_TTL_SECONDS)
            .invoke_async(&mut *connection)
            .await?;
        written += stored as usize;
    }
    Ok(written)
}

/// The cached view, if present.
pub async fn get_view(
    pool: &Pool,
    names: &Names,
    id: Uuid,
) -> Result<Option<ItineraryView>, ProjectionError> {
    let mut connection = pool.get().await?;
    let json: Option<String> = redis::cmd("HGET")
        .arg(names.itinerary_cache_key(id))
        .arg("view")
        .query_async(&mut *connection)
        .await?;
    Ok(json.and_then(|text| serde_json::from_str(&text).ok()))
}
