//! Moderation: the community guidelines, and one case per flagged post, comment or review
//! (its id is [`wayfarer_schemas::moderation::case_id`]) where every flag of it gathers.
//!
//! Anyone signed in flags content once, citing a rule; a moderator resolves the open flags
//! (DISMISS, HIDE, REMOVE, or ESCALATE to the admins, who then decide). A case dismissed
//! opens again when someone new flags the content.

pub mod guidelines;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;
use wayfarer_schemas::moderation::{FlagTarget, ModerationAction, ModerationEvent};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::values::{check_text, Lines};

/// The longest reason or note, in characters.
pub const TEXT_MAX_CHARS: usize = 1_000;

/// Who asks, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseContext {
    pub actor: Uuid,
    pub actor_is_moderator: bool,
    pub actor_is_admin: bool,
    pub now: DateTime<Utc>,
}

/// The content flagged, as the API found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlaggedContent {
    pub target_type: FlagTarget,
    pub target_id: Uuid,
    pub author_id: Uuid,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CaseCommand {
    /// `flagContent`: the API has checked the flagger can see the content and that the rule
    /// is one of the guidelines of `guidelines_version`, the version in force.
    Flag {
        context: CaseContext,
        content: FlaggedContent,
        rule_code: String,
        guidelines_version: u32,
        reason: Option<String>,
    },
    /// `resolveFlag`: the API has applied HIDE or REMOVE to the content first.
    Resolve {
        context: CaseContext,
        action: ModerationAction,
        note: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("you flagged this already")]
    AlreadyFlagged,
    #[error("you cannot flag your own content")]
    OwnContent,
    /// Nothing flagged, or the flags were decided. Report "not found".
    #[error("no open flags on this content")]
    NothingOpen,
    #[error("only moderators resolve flags")]
    NotModerator,
    #[error("escalated flags are decided by admins")]
    NotAdmin,
    #[error("these flags are with the admins already")]
    AlreadyEscalated,
    #[error("a reason or note is at most {TEXT_MAX_CHARS} characters")]
    InvalidText,
}

impl DomainError for CaseError {
    fn kind(&self) -> ErrorKind {
        match self {
            CaseError::NothingOpen => ErrorKind::NotFound,
            CaseError::NotModerator | CaseError::NotAdmin | CaseError::OwnContent => {
                ErrorKind::Forbidden
            }
            CaseError::AlreadyFlagged => ErrorKind::Conflict,
            CaseError::AlreadyEscalated | CaseError::InvalidText => ErrorKind::Validation,
        }
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaseStatus {
    /// Flags wait for a moderator.
    Open,
    /// Flags wait for an admin.
    Escalated,
    /// Decided; a new flag opens it again.
    Resolved,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "OPEN",
            CaseStatus::Escalated => "ESCALATED",
            CaseStatus::Resolved => "RESOLVED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModerationCase {
    /// What was flagged (from the first flag).
    content: Option<FlaggedContent>,
    status: CaseStatus,
    /// Everyone who ever flagged it (once each).
    flagged_by: BTreeSet<Uuid>,
    /// The flaggers of the open round (told when it is decided).
    open_flaggers: Vec<Uuid>,
}

impl Default for ModerationCase {
    fn default() -> Self {
        Self {
            content: None,
            status: CaseStatus::Resolved,
            flagged_by: BTreeSet::new(),
            open_flaggers: Vec::new(),
        }
    }
}

impl ModerationCase {
    pub fn status(&self) -> CaseStatus {
        self.status
    }

    /// What was flagged (`None` before the first flag).
    pub fn content(&self) -> Option<FlaggedContent> {
        self.content
    }

    /// Who flagged the content since it was last decided.
    pub fn open_flaggers(&self) -> &[Uuid] {
        &self.open_flaggers
    }
}

fn text(input: Option<String>) -> Result<Option<String>, CaseError> {
    let Some(text) = input.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > TEXT_MAX_CHARS || check_text(&text, Lines::Multi, "text").is_err() {
        return Err(CaseError::InvalidText);
    }
    Ok(Some(text))
}

impl Aggregate for ModerationCase {
    const TYPE: &'static str = wayfarer_schemas::moderation::CASE_AGGREGATE_TYPE;
    type Command = CaseCommand;
    type Event = ModerationEvent;
    type Error = CaseError;

    fn decide(&self, command: CaseCommand) -> Result<Vec<ModerationEvent>, CaseError> {
        let event = match command {
            CaseCommand::Flag {
                context,
                content,
                rule_code,
                guidelines_version,
                reason,
            } => {
                if content.author_id == context.actor {
                    return Err(CaseError::OwnContent);
                }
                if self.flagged_by.contains(&context.actor) {
                    return Err(CaseError::AlreadyFlagged);
                }
                ModerationEvent::ContentFlagged {
                    target_type: content.target_type,
                    target_id: content.target_id,
                    author_id: content.author_id,
                    flagged_by: context.actor,
                    rule_code,
                    guidelines_version,
                    reason: text(reason)?,
                    flagged_at: context.now,
                }
            }
            CaseCommand::Resolve {
                context,
                action,
                note,
            } => {
                match self.status {
                    CaseStatus::Resolved => return Err(CaseError::NothingOpen),
                    CaseStatus::Open if !context.actor_is_moderator && !context.actor_is_admin => {
                        return Err(CaseError::NotModerator)
                    }
                    CaseStatus::Escalated if !context.actor_is_admin => {
                        return Err(if context.actor_is_moderator {
                            CaseError::NotAdmin
                        } else {
                            CaseError::NotModerator
                        })
                    }
                    CaseStatus::Escalated if action == ModerationAction::Escalate => {
                        return Err(CaseError::AlreadyEscalated)
                    }
                    _ => {}
                }
                ModerationEvent::FlagsResolved {
                    action,
                    resolved_by: context.actor,
                    note: text(note)?,
                    resolved_at: context.now,
                }
            }
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &ModerationEvent) {
        match event {
            ModerationEvent::ContentFlagged {
                target_type,
                target_id,
                author_id,
                flagged_by,
                ..
            } => {
                self.content.get_or_insert(FlaggedContent {
                    target_type: *target_type,
                    target_id: *target_id,
                    author_id: *author_id,
                });
                self.flagged_by.insert(*flagged_by);
                self.open_flaggers.push(*flagged_by);
                if self.status == CaseStatus::Resolved {
                    self.status = CaseStatus::Open;
                }
            }
            ModerationEvent::FlagsResolved { action, .. } => {
                if *action == ModerationAction::Escalate {
                    self.status = CaseStatus::Escalated;
                } else {
                    self.status = CaseStatus::Resolved;
                    self.open_flaggers.clear();
                }
            }
        }
    }

    fn expected_version(_command: &CaseCommand) -> Option<u64> {
        None
    }
}
