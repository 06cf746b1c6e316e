//! The Comment aggregate: one comment on a post, or a reply to another comment of the same
//! post. Its author edits and deletes it (the thread keeps its place as "deleted"); the
//! post's author or a moderator hides and unhides it.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use wayfarer_schemas::CommentEvent;

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::values::{check_text, Lines};

/// The longest comment, in characters.
pub const CONTENT_MAX_CHARS: usize = 2_000;
/// The longest reason for hiding a comment, in characters.
pub const REASON_MAX_CHARS: usize = 300;

/// Who asks, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentContext {
    pub actor: Uuid,
    /// A moderator or admin (from the people model).
    pub actor_is_moderator: bool,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CommentCommand {
    /// `addComment`: the API has checked the post stands and the author may see it, and that
    /// the parent (if any) is a standing comment of the same post.
    Add {
        context: CommentContext,
        post_id: Uuid,
        post_author_id: Uuid,
        parent_comment_id: Option<Uuid>,
        parent_author_id: Option<Uuid>,
        content: String,
    },
    Update {
        context: CommentContext,
        content: String,
    },
    /// By its author or a moderator.
    Delete { context: CommentContext },
    /// By the post's author (`post_author`, read by the API) or a moderator.
    Hide {
        context: CommentContext,
        post_author: Uuid,
        reason: Option<String>,
    },
    Unhide {
        context: CommentContext,
        post_author: Uuid,
    },
}

impl CommentCommand {
    fn context(&self) -> &CommentContext {
        match self {
            CommentCommand::Add { context, .. }
            | CommentCommand::Update { context, .. }
            | CommentCommand::Delete { context }
            | CommentCommand::Hide { context, .. }
            | CommentCommand::Unhide { context, .. } => context,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    /// No such comment, or it was deleted. Report "not found".
    #[error("comment not found")]
    NotFound,
    /// The id names a comment already (a bug in the caller: ids are minted per request).
    #[error("comment exists already")]
    AlreadyExists,
    #[error("only the comment's author may do this")]
    NotAuthor,
    #[error("only the comment's author or a moderator may delete it")]
    NotAuthorOrModerator,
    #[error("only the post's author or a moderator may hide or unhide comments")]
    NotPostAuthorOrModerator,
    #[error("a comment is 1 to {CONTENT_MAX_CHARS} characters")]
    InvalidContent,
    #[error("a reason is at most {REASON_MAX_CHARS} characters on one line")]
    InvalidReason,
    #[error("the change would leave everything as it is")]
    NothingToChange,
    #[error("a moderator hid this comment: only moderators show it again")]
    HiddenByModerator,
}

impl DomainError for CommentError {
    fn kind(&self) -> ErrorKind {
        match self {
            CommentError::NotFound => ErrorKind::NotFound,
            CommentError::NotAuthor
            | CommentError::NotAuthorOrModerator
            | CommentError::NotPostAuthorOrModerator
            | CommentError::HiddenByModerator => ErrorKind::Forbidden,
            CommentError::AlreadyExists => ErrorKind::Conflict,
            CommentError::InvalidContent
            | CommentError::InvalidReason
            | CommentError::NothingToChange => ErrorKind::Validation,
        }
    }
}

/// A comment once written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Written {
    pub post_id: Uuid,
    pub parent_comment_id: Option<Uuid>,
    pub author_id: Uuid,
    pub content: String,
    pub hidden: bool,
    /// Hidden by a moderator: only staff show it again.
    pub hidden_by_moderator: bool,
    pub deleted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    written: Option<Written>,
}

impl Comment {
    /// The comment, unless it was never written or is deleted.
    pub fn standing(&self) -> Option<&Written> {
        self.written.as_ref().filter(|w| !w.deleted)
    }

    fn live(&self) -> Result<&Written, CommentError> {
        self.standing().ok_or(CommentError::NotFound)
    }
}

fn content(input: &str) -> Result<String, CommentError> {
    let text = input.trim();
    if !(1..=CONTENT_MAX_CHARS).contains(&text.chars().count())
        || check_text(text, Lines::Multi, "content").is_err()
    {
        return Err(CommentError::InvalidContent);
    }
    Ok(text.to_owned())
}

fn reason(input: Option<&str>) -> Result<Option<String>, CommentError> {
    let Some(text) = input.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > REASON_MAX_CHARS || check_text(text, Lines::Single, "reason").is_err()
    {
        return Err(CommentError::InvalidReason);
    }
    Ok(Some(text.to_owned()))
}

/// The post's author or a moderator.
fn may_moderate(context: &CommentContext, post_author: Uuid) -> Result<(), CommentError> {
    if context.actor != post_author && !context.actor_is_moderator {
        return Err(CommentError::NotPostAuthorOrModerator);
    }
    Ok(())
}

impl Aggregate for Comment {
    const TYPE: &'static str = wayfarer_schemas::comment::AGGREGATE_TYPE;
    type Command = CommentCommand;
    type Event = CommentEvent;
    type Error = CommentError;

    fn decide(&self, command: CommentCommand) -> Result<Vec<CommentEvent>, CommentError> {
        let context = *command.context();
        let now = context.now;
        let event = match command {
            CommentCommand::Add {
                post_id,
                post_author_id,
                parent_comment_id,
                parent_author_id,
                content: text,
                ..
            } => {
                if self.written.is_some() {
                    return Err(CommentError::AlreadyExists);
                }
                CommentEvent::CommentAdded {
                    post_id,
                    parent_comment_id,
                    author_id: context.actor,
                    post_author_id,
                    parent_author_id,
                    content: content(&text)?,
                    added_at: now,
                }
            }
            CommentCommand::Update { content: text, .. } => {
                let written = self.live()?;
                if written.author_id != context.actor {
                    return Err(CommentError::NotAuthor);
                }
                let text = content(&text)?;
                if written.content == text {
                    return Err(CommentError::NothingToChange);
                }
                CommentEvent::CommentUpdated {
                    content: text,
                    updated_at: now,
                }
            }
            CommentCommand::Delete { .. } => {
                let written = self.live()?;
                if written.author_id != context.actor && !context.actor_is_moderator {
                    return Err(CommentError::NotAuthorOrModerator);
                }
                CommentEvent::CommentDeleted {
                    deleted_by: context.actor,
                    deleted_at: now,
                }
            }
            CommentCommand::Hide {
                post_author,
                reason: text,
                ..
            } => {
                let written = self.live()?;
                may_moderate(&context, post_author)?;
                let reason = reason(text.as_deref())?;
                // Hidden already, and no moderator taking over the post author's hiding:
                // asked again, nothing more to do.
                if written.hidden && (written.hidden_by_moderator || !context.actor_is_moderator) {
                    return Ok(Vec::new());
                }
                CommentEvent::CommentHidden {
                    hidden_by: context.actor,
                    by_moderator: context.actor_is_moderator,
                    reason,
                    hidden_at: now,
                }
            }
            CommentCommand::Unhide { post_author, .. } => {
                let written = self.live()?;
                may_moderate(&context, post_author)?;
                if written.hidden_by_moderator && !context.actor_is_moderator {
                    return Err(CommentError::HiddenByModerator);
                }
                if !written.hidden {
                    return Ok(Vec::new());
                }
                CommentEvent::CommentUnhidden {
                    unhidden_by: context.actor,
                    unhidden_at: now,
                }
            }
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &CommentEvent) {
        if let CommentEvent::CommentAdded {
            post_id,
            parent_comment_id,
            author_id,
            content,
            ..
        } = event
        {
            self.written = Some(Written {
                post_id: *post_id,
                parent_comment_id: *parent_comment_id,
                author_id: *author_id,
                content: content.clone(),
                hidden: false,
                hidden_by_moderator: false,
                deleted: false,
            });
            return;
        }
        let Some(written) = self.written.as_mut() else {
            return;
        };
        match event {
            CommentEvent::CommentAdded { .. } => {}
            CommentEvent::CommentUpdated { content, .. } => written.content = content.clone(),
            CommentEvent::CommentDeleted { .. } => written.deleted = true,
            CommentEvent::CommentHidden { by_moderator, .. } => {
                written.hidden = true;
                written.hidden_by_moderator = *by_moderator;
            }
            CommentEvent::CommentUnhidden { .. } => {
                written.hidden = false;
                written.hidden_by_moderator = false;
            }
        }
    }

    fn expected_version(_command: &CommentCommand) -> Option<u64> {
        None
    }

    fn creates_new(command: &CommentCommand) -> bool {
        matches!(command, CommentCommand::Add { .. })
    }
}
