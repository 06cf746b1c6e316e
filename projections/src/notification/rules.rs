//! Who is notified of what: pure rules over an event and the few facts the projection keeps
//! (an itinerary's owner and members, an item's and a comment's author).

use chrono::{DateTime, Timelike, Utc};
use uuid::Uuid;
use wayfarer_schemas::{BookingEvent, ItineraryEvent, NotificationKind, UserEvent};

/// What the projection knows of an itinerary when one of its events arrives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItineraryFacts {
    pub owner_id: Uuid,
    pub title: String,
    /// Accepted collaborators.
    pub members: Vec<Uuid>,
}

impl ItineraryFacts {
    /// The owner and every accepted collaborator.
    pub fn everyone(&self) -> impl Iterator<Item = Uuid> + '_ {
        std::iter::once(self.owner_id).chain(self.members.iter().copied())
    }

    pub fn is_member(&self, user: Uuid) -> bool {
        self.owner_id == user || self.members.contains(&user)
    }
}

/// One notification to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub recipient: Uuid,
    pub kind: NotificationKind,
    pub actor: Option<Uuid>,
    pub itinerary_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

impl Notice {
    fn to(recipient: Uuid, kind: NotificationKind, actor: Option<Uuid>) -> Self {
        Self {
            recipient,
            kind,
            actor,
            itinerary_id: None,
            item_id: None,
            booking_id: None,
            subject: None,
            detail: None,
        }
    }

    fn about(mut self, itinerary_id: Uuid, facts: &ItineraryFacts) -> Self {
        self.itinerary_id = Some(itinerary_id);
        self.subject = Some(facts.title.clone());
        self
    }

    /// The notification this notice becomes: edits by one person to one itinerary within
    /// the same clock hour (UTC; 9:00 to 9:59, say) fold into one (its id names them);
    /// anything else is one per event.
    pub fn notification_id(&self, event_id: Uuid, at: DateTime<Utc>) -> Uuid {
        let name = match (self.kind, self.itinerary_id) {
            (NotificationKind::ItineraryChanged, Some(itinerary)) => {
                let hour = at
                    .with_minute(0)
                    .and_then(|t| t.with_second(0))
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(at);
                format!(
                    "changed/{}/{itinerary}/{}/{}",
                    self.recipient,
                    self.actor.map(|a| a.to_string()).unwrap_or_default(),
                    hour.timestamp()
                )
            }
            _ => format!("{event_id}/{}/{}", self.recipient, self.kind.as_str()),
        };
        Uuid::new_v5(&NOTIFICATION_NAMESPACE, name.as_bytes())
    }

    /// Whether more notices may fold into this one's notification.
    pub fn folds(&self) -> bool {
        self.kind == NotificationKind::ItineraryChanged
    }
}

/// Names notification ids (version 5), so a rebuild gives every notification the id it had.
const NOTIFICATION_NAMESPACE: Uuid = Uuid::from_u128(0x6e0f_1c5a_9d43_4b8e_a1f2_7c3d_5e9b_0a41);

/// The notices an itinerary event gives rise to. `facts` is the itinerary as it was before
/// the event (absent for its creation); `actor` made the change.
pub fn itinerary_notices(
    itinerary_id: Uuid,
    event: &ItineraryEvent,
    actor: Option<Uuid>,
    facts: Option<&ItineraryFacts>,
    item_author: Option<Uuid>,
    item_title: Option<&str>,
    parent_author: Option<Uuid>,
) -> Vec<Notice> {
    let Some(facts) = facts else {
        return Vec::new();
    };
    let about = |notice: Notice| notice.about(itinerary_id, facts);
    match event {
        ItineraryEvent::CollaboratorInvited {
            user_id,
            invited_by,
            ..
        } => vec![about(Notice::to(
            *user_id,
            NotificationKind::Invited,
            Some(*invited_by),
        ))],
        ItineraryEvent::InvitationAccepted { user_id, .. } => vec![about(Notice::to(
            facts.owner_id,
            NotificationKind::InvitationAccepted,
            Some(*user_id),
        ))],
        ItineraryEvent::InvitationDeclined { user_id, .. } => vec![about(Notice::to(
            facts.owner_id,
            NotificationKind::InvitationDeclined,
            Some(*user_id),
        ))],
        ItineraryEvent::ItemCommentAdded {
            item_id, author_id, ..
        } => {
            // The item's author and, for a reply, the parent's author: each once, never the
            // commenter, and only while they still belong to the itinerary.
            let mut recipients: Vec<Uuid> = Vec::new();
            for recipient in [item_author, parent_author].into_iter().flatten() {
                if recipient != *author_id
                    && facts.is_member(recipient)
                    && !recipients.contains(&recipient)
                {
                    recipients.push(recipient);
                }
            }
            recipients
                .into_iter()
                .map(|recipient| {
                    let mut notice = about(Notice::to(
                        recipient,
                        NotificationKind::ItemCommented,
                        Some(*author_id),
                    ));
                    notice.item_id = Some(*item_id);
                    notice.detail = item_title.map(str::to_owned);
                    notice
                })
                .collect()
        }
        event if is_change(event) => facts
            .everyone()
            .filter(|member| Some(*member) != actor)
            .map(|member| {
                about(Notice::to(
                    member,
                    NotificationKind::ItineraryChanged,
                    actor,
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Changes to the plan itself (what members are told of as "changed").
fn is_change(event: &ItineraryEvent) -> bool {
    matches!(
        event,
        ItineraryEvent::ItineraryUpdated { .. }
            | ItineraryEvent::ItineraryDeleted { .. }
            | ItineraryEvent::ItineraryItemAdded { .. }
            | ItineraryEvent::ItineraryItemUpdated { .. }
            | ItineraryEvent::ItineraryItemDeleted { .. }
            | ItineraryEvent::ItineraryItemsReordered { .. }
            | ItineraryEvent::ItineraryStatusChanged { .. }
            | ItineraryEvent::ItineraryVersionRestored { .. }
            | ItineraryEvent::ExpenseAdded { .. }
            | ItineraryEvent::ExpenseUpdated { .. }
            | ItineraryEvent::ExpenseDeleted { .. }
            | ItineraryEvent::BudgetSet { .. }
    )
}

/// The notices of a person's own event (`user_id` is the person; `actor` acted).
pub fn user_notices(user_id: Uuid, event: &UserEvent, actor: Option<Uuid>) -> Vec<Notice> {
    match event {
        UserEvent::FollowRequested { follower_id, .. } => vec![Notice::to(
            user_id,
            NotificationKind::FollowRequested,
            Some(*follower_id),
        )],
        // Approving a request, or opening the profile to pending requests, is the person's
        // own doing: nothing to tell them.
        UserEvent::FollowerAdded { follower_id, .. } if actor != Some(user_id) => {
            vec![Notice::to(
                user_id,
                NotificationKind::NewFollower,
                Some(*follower_id),
            )]
        }
        UserEvent::PasswordChanged { by_reset, .. } => {
            let mut notice = Notice::to(user_id, NotificationKind::PasswordChanged, None);
            notice.detail = by_reset.then(|| "reset".to_owned());
            vec![notice]
        }
        _ => Vec::new(),
    }
}

/// What the projection knows of a booking when one of its events arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFacts {
    pub owner_id: Uuid,
    /// The supplier's title once reserved, else what was asked for ("flight", "hotel", …).
    pub title: String,
    /// What the wallet holds or paid, e.g. `45.00 EUR`, once funds are held.
    pub paid: Option<String>,
}

/// The notices of a booking event, to its owner: confirmed (and paid), failed (with the
/// reason), cancelled (with the refund). The process's intermediate steps are not news.
pub fn booking_notices(
    booking_id: Uuid,
    event: &BookingEvent,
    facts: Option<&BookingFacts>,
) -> Vec<Notice> {
    let Some(facts) = facts else {
        return Vec::new();
    };
    let (kind, detail) = match event {
        BookingEvent::BookingConfirmed { .. } => {
            (NotificationKind::BookingConfirmed, facts.paid.clone())
        }
        BookingEvent::BookingFailed { reason, .. } => {
            (NotificationKind::BookingFailed, Some(reason.clone()))
        }
        BookingEvent::BookingCancelled { refund, .. } => {
            (NotificationKind::BookingRefunded, Some(refund.display()))
        }
        _ => return Vec::new(),
    };
    let mut notice = Notice::to(facts.owner_id, kind, None);
    notice.booking_id = Some(booking_id);
    notice.subject = Some(facts.title.clone());
    notice.detail = detail;
    vec![notice]
}

/// The user events this projection reads (the others may carry sealed personal data and are
/// not decoded at all).
pub const USER_EVENTS_READ: &[&str] = &[
    "FollowRequested",
    "FollowerAdded",
    "FollowRequestDeclined",
    "FollowerRemoved",
    "PasswordChanged",
    "UserDeleted",
    "UserForgotten",
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const OWNER: Uuid = Uuid::from_u128(1);
    const EDITOR: Uuid = Uuid::from_u128(2);
    const VIEWER: Uuid = Uuid::from_u128(3);
    const OUTSIDER: Uuid = Uuid::from_u128(4);
    const TRIP: Uuid = Uuid::from_u128(0x10);
    const ITEM: Uuid = Uuid::from_u128(0x20);

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 9, 15, 0).unwrap()
    }

    fn facts() -> ItineraryFacts {
        ItineraryFacts {
            owner_id: OWNER,
            title: "Lisbon".into(),
            members: vec![EDITOR, VIEWER],
        }
    }

    #[test]
    fn a_booking_tells_its_owner_it_is_confirmed_failed_or_refunded_and_nothing_else() {
        const BOOKING: Uuid = Uuid::from_u128(0x30);
        let facts = BookingFacts {
            owner_id: OWNER,
            title: "AX 212 Paris CDG → New York JFK".into(),
            paid: Some("412.00 EUR".into()),
        };
        let confirmed = booking_notices(
            BOOKING,
            &BookingEvent::BookingConfirmed { confirmed_at: at() },
            Some(&facts),
        );
        assert_eq!(
            recipients(&confirmed),
            vec![(OWNER, NotificationKind::BookingConfirmed)]
        );
        assert_eq!(confirmed[0].booking_id, Some(BOOKING));
        assert_eq!(confirmed[0].detail.as_deref(), Some("412.00 EUR"));
        let failed = booking_notices(
            BOOKING,
            &BookingEvent::BookingFailed {
                reason: "The supplier has no seats left.".into(),
                compensations: vec![],
                failed_at: at(),
            },
            Some(&facts),
        );
        assert_eq!(failed[0].kind, NotificationKind::BookingFailed);
        assert_eq!(
            failed[0].detail.as_deref(),
            Some("The supplier has no seats left.")
        );
        let refunded = booking_notices(
            BOOKING,
            &BookingEvent::BookingCancelled {
                refund: wayfarer_schemas::itinerary::MoneyAmount {
                    amount_minor: 20600,
                    currency: "EUR".into(),
                },
                cancelled_at: at(),
            },
            Some(&facts),
        );
        assert_eq!(refunded[0].kind, NotificationKind::BookingRefunded);
        assert_eq!(refunded[0].detail.as_deref(), Some("206.00 EUR"));
        let step = BookingEvent::BookingCancellationRequested { requested_at: at() };
        assert!(booking_notices(BOOKING, &step, Some(&facts)).is_empty());
        let unknown = BookingEvent::BookingConfirmed { confirmed_at: at() };
        assert!(booking_notices(BOOKING, &unknown, None).is_empty());
    }

    fn recipients(notices: &[Notice]) -> Vec<(Uuid, NotificationKind)> {
        notices.iter().map(|n| (n.recipient, n.kind)).collect()
    }

    #[test]
    fn a_change_reaches_every_member_but_its_author() {
        let event = ItineraryEvent::ItineraryStatusChanged {
            status: wayfarer_schemas::ItineraryStatus::Planned,
            changed_at: at(),
        };
        let notices =
            itinerary_notices(TRIP, &event, Some(EDITOR), Some(&facts()), None, None, None);
        assert_eq!(
            recipients(&notices),
            vec![
                (OWNER, NotificationKind::ItineraryChanged),
                (VIEWER, NotificationKind::ItineraryChanged)
            ]
        );
        assert!(notices
            .iter()
            .all(|n| n.subject.as_deref() == Some("Lisbon") && n.itinerary_id == Some(TRIP)));
    }

    #[test]
    fn invitations_and_answers_reach_the_invitee_and_the_owner() {
        let invited = ItineraryEvent::CollaboratorInvited {
            user_id: OUTSIDER,
            access_level: wayfarer_schemas::AccessLevel::Edit,
            invited_by: OWNER,
            invited_at: at(),
        };
        let notices = itinerary_notices(
            TRIP,
            &invited,
            Some(OWNER),
            Some(&facts()),
            None,
            None,
            None,
        );
        assert_eq!(
            recipients(&notices),
            vec![(OUTSIDER, NotificationKind::Invited)]
        );
        let declined = ItineraryEvent::InvitationDeclined {
            user_id: OUTSIDER,
            declined_at: at(),
        };
        let notices = itinerary_notices(
            TRIP,
            &declined,
            Some(OUTSIDER),
            Some(&facts()),
            None,
            None,
            None,
        );
        assert_eq!(
            recipients(&notices),
            vec![(OWNER, NotificationKind::InvitationDeclined)]
        );
        assert_eq!(notices[0].actor, Some(OUTSIDER));
    }

    #[test]
    fn a_comment_reaches_the_items_author_and_the_parents_once_and_never_outsiders() {
        let comment = |author| ItineraryEvent::ItemCommentAdded {
            comment_id: Uuid::from_u128(0x30),
            item_id: ITEM,
            parent_comment_id: Some(Uuid::from_u128(0x31)),
            author_id: author,
            text: "Book ahead".into(),
            added_at: at(),
        };
        let notices = itinerary_notices(
            TRIP,
            &comment(VIEWER),
            Some(VIEWER),
            Some(&facts()),
            Some(EDITOR),
            Some("Tram 28"),
            Some(OWNER),
        );
        assert_eq!(
            recipients(&notices),
            vec![
                (EDITOR, NotificationKind::ItemCommented),
                (OWNER, NotificationKind::ItemCommented)
            ]
        );
        assert_eq!(notices[0].detail.as_deref(), Some("Tram 28"));
        // The commenter is not told of their own comment; a former member is not told at all.
        let notices = itinerary_notices(
            TRIP,
            &comment(EDITOR),
            Some(EDITOR),
            Some(&facts()),
            Some(EDITOR),
            None,
            Some(OUTSIDER),
        );
        assert!(notices.is_empty());
    }

    #[test]
    fn follows_notify_unless_the_person_did_it_and_a_password_change_always_does() {
        let added = UserEvent::FollowerAdded {
            follower_id: EDITOR,
            followed_at: at(),
        };
        assert_eq!(
            recipients(&user_notices(OWNER, &added, Some(EDITOR))),
            vec![(OWNER, NotificationKind::NewFollower)]
        );
        assert!(user_notices(OWNER, &added, Some(OWNER)).is_empty());
        let changed = UserEvent::PasswordChanged {
            by_reset: true,
            changed_at: at(),
        };
        let notices = user_notices(OWNER, &changed, Some(OWNER));
        assert_eq!(
            recipients(&notices),
            vec![(OWNER, NotificationKind::PasswordChanged)]
        );
        assert_eq!(notices[0].detail.as_deref(), Some("reset"));
    }

    #[test]
    fn edits_within_an_hour_by_one_person_fold_into_one_notification() {
        let notice = Notice::to(OWNER, NotificationKind::ItineraryChanged, Some(EDITOR))
            .about(TRIP, &facts());
        let first = notice.notification_id(Uuid::from_u128(1), at());
        let later =
            notice.notification_id(Uuid::from_u128(2), at() + chrono::Duration::minutes(30));
        let next_hour =
            notice.notification_id(Uuid::from_u128(3), at() + chrono::Duration::minutes(50));
        assert_eq!(first, later);
        assert_ne!(first, next_hour);
        let invited = Notice::to(OWNER, NotificationKind::Invited, Some(EDITOR));
        assert_ne!(
            invited.notification_id(Uuid::from_u128(1), at()),
            invited.notification_id(Uuid::from_u128(2), at())
        );
    }
}
