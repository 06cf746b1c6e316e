//! Given/when/then for every inbox command and rejection.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);
const NOTE: Uuid = Uuid::from_u128(0xa0);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
}

fn context() -> InboxContext {
    InboxContext {
        actor: ADA,
        now: now(),
    }
}

fn preference(kind: NotificationKind, in_app: bool, email: bool) -> NotificationPreference {
    NotificationPreference {
        kind,
        in_app,
        email,
    }
}

#[test]
fn reading_one_or_all_is_recorded_up_to_what_was_seen() {
    let seen = now() - chrono::Duration::minutes(5);
    given::<Inbox>([])
        .when(InboxCommand::MarkRead {
            context: context(),
            notification_id: NOTE,
            seen_up_to: seen,
        })
        .then_expect(vec![InboxEvent::NotificationRead {
            notification_id: NOTE,
            read_at: seen,
        }]);
    given::<Inbox>([])
        .when(InboxCommand::MarkAllRead {
            context: context(),
            seen_up_to: Some(seen),
        })
        .then_expect(vec![InboxEvent::AllNotificationsRead { read_at: seen }]);
}

#[test]
fn reading_all_of_nothing_records_nothing() {
    given::<Inbox>([])
        .when(InboxCommand::MarkAllRead {
            context: context(),
            seen_up_to: None,
        })
        .then_expect(vec![]);
}

#[test]
fn preferences_record_only_what_changes() {
    let changes = vec![
        // Differs from the default (email off for edits).
        preference(NotificationKind::ItineraryChanged, true, true),
        // Already the default.
        preference(NotificationKind::Invited, true, true),
        preference(NotificationKind::NewFollower, false, false),
    ];
    let recorded = InboxEvent::NotificationPreferencesUpdated {
        preferences: vec![changes[0], changes[2]],
        updated_at: now(),
    };
    given::<Inbox>([])
        .when(InboxCommand::UpdatePreferences {
            context: context(),
            preferences: changes.clone(),
        })
        .then_expect(vec![recorded.clone()]);
    given::<Inbox>([recorded.clone()])
        .when(InboxCommand::UpdatePreferences {
            context: context(),
            preferences: changes,
        })
        .then_expect(vec![]);
    // Back to the default is a change too, and the state forgets the kind again.
    let back = vec![preference(NotificationKind::NewFollower, true, true)];
    given::<Inbox>([recorded])
        .when(InboxCommand::UpdatePreferences {
            context: context(),
            preferences: back.clone(),
        })
        .then_expect(vec![InboxEvent::NotificationPreferencesUpdated {
            preferences: back,
            updated_at: now(),
        }]);
}

#[test]
fn preferences_are_rejected_when_empty_repeated_or_silencing_a_security_notice() {
    given::<Inbox>([])
        .when(InboxCommand::UpdatePreferences {
            context: context(),
            preferences: vec![],
        })
        .then_reject(InboxError::NoPreferences);
    given::<Inbox>([])
        .when(InboxCommand::UpdatePreferences {
            context: context(),
            preferences: vec![
                preference(NotificationKind::NewFollower, false, false),
                preference(NotificationKind::NewFollower, true, false),
            ],
        })
        .then_reject(InboxError::DuplicateKind(NotificationKind::NewFollower));
    given::<Inbox>([])
        .when(InboxCommand::UpdatePreferences {
            context: context(),
            preferences: vec![preference(NotificationKind::PasswordChanged, false, false)],
        })
        .then_reject(InboxError::SecurityEmailRequired(
            NotificationKind::PasswordChanged,
        ));
    // Hiding it in the app is allowed; the email still goes.
    given::<Inbox>([])
        .when(InboxCommand::UpdatePreferences {
            context: context(),
            preferences: vec![preference(NotificationKind::PasswordChanged, false, true)],
        })
        .then_expect(vec![InboxEvent::NotificationPreferencesUpdated {
            preferences: vec![preference(NotificationKind::PasswordChanged, false, true)],
            updated_at: now(),
        }]);
}

#[test]
fn channels_fall_back_to_each_kinds_default_and_survive_a_snapshot() {
    let mut inbox = Inbox::default();
    assert!(!inbox.channels(NotificationKind::ItineraryChanged).email);
    assert!(inbox.channels(NotificationKind::Invited).email);
    inbox.apply(&InboxEvent::NotificationPreferencesUpdated {
        preferences: vec![preference(NotificationKind::Invited, false, false)],
        updated_at: now(),
    });
    assert_eq!(
        inbox.channels(NotificationKind::Invited),
        NotificationChannels {
            in_app: false,
            email: false
        }
    );
    let restored = Inbox::from_snapshot(inbox.to_snapshot().unwrap()).unwrap();
    assert_eq!(restored, inbox);
}
