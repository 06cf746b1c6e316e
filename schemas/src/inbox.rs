//! Events of the Inbox aggregate (topic `wayfarer.inbox`): one per person, holding what they
//! did with their notifications (read marks) and how they want to be notified. The
//! notifications themselves are a projection of other aggregates' events.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Aggregate type name, used in the store and in the topic name.
pub const AGGREGATE_TYPE: &str = "inbox";

/// Current schema version of every inbox event.
///
/// - `1.0`: the first published version.
pub const EVENT_VERSION: &str = "1.0";

/// What a notification is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationKind {
    /// Someone invited you to an itinerary.
    Invited,
    /// Someone accepted your invitation.
    InvitationAccepted,
    /// Someone declined your invitation.
    InvitationDeclined,
    /// Someone else changed an itinerary you are a member of.
    ItineraryChanged,
    /// Someone commented on your item, or replied to your comment.
    ItemCommented,
    /// Someone follows you.
    NewFollower,
    /// Someone asks to follow you.
    FollowRequested,
    /// Your password was changed (a security notice).
    PasswordChanged,
    /// Your booking is confirmed and paid.
    BookingConfirmed,
    /// Your booking could not be made (what was undone is said).
    BookingFailed,
    /// Your booking was cancelled and refunded to your wallet.
    BookingRefunded,
    /// Someone commented on your post.
    PostCommented,
    /// Someone replied to your comment on a post.
    CommentReplied,
    /// People reacted to your post, comment or itinerary (folded: "ana and 12 others").
    Reacted,
    /// Someone shared your post.
    PostShared,
    /// A moderator hid your post, comment or review (the reason is said).
    ContentHidden,
    /// A moderator removed your post, comment or review.
    ContentRemoved,
    /// A moderator decided on something you flagged.
    FlagResolved,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 18] = [
        NotificationKind::Invited,
        NotificationKind::InvitationAccepted,
        NotificationKind::InvitationDeclined,
        NotificationKind::ItineraryChanged,
        NotificationKind::ItemCommented,
        NotificationKind::NewFollower,
        NotificationKind::FollowRequested,
        NotificationKind::PasswordChanged,
        NotificationKind::BookingConfirmed,
        NotificationKind::BookingFailed,
        NotificationKind::BookingRefunded,
        NotificationKind::PostCommented,
        NotificationKind::CommentReplied,
        NotificationKind::Reacted,
        NotificationKind::PostShared,
        NotificationKind::ContentHidden,
        NotificationKind::ContentRemoved,
        NotificationKind::FlagResolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Invited => "INVITED",
            NotificationKind::InvitationAccepted => "INVITATION_ACCEPTED",
            NotificationKind::InvitationDeclined => "INVITATION_DECLINED",
            NotificationKind::ItineraryChanged => "ITINERARY_CHANGED",
            NotificationKind::ItemCommented => "ITEM_COMMENTED",
            NotificationKind::NewFollower => "NEW_FOLLOWER",
            NotificationKind::FollowRequested => "FOLLOW_REQUESTED",
            NotificationKind::PasswordChanged => "PASSWORD_CHANGED",
            NotificationKind::BookingConfirmed => "BOOKING_CONFIRMED",
            NotificationKind::BookingFailed => "BOOKING_FAILED",
            NotificationKind::BookingRefunded => "BOOKING_REFUNDED",
            NotificationKind::PostCommented => "POST_COMMENTED",
            NotificationKind::CommentReplied => "COMMENT_REPLIED",
            NotificationKind::Reacted => "REACTED",
            NotificationKind::PostShared => "POST_SHARED",
            NotificationKind::ContentHidden => "CONTENT_HIDDEN",
            NotificationKind::ContentRemoved => "CONTENT_REMOVED",
            NotificationKind::FlagResolved => "FLAG_RESOLVED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// How a person is notified of this kind until they say otherwise: in the app always;
    /// by email for everything but the streams of edits to shared itineraries and of
    /// reactions.
    pub fn default_channels(self) -> NotificationChannels {
        NotificationChannels {
            in_app: true,
            email: !matches!(
                self,
                NotificationKind::ItineraryChanged | NotificationKind::Reacted
            ),
        }
    }
}

/// Whether a kind of notification is shown in the app, and whether it is emailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationChannels {
    pub in_app: bool,
    pub email: bool,
}

/// The channels of one kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreference {
    pub kind: NotificationKind,
    pub in_app: bool,
    pub email: bool,
}

impl NotificationPreference {
    pub fn channels(&self) -> NotificationChannels {
        NotificationChannels {
            in_app: self.in_app,
            email: self.email,
        }
    }
}

/// Everything that can happen to an inbox. Past tense; internally tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum InboxEvent {
    /// The person read one notification: it counts as read up to `read_at` (a later change
    /// folded into it makes it unread again).
    NotificationRead {
        notification_id: Uuid,
        read_at: DateTime<Utc>,
    },
    /// Everything notified up to `read_at` counts as read.
    AllNotificationsRead { read_at: DateTime<Utc> },
    /// The channels of the kinds listed (the others keep theirs).
    NotificationPreferencesUpdated {
        preferences: Vec<NotificationPreference>,
        updated_at: DateTime<Utc>,
    },
}

impl crate::EventContract for InboxEvent {
    const AGGREGATE_TYPE: &'static str = AGGREGATE_TYPE;
    const VERSION: &'static str = EVENT_VERSION;
    const EVENT_TYPES: &'static [&'static str] = &[
        "NotificationRead",
        "AllNotificationsRead",
        "NotificationPreferencesUpdated",
    ];

    fn event_type(&self) -> &'static str {
        match self {
            InboxEvent::NotificationRead { .. } => "NotificationRead",
            InboxEvent::AllNotificationsRead { .. } => "AllNotificationsRead",
            InboxEvent::NotificationPreferencesUpdated { .. } => "NotificationPreferencesUpdated",
        }
    }
}
