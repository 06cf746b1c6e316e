//! The Inbox aggregate: one per person (its id is theirs), holding what they did with their
//! notifications and how they want to be notified. The notifications themselves are built
//! by the notifications projection from other aggregates' events; the inbox only records
//! read marks and preferences, so a rebuilt projection shows them as the person left them.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wayfarer_schemas::{
    InboxEvent, NotificationChannels, NotificationKind, NotificationPreference,
};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};

/// Who asks, and when. Only the person acts on their inbox: the caller of the API is always
/// the inbox's owner (the API names no other inbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxContext {
    pub actor: Uuid,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InboxCommand {
    /// `markNotificationAsRead`; the API has checked that the notification is the caller's.
    /// `seen_up_to` is the notification's latest change as the caller was shown it: a change
    /// folded in later leaves it unread again.
    MarkRead {
        context: InboxContext,
        notification_id: Uuid,
        seen_up_to: DateTime<Utc>,
    },
    /// `markAllNotificationsAsRead`: everything notified up to `seen_up_to` (the latest
    /// change among the caller's notifications; `None` when they have none). Read marks are
    /// instants of the notifications' own clock, not of the request, so a notification
    /// delivered late is not read before anyone saw it.
    MarkAllRead {
        context: InboxContext,
        seen_up_to: Option<DateTime<Utc>>,
    },
    /// `updateNotificationPreferences`: the channels of the kinds listed.
    UpdatePreferences {
        context: InboxContext,
        preferences: Vec<NotificationPreference>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    #[error("name at least one kind of notification")]
    NoPreferences,
    #[error("{} is listed more than once", .0.as_str())]
    DuplicateKind(NotificationKind),
    /// Security notices always go out by email: a stolen session must not silence them.
    #[error("{} is a security notice and is always emailed", .0.as_str())]
    SecurityEmailRequired(NotificationKind),
}

impl DomainError for InboxError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

/// The kinds whose email cannot be turned off.
pub fn always_emailed(kind: NotificationKind) -> bool {
    kind == NotificationKind::PasswordChanged
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inbox {
    /// The kinds whose channels differ from their defaults.
    preferences: BTreeMap<NotificationKind, NotificationChannels>,
}

impl Inbox {
    /// The channels of `kind` for this person.
    pub fn channels(&self, kind: NotificationKind) -> NotificationChannels {
        self.preferences
            .get(&kind)
            .copied()
            .unwrap_or_else(|| kind.default_channels())
    }

    fn decide_preferences(
        &self,
        context: InboxContext,
        preferences: Vec<NotificationPreference>,
    ) -> Result<Vec<InboxEvent>, InboxError> {
        if preferences.is_empty() {
            return Err(InboxError::NoPreferences);
        }
        let mut seen = std::collections::BTreeSet::new();
        for preference in &preferences {
            if !seen.insert(preference.kind) {
                return Err(InboxError::DuplicateKind(preference.kind));
            }
            if always_emailed(preference.kind) && !preference.email {
                return Err(InboxError::SecurityEmailRequired(preference.kind));
            }
        }
        // Only what changes is recorded; asking for what is already so records nothing.
        let changed: Vec<NotificationPreference> = preferences
            .into_iter()
            .filter(|p| self.channels(p.kind) != p.channels())
            .collect();
        if changed.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![InboxEvent::NotificationPreferencesUpdated {
            preferences: changed,
            updated_at: context.now,
        }])
    }
}

impl Aggregate for Inbox {
    const TYPE: &'static str = wayfarer_schemas::inbox::AGGREGATE_TYPE;
    type Command = InboxCommand;
    type Event = InboxEvent;
    type Error = InboxError;

    // Read marks make long streams; the state is only the preferences.
    const SNAPSHOT_FORMAT: Option<&'static str> = Some("inbox-1");

    fn to_snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    fn from_snapshot(snapshot: serde_json::Value) -> Option<Self> {
        serde_json::from_value(snapshot).ok()
    }

    fn decide(&self, command: InboxCommand) -> Result<Vec<InboxEvent>, InboxError> {
        match command {
            InboxCommand::MarkRead {
                notification_id,
                seen_up_to,
                ..
            } => Ok(vec![InboxEvent::NotificationRead {
                notification_id,
                read_at: seen_up_to,
            }]),
            InboxCommand::MarkAllRead { seen_up_to, .. } => Ok(seen_up_to
                .map(|read_at| InboxEvent::AllNotificationsRead { read_at })
                .into_iter()
                .collect()),
            InboxCommand::UpdatePreferences {
                context,
                preferences,
            } => self.decide_preferences(context, preferences),
        }
    }

    fn apply(&mut self, event: &InboxEvent) {
        if let InboxEvent::NotificationPreferencesUpdated { preferences, .. } = event {
            for preference in preferences {
                if preference.channels() == preference.kind.default_channels() {
                    self.preferences.remove(&preference.kind);
                } else {
                    self.preferences
                        .insert(preference.kind, preference.channels());
                }
            }
        }
    }

    fn expected_version(_command: &InboxCommand) -> Option<u64> {
        None
    }

    fn creates_new(_command: &InboxCommand) -> bool {
        false
    }
}
