//! The words of a notification, the same in the app and in its email.

use uuid::Uuid;
use wayfarer_schemas::NotificationKind;

/// What a notification needs to be put into words.
#[derive(Debug, Clone, Copy)]
pub struct Wording<'a> {
    pub kind: NotificationKind,
    /// `None` when unknown or the account is closed.
    pub actor_name: Option<&'a str>,
    pub actor_id: Option<Uuid>,
    pub itinerary_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    /// POST, COMMENT, REVIEW or ITINERARY: what a social or moderation notice is about.
    pub target_type: Option<&'a str>,
    pub target_id: Option<Uuid>,
    pub subject: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub changes: i32,
}

impl Wording<'_> {
    /// One sentence, e.g. `ana invited you to “Lisbon in spring”`.
    pub fn message(&self) -> String {
        let actor = self.actor_name.unwrap_or("Someone");
        let subject = self.subject.unwrap_or("an itinerary");
        match self.kind {
            NotificationKind::Invited => format!("{actor} invited you to “{subject}”"),
            NotificationKind::InvitationAccepted => {
                format!("{actor} accepted your invitation to “{subject}”")
            }
            NotificationKind::InvitationDeclined => {
                format!("{actor} declined your invitation to “{subject}”")
            }
            NotificationKind::ItineraryChanged if self.changes > 1 => {
                format!("{actor} made {} changes to “{subject}”", self.changes)
            }
            NotificationKind::ItineraryChanged => format!("{actor} changed “{subject}”"),
            NotificationKind::ItemCommented => format!(
                "{actor} commented on “{}” in “{subject}”",
                self.detail.unwrap_or("an item")
            ),
            NotificationKind::NewFollower => format!("{actor} follows you"),
            NotificationKind::FollowRequested => format!("{actor} asks to follow you"),
            NotificationKind::PasswordChanged if self.detail == Some("reset") => {
                "Your password was reset with a mailed link. If it was not you, reset it \
                 again at once."
                    .to_owned()
            }
            NotificationKind::PasswordChanged => "Your password was changed. If it was not \
                 you, reset it at once."
                .to_owned(),
            NotificationKind::BookingConfirmed => match self.detail {
                Some(paid) => format!("Your booking “{subject}” is confirmed: {paid} paid"),
                None => format!("Your booking “{subject}” is confirmed"),
            },
            NotificationKind::BookingFailed => format!(
                "Your booking “{subject}” could not be made. {}",
                self.detail.unwrap_or("Nothing was charged.")
            ),
            NotificationKind::BookingRefunded => format!(
                "Your booking “{subject}” is cancelled: {} refunded to your wallet",
                self.detail.unwrap_or("nothing")
            ),
            NotificationKind::PostCommented => {
                format!("{actor} commented on your post{}", self.quoted())
            }
            NotificationKind::CommentReplied => {
                format!("{actor} replied to your comment on a post{}", self.quoted())
            }
            NotificationKind::Reacted if self.changes > 1 => format!(
                "{actor} and {} {} reacted to your {}{}",
                self.changes - 1,
                if self.changes == 2 { "other" } else { "others" },
                self.target_word(),
                self.quoted()
            ),
            NotificationKind::Reacted => format!(
                "{actor} reacted to your {}{}",
                self.target_word(),
                self.quoted()
            ),
            NotificationKind::PostShared => {
                format!("{actor} shared your post{}", self.quoted())
            }
            NotificationKind::ContentHidden => match self.detail {
                Some(reason) => format!("A moderator hid your {}: {reason}", self.target_word()),
                None => format!("A moderator hid your {}", self.target_word()),
            },
            NotificationKind::ContentRemoved => {
                format!("A moderator removed your {}", self.target_word())
            }
            NotificationKind::FlagResolved => format!(
                "Moderators reviewed the {} you flagged: {}",
                self.target_word(),
                self.detail.unwrap_or("decided")
            ),
        }
    }

    /// The post, comment, review or itinerary, in a word.
    fn target_word(&self) -> String {
        self.target_type
            .map(str::to_lowercase)
            .unwrap_or_else(|| "post".to_owned())
    }

    /// ` “the start of the text (or title)”` a notice is about, when known.
    fn quoted(&self) -> String {
        self.subject
            .map(|subject| format!(" “{subject}”"))
            .unwrap_or_default()
    }

    /// Where in the web client it leads.
    pub fn path(&self) -> String {
        if let Some(booking) = self.booking_id {
            return format!("/bookings/{booking}");
        }
        if let (Some(kind), Some(id)) = (self.target_type, self.target_id) {
            let section = match kind {
                "ITINERARY" => "itineraries",
                "COMMENT" => "comments",
                "REVIEW" => "reviews",
                _ => "posts",
            };
            return format!("/{section}/{id}");
        }
        match (self.kind, self.itinerary_id, self.actor_id) {
            (NotificationKind::PasswordChanged, _, _) => "/settings/security".to_owned(),
            (_, Some(itinerary), _) => format!("/itineraries/{itinerary}"),
            (_, None, Some(actor)) => format!("/people/{actor}"),
            _ => "/notifications".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wording(kind: NotificationKind) -> Wording<'static> {
        Wording {
            kind,
            actor_name: Some("ana"),
            actor_id: Some(Uuid::from_u128(1)),
            itinerary_id: Some(Uuid::from_u128(2)),
            booking_id: None,
            target_type: None,
            target_id: None,
            subject: Some("Lisbon"),
            detail: Some("Tram 28"),
            changes: 1,
        }
    }

    #[test]
    fn every_kind_reads_as_a_sentence_naming_who_and_what() {
        assert_eq!(
            wording(NotificationKind::ItemCommented).message(),
            "ana commented on “Tram 28” in “Lisbon”"
        );
        let folded = Wording {
            changes: 3,
            ..wording(NotificationKind::ItineraryChanged)
        };
        assert_eq!(folded.message(), "ana made 3 changes to “Lisbon”");
        let gone = Wording {
            actor_name: None,
            ..wording(NotificationKind::Invited)
        };
        assert_eq!(gone.message(), "Someone invited you to “Lisbon”");
        assert_eq!(gone.path(), format!("/itineraries/{}", Uuid::from_u128(2)));
        let booked = Wording {
            actor_name: None,
            actor_id: None,
            booking_id: Some(Uuid::from_u128(3)),
            subject: Some("Hotel Aurora, deluxe room"),
            detail: Some("206.00 EUR"),
            ..wording(NotificationKind::BookingRefunded)
        };
        assert_eq!(
            booked.message(),
            "Your booking “Hotel Aurora, deluxe room” is cancelled: 206.00 EUR refunded to your \
             wallet"
        );
        assert_eq!(booked.path(), format!("/bookings/{}", Uuid::from_u128(3)));
        for kind in NotificationKind::ALL {
            assert!(!wording(kind).message().is_empty());
        }
    }

    #[test]
    fn reactions_fold_into_one_sentence_and_lead_to_what_they_are_about() {
        let reacted = Wording {
            target_type: Some("POST"),
            target_id: Some(Uuid::from_u128(9)),
            subject: Some("Sunrise over #Lisbon"),
            detail: None,
            changes: 13,
            ..wording(NotificationKind::Reacted)
        };
        assert_eq!(
            reacted.message(),
            "ana and 12 others reacted to your post “Sunrise over #Lisbon”"
        );
        assert_eq!(reacted.path(), format!("/posts/{}", Uuid::from_u128(9)));
        let one_more = Wording {
            changes: 2,
            ..reacted
        };
        assert_eq!(
            one_more.message(),
            "ana and 1 other reacted to your post “Sunrise over #Lisbon”"
        );
        let hidden = Wording {
            target_type: Some("COMMENT"),
            detail: Some("Off topic"),
            ..wording(NotificationKind::ContentHidden)
        };
        assert_eq!(hidden.message(), "A moderator hid your comment: Off topic");
    }
}
