//! The Redis hot cache of itinerary views, and the change notifications behind the
//! `itineraryChanged` subscription.
//!
//! - **Generations** (blue/green): views live under keys of a generation, and a pointer key
//!   names the live one. A rebuild fills a fresh generation, then swaps the pointer
//!   atomically and drops the old generation's keys: readers never see a half-built cache.
//! - **One Redis**: the scripts build the live generation's key from the pointer they read,
//!   which a single Redis (or one replicated primary) allows and Redis Cluster does not.
//! - **Writes** are Lua scripts that compare versions, so an older or repeated write never
//!   replaces a newer view.
//! - **Announcements** are separate from writes: the live projector announces each version
//!   once (a per-itinerary "announced" marker), whichever generation holds the view; a
//!   rebuild writes silently and never announces (the side-effect gate).

use deadpool_redis::Pool;
use redis::Script;
use uuid::Uuid;

use super::view::ItineraryView;
use crate::{Names, ProjectionError};

pub const NAME: &str = "itinerary_cache";

/// How long an untouched view (and its announcement marker) stays; a miss falls back to
/// PostgreSQL.
pub const CACHE_TTL_SECONDS: u64 = 24 * 3600;

/// KEYS: generation pointer, announced marker, channel. ARGV: version, view, ttl, key prefix,
/// id. Writes into the live generation if newer; announces if not announced yet.
const PUT_LIVE: &str = r#"
local generation = redis.call('GET', KEYS[1]) or '0'
local key = ARGV[4] .. generation .. ':' .. ARGV[5]
local current = redis.call('HGET', key, 'version')
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('HSET', key, 'version', ARGV[1], 'view', ARGV[2])
  redis.call('EXPIRE', key, ARGV[3])
end
local announced = redis.call('GET', KEYS[2])
if announced and tonumber(announced) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
redis.call('PUBLISH', KEYS[3], ARGV[2])
return 1
"#;

/// KEYS: the view's key in the rebuild's generation. ARGV: version, view, ttl.
const PUT_SILENT: &str = r#"
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'view', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"#;

/// KEYS: generation pointer. ARGV: key prefix, id.
const GET_LIVE: &str = r#"
local generation = redis.call('GET', KEYS[1]) or '0'
return redis.call('HGET', ARGV[1] .. generation .. ':' .. ARGV[2], 'view')
"#;

fn to_json(view: &ItineraryView) -> Result<String, ProjectionError> {
    serde_json::to_string(view).map_err(|e| ProjectionError::RedisPool(e.to_string()))
}

/// Stores each view in the live generation unless it holds that version or a newer one, and
/// announces each version not announced before. Returns how many were announced.
pub async fn put_views(
    pool: &Pool,
    names: &Names,
    views: &[ItineraryView],
) -> Result<usize, ProjectionError> {
    let script = Script::new(PUT_LIVE);
    let mut connection = pool.get().await?;
    let mut announced = 0;
    for view in views {
        let stored: i64 = script
            .key(names.itinerary_cache_generation())
            .key(names.itinerary_announced(view.id))
            .key(names.itinerary_channel(view.id))
            .arg(view.version)
            .arg(to_json(view)?)
            .arg(CACHE_TTL_SECONDS)
            .arg(names.itinerary_cache_prefix())
            .arg(view.id.to_string())
            .invoke_async(&mut *connection)
            .await?;
        announced += stored as usize;
    }
    Ok(announced)
}

/// Stores each view in `generation` (a rebuild's), version-guarded, announcing nothing.
pub async fn put_views_silently(
    pool: &Pool,
    names: &Names,
    generation: u64,
    views: &[ItineraryView],
) -> Result<(), ProjectionError> {
    let script = Script::new(PUT_SILENT);
    let mut connection = pool.get().await?;
    for view in views {
        let _: i64 = script
            .key(names.itinerary_cache_key(generation, view.id))
            .arg(view.version)
            .arg(to_json(view)?)
            .arg(CACHE_TTL_SECONDS)
            .invoke_async(&mut *connection)
            .await?;
    }
    Ok(())
}

/// A fresh generation for a rebuild to fill (never the live one).
pub async fn new_generation(pool: &Pool, names: &Names) -> Result<u64, ProjectionError> {
    let mut connection = pool.get().await?;
    let live: Option<u64> = redis::cmd("GET")
        .arg(names.itinerary_cache_generation())
        .query_async(&mut *connection)
        .await?;
    loop {
        let generation: u64 = redis::cmd("INCR")
            .arg(names.itinerary_cache_next_generation())
            .query_async(&mut *connection)
            .await?;
        if Some(generation) != live && generation != 0 {
            return Ok(generation);
        }
    }
}

/// Makes `generation` live (one atomic SET) and drops the keys of the one it replaces.
pub async fn swap_in(pool: &Pool, names: &Names, generation: u64) -> Result<(), ProjectionError> {
    let mut connection = pool.get().await?;
    let old: Option<u64> = redis::cmd("SET")
        .arg(names.itinerary_cache_generation())
        .arg(generation)
        .arg("GET")
        .query_async(&mut *connection)
        .await?;
    let old = old.unwrap_or(0);
    drop(connection);
    if old == generation {
        return Ok(());
    }
    drop_generation(pool, names, old).await
}

/// Unlinks every key of `generation` (one replaced, or a failed rebuild's).
pub async fn drop_generation(
    pool: &Pool,
    names: &Names,
    generation: u64,
) -> Result<(), ProjectionError> {
    let mut connection = pool.get().await?;
    let pattern = format!("{}{generation}:*", names.itinerary_cache_prefix());
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut *connection)
            .await?;
        if !keys.is_empty() {
            let _: i64 = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(&mut *connection)
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// The cached view in the live generation, if present.
pub async fn get_view(
    pool: &Pool,
    names: &Names,
    id: Uuid,
) -> Result<Option<ItineraryView>, ProjectionError> {
    let mut connection = pool.get().await?;
    let json: Option<String> = Script::new(GET_LIVE)
        .key(names.itinerary_cache_generation())
        .arg(names.itinerary_cache_prefix())
        .arg(id.to_string())
        .invoke_async(&mut *connection)
        .await?;
    Ok(json.and_then(|text| serde_json::from_str(&text).ok()))
}
