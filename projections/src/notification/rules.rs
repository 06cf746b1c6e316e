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
    /// POST, COMMENT, REVIEW or ITINERARY: what a social or moderation notice is about.
    pub target_type: Option<&'static str>,
    pub target_id: Option<Uuid>,
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
            target_type: None,
            target_id: None,
            subject: None,
            detail: None,
        }
    }

    /// A notice about a post, comment, review or itinerary, quoting `subject` when known.
    fn on(mut self, target_type: &'static str, target_id: Uuid, subject: Option<&str>) -> Self {
        self.target_type = Some(target_type);
        self.target_id = Some(target_id);
        self.subject = subject.map(str::to_owned);
        self
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
            // Reactions to one thing on one day (UTC) fold into one.
            (NotificationKind::Reacted, _) => format!(
                "reacted/{}/{}/{}",
                self.recipient,
                self.target_id.map(|t| t.to_string()).unwrap_or_default(),
                at.date_naive()
            ),
            _ => format!("{event_id}/{}/{}", self.recipient, self.kind.as_str()),
        };
        Uuid::new_v5(&NOTIFICATION_NAMESPACE, name.as_bytes())
    }

    /// Whether more notices may fold into this one's notification.
    pub fn folds(&self) -> bool {
        matches!(
            self.kind,
            NotificationKind::ItineraryChanged | NotificationKind::Reacted
        )
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

/// The longest quote of a post in a notice, in characters.
pub const EXCERPT_CHARS: usize = 60;

/// The start of a post's text, for notices (its first line, cut at [`EXCERPT_CHARS`]).
pub fn excerpt(content: &str) -> String {
    let line = content.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return "a photo".to_owned();
    }
    let mut quote: String = line.chars().take(EXCERPT_CHARS).collect();
    if line.chars().count() > EXCERPT_CHARS {
        quote.push('…');
    }
    quote
}

/// A share of `original` (by `original_author`): its author is told, not of sharing one's
/// own. `excerpt` quotes it when known (otherwise the reader is given it when read).
pub fn share_notices(
    sharer: Uuid,
    original: Uuid,
    original_author: Uuid,
    excerpt: Option<&str>,
) -> Vec<Notice> {
    if sharer == original_author {
        return Vec::new();
    }
    vec![
        Notice::to(original_author, NotificationKind::PostShared, Some(sharer))
            .on("POST", original, excerpt),
    ]
}

/// A comment by `commenter` on `post` (by `post_author`), replying to a comment by
/// `parent_author` if any: the parent's author hears of the reply, the post's author of the
/// comment (once, and nobody of their own).
pub fn comment_notices(
    commenter: Uuid,
    post: Uuid,
    post_author: Uuid,
    parent_author: Option<Uuid>,
    excerpt: Option<&str>,
) -> Vec<Notice> {
    let mut notices = Vec::new();
    if let Some(parent) = parent_author.filter(|p| *p != commenter) {
        notices.push(
            Notice::to(parent, NotificationKind::CommentReplied, Some(commenter))
                .on("POST", post, excerpt),
        );
    }
    if post_author != commenter && Some(post_author) != parent_author {
        notices.push(
            Notice::to(
                post_author,
                NotificationKind::PostCommented,
                Some(commenter),
            )
            .on("POST", post, excerpt),
        );
    }
    notices
}

/// A new reaction by `reactor` to something of `owner`'s (`target_type` and `target_id`,
/// quoting `subject` when known): folded per target and day. A change of type is not news,
/// nor is a reaction to one's own.
pub fn reaction_notices(
    reactor: Uuid,
    owner: Uuid,
    target_type: &'static str,
    target_id: Uuid,
    subject: Option<&str>,
) -> Vec<Notice> {
    if reactor == owner {
        return Vec::new();
    }
    vec![
        Notice::to(owner, NotificationKind::Reacted, Some(reactor)).on(
            target_type,
            target_id,
            subject,
        ),
    ]
}

/// What the projection knows of a moderation case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub target_type: &'static str,
    pub target_id: Uuid,
    pub author_id: Uuid,
    /// Who flagged it since it was last decided.
    pub flaggers: Vec<Uuid>,
}

/// A moderator's decision: the author hears that their content was hidden (with the note) or
/// removed; everyone who flagged it hears it was decided. An escalation tells nobody yet.
pub fn moderation_notices(
    facts: &CaseFacts,
    action: wayfarer_schemas::ModerationAction,
    note: Option<&str>,
) -> Vec<Notice> {
    use wayfarer_schemas::ModerationAction as Action;
    if action == Action::Escalate {
        return Vec::new();
    }
    let about = |notice: Notice| Notice {
        target_type: Some(facts.target_type),
        target_id: Some(facts.target_id),
        ..notice
    };
    let mut notices = Vec::new();
    match action {
        Action::Hide => notices.push(about(Notice {
            detail: note.map(str::to_owned),
            ..Notice::to(facts.author_id, NotificationKind::ContentHidden, None)
        })),
        Action::Remove => notices.push(about(Notice::to(
            facts.author_id,
            NotificationKind::ContentRemoved,
            None,
        ))),
        Action::Dismiss | Action::Escalate => {}
    }
    let outcome = match action {
        Action::Dismiss => "no rule was broken",
        Action::Hide => "it was hidden",
        _ => "it was removed",
    };
    notices.extend(facts.flaggers.iter().map(|flagger| {
        about(Notice {
            detail: Some(outcome.to_owned()),
            ..Notice::to(*flagger, NotificationKind::FlagResolved, None)
        })
    }));
    notices
}

#[cfg(test)]
mod social_tests {
    use super::*;

    const ANA: Uuid = Uuid::from_u128(1);
    const BEN: Uuid = Uuid::from_u128(2);
    const CYD: Uuid = Uuid::from_u128(3);

    const POST: Uuid = Uuid::from_u128(9);

    #[test]
    fn a_reply_tells_the_parent_author_and_the_post_author_once_each() {
        let kinds = |notices: Vec<Notice>| -> Vec<(Uuid, NotificationKind)> {
            notices.into_iter().map(|n| (n.recipient, n.kind)).collect()
        };
        assert_eq!(
            kinds(comment_notices(CYD, POST, ANA, Some(BEN), Some("Sunrise"))),
            vec![
                (BEN, NotificationKind::CommentReplied),
                (ANA, NotificationKind::PostCommented)
            ]
        );
        // The post's author is the parent's author: one notice.
        assert_eq!(
            kinds(comment_notices(BEN, POST, ANA, Some(ANA), None)),
            vec![(ANA, NotificationKind::CommentReplied)]
        );
        assert!(comment_notices(ANA, POST, ANA, None, None).is_empty());
        assert!(share_notices(ANA, POST, ANA, None).is_empty());
        assert!(reaction_notices(ANA, ANA, "POST", POST, None).is_empty());
    }

    #[test]
    fn reactions_to_one_thing_on_one_day_fold_into_one_notification() {
        let at = chrono::Utc::now();
        let by_ben = &reaction_notices(BEN, ANA, "POST", POST, Some("Sunrise"))[0];
        let by_cyd = &reaction_notices(CYD, ANA, "POST", POST, None)[0];
        assert_eq!(
            by_ben.notification_id(Uuid::new_v4(), at),
            by_cyd.notification_id(Uuid::new_v4(), at)
        );
        assert!(by_ben.folds());
    }

    #[test]
    fn a_decision_tells_the_author_and_the_flaggers() {
        let facts = CaseFacts {
            target_type: "POST",
            target_id: POST,
            author_id: ANA,
            flaggers: vec![BEN, CYD],
        };
        use wayfarer_schemas::ModerationAction as Action;
        let hidden = moderation_notices(&facts, Action::Hide, Some("Spam"));
        assert_eq!(hidden.len(), 3);
        assert_eq!(
            (
                hidden[0].recipient,
                hidden[0].kind,
                hidden[0].detail.as_deref()
            ),
            (ANA, NotificationKind::ContentHidden, Some("Spam"))
        );
        assert!(hidden[1..]
            .iter()
            .all(|n| n.kind == NotificationKind::FlagResolved));
        assert_eq!(moderation_notices(&facts, Action::Dismiss, None).len(), 2);
        assert!(moderation_notices(&facts, Action::Escalate, None).is_empty());
    }
}
