//! Paging shared by every list: page sizes and opaque cursors (a time and an id for keyset
//! pages, an offset for search results).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

const MAX_PAGE: usize = 100;
const DEFAULT_PAGE: usize = 20;
/// Longest search text, in characters.
const MAX_SEARCH_CHARS: usize = 200;
/// How deep offset paging may reach into a result list (OpenSearch's default
/// `max_result_window`); past it, a client should narrow the search instead.
const MAX_SEARCH_WINDOW: u64 = 10_000;

pub fn check_search_text(text: &str) -> ApiResult<()> {
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::Validation(format!(
            "query must be at most {MAX_SEARCH_CHARS} characters long"
        )));
    }
    wayfarer_domain::values::check_text(text, wayfarer_domain::values::Lines::Single, "query")
        .map_err(|error| ApiError::Validation(error.to_string()))
}

/// Refuses a page that reaches past the first [`MAX_SEARCH_WINDOW`] hits.
pub fn check_search_window(from: u64, size: usize) -> ApiResult<()> {
    if from.saturating_add(size as u64) > MAX_SEARCH_WINDOW {
        return Err(ApiError::Validation(format!(
            "search results can be paged through the first {MAX_SEARCH_WINDOW} hits only; narrow the search"
        )));
    }
    Ok(())
}

/// The cursor of the search hit at `offset`.
pub fn offset_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// The cursor of the event at store `position` (audit log pages).
pub fn position_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("position:{position}"))
}

/// The cursor of an entry ordered by a day, then a store position (expenses).
pub fn day_cursor(day: chrono::NaiveDate, position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("day:{day}|{position}"))
}

pub fn decode_day_cursor(cursor: &str) -> ApiResult<(chrono::NaiveDate, i64)> {
    let text = cursor_text(cursor)?;
    let (day, position) = text
        .strip_prefix("day:")
        .and_then(|rest| rest.split_once('|'))
        .ok_or_else(invalid_cursor)?;
    let day = day.parse().map_err(|_| invalid_cursor())?;
    let position = position.parse().map_err(|_| invalid_cursor())?;
    Ok((day, position))
}

pub fn decode_position(cursor: &str) -> ApiResult<i64> {
    cursor_text(cursor)?
        .strip_prefix("position:")
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(invalid_cursor)
}

pub fn page_size(first: Option<i32>) -> ApiResult<usize> {
    match first {
        None => Ok(DEFAULT_PAGE),
        Some(n) if n >= 1 && n as usize <= MAX_PAGE => Ok(n as usize),
        Some(_) => Err(ApiError::Validation(format!(
            "first must be between 1 and {MAX_PAGE}"
        ))),
    }
}

pub fn encode_cursor(created_at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{id}", created_at.to_rfc3339()))
}

fn invalid_cursor() -> ApiError {
    ApiError::Validation("invalid cursor".into())
}

/// An opaque cursor around `text` (for keys of more than a time and an id).
pub fn encode_opaque(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// The text inside an opaque cursor.
pub fn cursor_text(cursor: &str) -> ApiResult<String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid_cursor())?;
    String::from_utf8(bytes).map_err(|_| invalid_cursor())
}

pub fn decode_cursor(cursor: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let text = cursor_text(cursor)?;
    let (time, id) = text.split_once('|').ok_or_else(invalid_cursor)?;
    let time = DateTime::parse_from_rfc3339(time)
        .map_err(|_| invalid_cursor())?
        .with_timezone(&Utc);
    let id = Uuid::parse_str(id).map_err(|_| invalid_cursor())?;
    Ok((time, id))
}

pub fn decode_offset(cursor: Option<String>) -> ApiResult<u64> {
    let Some(cursor) = cursor else { return Ok(0) };
    cursor_text(&cursor)?
        .strip_prefix("offset:")
        .and_then(|n| n.parse::<u64>().ok())
        .and_then(|n| n.checked_add(1))
        .ok_or_else(invalid_cursor)
}
