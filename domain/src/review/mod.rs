//! The Review aggregate: one person's review of one place (its id is
//! [`wayfarer_schemas::review::review_id`], so there is one per person and place). 1 to 5
//! stars and a text; photos and videos by URL; "helpful" marks from other people, once each.
//! A deleted review can be written again, from nothing.

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use wayfarer_schemas::review::{MediaType, ReviewMedia};
use wayfarer_schemas::ReviewEvent;

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::media::{self, MediaError};
use crate::values::{check_text, Lines};

/// The longest review text, in characters.
pub const CONTENT_MAX_CHARS: usize = 5_000;
/// Photos and videos one review holds at most.
pub const MAX_MEDIA: usize = 10;
pub use crate::media::{CAPTION_MAX_CHARS, URL_MAX_BYTES};

/// Who asks, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewContext {
    pub actor: Uuid,
    /// A moderator or admin (from the people model).
    pub actor_is_moderator: bool,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReviewCommand {
    /// `createReview`: the API has checked the place exists.
    Create {
        context: ReviewContext,
        place_id: Uuid,
        rating: u8,
        content: String,
    },
    Update {
        context: ReviewContext,
        rating: u8,
        content: String,
    },
    /// By the author, or a moderator (`resolveFlag` with REMOVE).
    Delete {
        context: ReviewContext,
    },
    /// A moderator hides it (`resolveFlag` with HIDE).
    Hide {
        context: ReviewContext,
        reason: Option<String>,
    },
    AddMedia {
        context: ReviewContext,
        media_id: Uuid,
        url: String,
        media_type: MediaType,
        caption: Option<String>,
    },
    RemoveMedia {
        context: ReviewContext,
        media_id: Uuid,
    },
    MarkHelpful {
        context: ReviewContext,
    },
}

impl ReviewCommand {
    fn context(&self) -> &ReviewContext {
        match self {
            ReviewCommand::Create { context, .. }
            | ReviewCommand::Update { context, .. }
            | ReviewCommand::Delete { context }
            | ReviewCommand::AddMedia { context, .. }
            | ReviewCommand::RemoveMedia { context, .. }
            | ReviewCommand::MarkHelpful { context }
            | ReviewCommand::Hide { context, .. } => context,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// No such review, or it was deleted. Report "not found".
    #[error("review not found")]
    NotFound,
    /// The person reviewed this place already: update that review instead.
    #[error("you reviewed this place already; update that review")]
    AlreadyReviewed,
    #[error("only the review's author may do this")]
    NotAuthor,
    #[error("you cannot mark your own review helpful")]
    OwnReview,
    #[error("a rating is 1 to 5 stars")]
    InvalidRating,
    #[error("a review's text is 1 to {CONTENT_MAX_CHARS} characters")]
    InvalidContent,
    #[error("a media URL is an http(s) URL of at most {URL_MAX_BYTES} bytes")]
    InvalidUrl,
    #[error("a caption is at most {CAPTION_MAX_CHARS} characters on one line")]
    InvalidCaption,
    #[error("a review holds at most {MAX_MEDIA} photos and videos")]
    TooManyMedia,
    #[error("no such media on this review")]
    UnknownMedia,
    /// The media id was used for another media item (a bug in the caller).
    #[error("media {0} exists already")]
    MediaIdReused(Uuid),
    #[error("the change would leave everything as it is")]
    NothingToChange,
    #[error("only the review's author or a moderator may delete it")]
    NotAuthorOrModerator,
    #[error("only moderators hide reviews")]
    NotModerator,
}

impl DomainError for ReviewError {
    fn kind(&self) -> ErrorKind {
        match self {
            ReviewError::NotFound | ReviewError::UnknownMedia => ErrorKind::NotFound,
            ReviewError::NotAuthor
            | ReviewError::OwnReview
            | ReviewError::NotAuthorOrModerator
            | ReviewError::NotModerator => ErrorKind::Forbidden,
            ReviewError::AlreadyReviewed | ReviewError::MediaIdReused(_) => ErrorKind::Conflict,
            ReviewError::InvalidRating
            | ReviewError::InvalidContent
            | ReviewError::InvalidUrl
            | ReviewError::InvalidCaption
            | ReviewError::TooManyMedia
            | ReviewError::NothingToChange => ErrorKind::Validation,
        }
    }
}

/// A review while it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Written {
    pub place_id: Uuid,
    pub author_id: Uuid,
    pub rating: u8,
    pub content: String,
    pub media: Vec<ReviewMedia>,
    pub helpful: BTreeSet<Uuid>,
    /// Hidden by a moderator: only its author sees it.
    pub hidden: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// `None` before it is written and after it is deleted.
    written: Option<Written>,
}

impl Review {
    pub fn written(&self) -> Option<&Written> {
        self.written.as_ref()
    }

    fn live(&self) -> Result<&Written, ReviewError> {
        self.written.as_ref().ok_or(ReviewError::NotFound)
    }

    fn by_author(&self, context: &ReviewContext) -> Result<&Written, ReviewError> {
        let written = self.live()?;
        if written.author_id != context.actor {
            return Err(ReviewError::NotAuthor);
        }
        Ok(written)
    }
}

fn check_rating(rating: u8) -> Result<(), ReviewError> {
    if !(1..=5).contains(&rating) {
        return Err(ReviewError::InvalidRating);
    }
    Ok(())
}

/// The text trimmed, 1 to [`CONTENT_MAX_CHARS`] characters, lines and tabs allowed.
fn content(input: &str) -> Result<String, ReviewError> {
    let text = input.trim();
    let length = text.chars().count();
    if !(1..=CONTENT_MAX_CHARS).contains(&length)
        || check_text(text, Lines::Multi, "content").is_err()
    {
        return Err(ReviewError::InvalidContent);
    }
    Ok(text.to_owned())
}

fn media_error(error: MediaError) -> ReviewError {
    match error {
        MediaError::InvalidUrl => ReviewError::InvalidUrl,
        MediaError::InvalidCaption => ReviewError::InvalidCaption,
    }
}

impl Aggregate for Review {
    const TYPE: &'static str = wayfarer_schemas::review::AGGREGATE_TYPE;
    type Command = ReviewCommand;
    type Event = ReviewEvent;
    type Error = ReviewError;

    fn decide(&self, command: ReviewCommand) -> Result<Vec<ReviewEvent>, ReviewError> {
        let context = *command.context();
        let now = context.now;
        let event = match command {
            ReviewCommand::Create {
                place_id,
                rating,
                content: text,
                ..
            } => {
                if self.written.is_some() {
                    return Err(ReviewError::AlreadyReviewed);
                }
                check_rating(rating)?;
                ReviewEvent::ReviewCreated {
                    place_id,
                    author_id: context.actor,
                    rating,
                    content: content(&text)?,
                    created_at: now,
                }
            }
            ReviewCommand::Update {
                rating,
                content: text,
                ..
            } => {
                let written = self.by_author(&context)?;
                check_rating(rating)?;
                let text = content(&text)?;
                if written.rating == rating && written.content == text {
                    return Err(ReviewError::NothingToChange);
                }
                ReviewEvent::ReviewUpdated {
                    rating,
                    content: text,
                    updated_at: now,
                }
            }
            ReviewCommand::Delete { .. } => {
                let written = self.live()?;
                if written.author_id != context.actor && !context.actor_is_moderator {
                    return Err(ReviewError::NotAuthorOrModerator);
                }
                ReviewEvent::ReviewDeleted { deleted_at: now }
            }
            ReviewCommand::Hide { reason, .. } => {
                let written = self.live()?;
                if !context.actor_is_moderator {
                    return Err(ReviewError::NotModerator);
                }
                if written.hidden {
                    return Ok(Vec::new());
                }
                ReviewEvent::ReviewHidden {
                    hidden_by: context.actor,
                    reason: reason
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !r.is_empty()),
                    hidden_at: now,
                }
            }
            ReviewCommand::AddMedia {
                media_id,
                url,
                media_type,
                caption: text,
                ..
            } => {
                let written = self.by_author(&context)?;
                let media = ReviewMedia {
                    media_id,
                    url: media::media_url(&url).map_err(media_error)?,
                    media_type,
                    caption: media::caption(text.as_deref()).map_err(media_error)?,
                };
                if let Some(existing) = written.media.iter().find(|m| m.media_id == media_id) {
                    // Asked again (a retry): nothing more to do.
                    if *existing == media {
                        return Ok(Vec::new());
                    }
                    return Err(ReviewError::MediaIdReused(media_id));
                }
                if written.media.len() >= MAX_MEDIA {
                    return Err(ReviewError::TooManyMedia);
                }
                ReviewEvent::ReviewMediaAdded {
                    media,
                    added_at: now,
                }
            }
            ReviewCommand::RemoveMedia { media_id, .. } => {
                let written = self.by_author(&context)?;
                if !written.media.iter().any(|m| m.media_id == media_id) {
                    return Err(ReviewError::UnknownMedia);
                }
                ReviewEvent::ReviewMediaRemoved {
                    media_id,
                    removed_at: now,
                }
            }
            ReviewCommand::MarkHelpful { .. } => {
                let written = self.live()?;
                if written.author_id == context.actor {
                    return Err(ReviewError::OwnReview);
                }
                // Hidden: others see nothing to mark.
                if written.hidden {
                    return Err(ReviewError::NotFound);
                }
                // Marked before: once per person.
                if written.helpful.contains(&context.actor) {
                    return Ok(Vec::new());
                }
                ReviewEvent::ReviewMarkedHelpful {
                    user_id: context.actor,
                    marked_at: now,
                }
            }
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &ReviewEvent) {
        match event {
            ReviewEvent::ReviewCreated {
                place_id,
                author_id,
                rating,
                content,
                ..
            } => {
                self.written = Some(Written {
                    place_id: *place_id,
                    author_id: *author_id,
                    rating: *rating,
                    content: content.clone(),
                    media: Vec::new(),
                    helpful: BTreeSet::new(),
                    hidden: false,
                });
            }
            ReviewEvent::ReviewDeleted { .. } => self.written = None,
            event => {
                let Some(written) = self.written.as_mut() else {
                    return;
                };
                match event {
                    ReviewEvent::ReviewUpdated {
                        rating, content, ..
                    } => {
                        written.rating = *rating;
                        written.content = content.clone();
                    }
                    ReviewEvent::ReviewMediaAdded { media, .. } => {
                        written.media.push(media.clone())
                    }
                    ReviewEvent::ReviewMediaRemoved { media_id, .. } => {
                        written.media.retain(|m| m.media_id != *media_id)
                    }
                    ReviewEvent::ReviewMarkedHelpful { user_id, .. } => {
                        written.helpful.insert(*user_id);
                    }
                    ReviewEvent::ReviewHidden { .. } => written.hidden = true,
                    ReviewEvent::ReviewCreated { .. } | ReviewEvent::ReviewDeleted { .. } => {}
                }
            }
        }
    }

    fn expected_version(_command: &ReviewCommand) -> Option<u64> {
        None
    }
}
