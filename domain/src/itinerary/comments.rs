//! Comments on an itinerary's items, as the aggregate keeps them to decide: who wrote each,
//! on which item, and whether it is deleted. The text is kept for "nothing to change".

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 2_000;
/// Most comments (deleted ones included) one itinerary may hold.
pub const MAX_COMMENTS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    pub item_id: Uuid,
    pub author_id: Uuid,
    pub text: String,
    pub deleted: bool,
}

/// Comment text: trimmed, 1 to [`COMMENT_MAX_CHARS`] characters, no control characters but
/// line breaks and tabs.
pub fn comment_text(input: &str) -> Option<String> {
    let text = input.trim();
    let length = text.chars().count();
    let clean = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    (length > 0 && length <= COMMENT_MAX_CHARS && clean).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        assert_eq!(
            comment_text("  Book ahead \n").as_deref(),
            Some("Book ahead")
        );
        assert_eq!(comment_text("two\nlines").as_deref(), Some("two\nlines"));
        assert_eq!(comment_text("   "), None);
        assert_eq!(comment_text("nul\0byte"), None);
        assert!(comment_text(&"é".repeat(COMMENT_MAX_CHARS)).is_some());
        assert_eq!(comment_text(&"é".repeat(COMMENT_MAX_CHARS + 1)), None);
    }
}
