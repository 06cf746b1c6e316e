//! Photos and videos by URL, as reviews and posts hold them: the checks they share.

use crate::values::{check_text, Lines};

/// The longest media URL, in bytes.
pub const URL_MAX_BYTES: usize = 2_048;
/// The longest media caption, in characters.
pub const CAPTION_MAX_CHARS: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaError {
    InvalidUrl,
    InvalidCaption,
}

/// The URL trimmed: http(s), with a host, at most [`URL_MAX_BYTES`], no spaces or controls.
pub fn media_url(input: &str) -> Result<String, MediaError> {
    let url = input.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let host_ok = url
        .split_once("://")
        .map(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
        .unwrap_or(false);
    if !scheme_ok
        || !host_ok
        || url.len() > URL_MAX_BYTES
        || url.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(MediaError::InvalidUrl);
    }
    Ok(url.to_owned())
}

/// The caption trimmed (`None` when blank): one line of at most [`CAPTION_MAX_CHARS`].
pub fn caption(input: Option<&str>) -> Result<Option<String>, MediaError> {
    let Some(text) = input.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > CAPTION_MAX_CHARS
        || check_text(text, Lines::Single, "caption").is_err()
    {
        return Err(MediaError::InvalidCaption);
    }
    Ok(Some(text.to_owned()))
}
