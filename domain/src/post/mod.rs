//! The Post aggregate: a travel story (text, photos and videos by URL, tags) or a share of
//! someone's post. Its author edits and deletes it; a moderator may delete it too. Who may
//! see it follows its author's privacy, which the read side applies.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use wayfarer_schemas::post::{PostMedia, PostTags};
use wayfarer_schemas::review::MediaType;
use wayfarer_schemas::PostEvent;

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::media::{self, MediaError};
use crate::values::{check_text, Lines, Location};

/// The longest post text, in characters.
pub const CONTENT_MAX_CHARS: usize = 10_000;
/// Photos and videos one post holds at most.
pub const MAX_MEDIA: usize = 20;
/// Hashtags one post holds at most.
pub const MAX_HASHTAGS: usize = 30;
/// The longest hashtag, in characters (without `#`).
pub const HASHTAG_MAX_CHARS: usize = 50;

/// Who asks, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostContext {
    pub actor: Uuid,
    /// A moderator or admin (from the people model).
    pub actor_is_moderator: bool,
    pub now: DateTime<Utc>,
}

/// A photo or video as someone asks to attach it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaInput {
    pub url: String,
    pub media_type: MediaType,
    pub caption: Option<String>,
}

/// A post's text, media and tags as its author writes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostDraft {
    pub content: String,
    pub media: Vec<MediaInput>,
    pub itinerary_id: Option<Uuid>,
    pub place_id: Option<Uuid>,
    /// A free location: name, latitude, longitude.
    pub location: Option<(String, f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PostCommand {
    /// `createPost`: the API has checked the tagged itinerary and place exist and that the
    /// author may see the itinerary.
    Create {
        context: PostContext,
        draft: PostDraft,
    },
    /// `sharePost`: `original` is the post shared (the API resolves a share to the post it
    /// shares, and checks the sharer can see it). Only a text goes with a share.
    Share {
        context: PostContext,
        original: Uuid,
        original_author: Uuid,
        content: String,
    },
    Update {
        context: PostContext,
        draft: PostDraft,
    },
    Delete {
        context: PostContext,
    },
    /// A moderator hides it (`resolveFlag` with HIDE).
    Hide {
        context: PostContext,
        reason: Option<String>,
    },
}

impl PostCommand {
    fn context(&self) -> &PostContext {
        match self {
            PostCommand::Create { context, .. }
            | PostCommand::Share { context, .. }
            | PostCommand::Update { context, .. }
            | PostCommand::Delete { context }
            | PostCommand::Hide { context, .. } => context,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// No such post, or it was deleted. Report "not found".
    #[error("post not found")]
    NotFound,
    /// The id names a post already (a bug in the caller: ids are minted per request).
    #[error("post exists already")]
    AlreadyExists,
    #[error("only the post's author may do this")]
    NotAuthor,
    #[error("only the post's author or a moderator may delete it")]
    NotAuthorOrModerator,
    #[error("a post has a text or at least one photo or video")]
    Empty,
    #[error("a post's text is at most {CONTENT_MAX_CHARS} characters")]
    InvalidContent,
    #[error(
        "a media URL is an http(s) URL of at most {} bytes",
        media::URL_MAX_BYTES
    )]
    InvalidUrl,
    #[error(
        "a caption is at most {} characters on one line",
        media::CAPTION_MAX_CHARS
    )]
    InvalidCaption,
    #[error("a post holds at most {MAX_MEDIA} photos and videos")]
    TooManyMedia,
    #[error("a location has a name of one line and valid coordinates")]
    InvalidLocation,
    #[error(
        "a post holds at most {MAX_HASHTAGS} hashtags of at most {HASHTAG_MAX_CHARS} characters"
    )]
    InvalidHashtags,
    /// A share carries a text only: its media and tags are the original's.
    #[error("a share carries only a text")]
    ShareCarriesTextOnly,
    #[error("the change would leave everything as it is")]
    NothingToChange,
    #[error("only moderators hide posts")]
    NotModerator,
}

impl DomainError for PostError {
    fn kind(&self) -> ErrorKind {
        match self {
            PostError::NotFound => ErrorKind::NotFound,
            PostError::NotAuthor | PostError::NotAuthorOrModerator | PostError::NotModerator => {
                ErrorKind::Forbidden
            }
            PostError::AlreadyExists => ErrorKind::Conflict,
            PostError::Empty
            | PostError::InvalidContent
            | PostError::InvalidUrl
            | PostError::InvalidCaption
            | PostError::TooManyMedia
            | PostError::InvalidLocation
            | PostError::InvalidHashtags
            | PostError::ShareCarriesTextOnly
            | PostError::NothingToChange => ErrorKind::Validation,
        }
    }
}

/// A post while it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub author_id: Uuid,
    pub content: String,
    pub media: Vec<PostMedia>,
    pub tags: PostTags,
    pub shared_post_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    published: Option<Published>,
    deleted: bool,
    /// Hidden by a moderator: only its author sees it.
    hidden: bool,
}

impl Post {
    /// The post, unless it was never written or is deleted.
    pub fn published(&self) -> Option<&Published> {
        self.published.as_ref().filter(|_| !self.deleted)
    }

    fn live(&self) -> Result<&Published, PostError> {
        self.published().ok_or(PostError::NotFound)
    }

    /// Hidden by a moderator (only its author and staff see it).
    pub fn is_hidden(&self) -> bool {
        self.hidden
    }

    fn fresh(&self) -> Result<(), PostError> {
        if self.published.is_some() {
            return Err(PostError::AlreadyExists);
        }
        Ok(())
    }
}

/// The hashtags of a text: `#` then letters, digits or `_`, lower-cased, each once, in the
/// order they first appear.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('#') {
        let after = &rest[at + 1..];
        let tag: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        rest = &after[tag.len()..];
        let tag = tag.to_lowercase();
        if !tag.is_empty() && !found.contains(&tag) {
            found.push(tag);
        }
    }
    found
}

fn content(input: &str) -> Result<String, PostError> {
    let text = input.trim();
    if text.chars().count() > CONTENT_MAX_CHARS
        || check_text(text, Lines::Multi, "content").is_err()
    {
        return Err(PostError::InvalidContent);
    }
    Ok(text.to_owned())
}

fn media_error(error: MediaError) -> PostError {
    match error {
        MediaError::InvalidUrl => PostError::InvalidUrl,
        MediaError::InvalidCaption => PostError::InvalidCaption,
    }
}

/// The draft checked: its text, media and tags as they will be recorded.
fn checked(draft: PostDraft) -> Result<(String, Vec<PostMedia>, PostTags), PostError> {
    let text = content(&draft.content)?;
    if draft.media.len() > MAX_MEDIA {
        return Err(PostError::TooManyMedia);
    }
    let media = draft
        .media
        .into_iter()
        .map(|m| {
            Ok(PostMedia {
                url: media::media_url(&m.url).map_err(media_error)?,
                media_type: m.media_type,
                caption: media::caption(m.caption.as_deref()).map_err(media_error)?,
            })
        })
        .collect::<Result<Vec<_>, PostError>>()?;
    if text.is_empty() && media.is_empty() {
        return Err(PostError::Empty);
    }
    let location = draft
        .location
        .map(|(name, lat, lon)| {
            Location::new(&name, lat, lon)
                .map(|l| wayfarer_schemas::Location {
                    name: l.name().to_owned(),
                    lat: l.lat(),
                    lon: l.lon(),
                })
                .map_err(|_| PostError::InvalidLocation)
        })
        .transpose()?;
    let hashtags = hashtags(&text);
    if hashtags.len() > MAX_HASHTAGS
        || hashtags
            .iter()
            .any(|t| t.chars().count() > HASHTAG_MAX_CHARS)
    {
        return Err(PostError::InvalidHashtags);
    }
    let tags = PostTags {
        itinerary_id: draft.itinerary_id,
        place_id: draft.place_id,
        location,
        hashtags,
    };
    Ok((text, media, tags))
}

impl Aggregate for Post {
    const TYPE: &'static str = wayfarer_schemas::post::AGGREGATE_TYPE;
    type Command = PostCommand;
    type Event = PostEvent;
    type Error = PostError;

    fn decide(&self, command: PostCommand) -> Result<Vec<PostEvent>, PostError> {
        let context = *command.context();
        let now = context.now;
        let event = match command {
            PostCommand::Create { draft, .. } => {
                self.fresh()?;
                let (content, media, tags) = checked(draft)?;
                PostEvent::PostCreated {
                    author_id: context.actor,
                    content,
                    media,
                    tags,
                    shared_post_id: None,
                    shared_post_author_id: None,
                    created_at: now,
                }
            }
            PostCommand::Share {
                original,
                original_author,
                content: text,
                ..
            } => {
                self.fresh()?;
                let content = content(&text)?;
                PostEvent::PostCreated {
                    author_id: context.actor,
                    tags: PostTags {
                        hashtags: hashtags(&content),
                        ..PostTags::default()
                    },
                    content,
                    media: Vec::new(),
                    shared_post_id: Some(original),
                    shared_post_author_id: Some(original_author),
                    created_at: now,
                }
            }
            PostCommand::Update { draft, .. } => {
                let published = self.live()?;
                if published.author_id != context.actor {
                    return Err(PostError::NotAuthor);
                }
                let is_share = published.shared_post_id.is_some();
                if is_share
                    && (!draft.media.is_empty()
                        || draft.itinerary_id.is_some()
                        || draft.place_id.is_some()
                        || draft.location.is_some())
                {
                    return Err(PostError::ShareCarriesTextOnly);
                }
                let (content, media, tags) = if is_share {
                    let text = content(&draft.content)?;
                    let tags = PostTags {
                        hashtags: hashtags(&text),
                        ..PostTags::default()
                    };
                    (text, Vec::new(), tags)
                } else {
                    checked(draft)?
                };
                if published.content == content
                    && published.media == media
                    && published.tags == tags
                {
                    return Err(PostError::NothingToChange);
                }
                PostEvent::PostUpdated {
                    content,
                    media,
                    tags,
                    updated_at: now,
                }
            }
            PostCommand::Delete { .. } => {
                let published = self.live()?;
                if published.author_id != context.actor && !context.actor_is_moderator {
                    return Err(PostError::NotAuthorOrModerator);
                }
                PostEvent::PostDeleted {
                    deleted_by: context.actor,
                    deleted_at: now,
                }
            }
            PostCommand::Hide { reason, .. } => {
                self.live()?;
                if !context.actor_is_moderator {
                    return Err(PostError::NotModerator);
                }
                if self.hidden {
                    return Ok(Vec::new());
                }
                PostEvent::PostHidden {
                    hidden_by: context.actor,
                    reason: reason
                        .map(|r| r.trim().to_owned())
                        .filter(|r| !r.is_empty()),
                    hidden_at: now,
                }
            }
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &PostEvent) {
        match event {
            PostEvent::PostCreated {
                author_id,
                content,
                media,
                tags,
                shared_post_id,
                ..
            } => {
                self.published = Some(Published {
                    author_id: *author_id,
                    content: content.clone(),
                    media: media.clone(),
                    tags: tags.clone(),
                    shared_post_id: *shared_post_id,
                });
            }
            PostEvent::PostUpdated {
                content,
                media,
                tags,
                ..
            } => {
                if let Some(published) = self.published.as_mut() {
                    published.content = content.clone();
                    published.media = media.clone();
                    published.tags = tags.clone();
                }
            }
            PostEvent::PostDeleted { .. } => self.deleted = true,
            PostEvent::PostHidden { .. } => self.hidden = true,
        }
    }

    fn expected_version(_command: &PostCommand) -> Option<u64> {
        None
    }

    fn creates_new(command: &PostCommand) -> bool {
        matches!(
            command,
            PostCommand::Create { .. } | PostCommand::Share { .. }
        )
    }
}
