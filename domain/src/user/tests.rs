//! Given/when/then for every user command and rejection.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;
use wayfarer_schemas::{PersonalDetails, Privacy, Role, TravelPreferences, UserEvent, UserProfile};

use super::profile::{ProfileError, ProfilePatch, SocialLinksPatch};
use super::{User, UserCommand, UserContext, UserError};
use crate::testing::given;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

fn ada() -> Uuid {
    Uuid::from_u128(1)
}
fn bob() -> Uuid {
    Uuid::from_u128(2)
}
fn root() -> Uuid {
    Uuid::from_u128(9)
}

fn as_(actor: Uuid) -> UserContext {
    UserContext {
        actor,
        actor_role: Role::User,
        now: now(),
    }
}

fn as_admin(actor: Uuid) -> UserContext {
    UserContext {
        actor_role: Role::Admin,
        ..as_(actor)
    }
}

fn registered() -> UserEvent {
    UserEvent::UserRegistered {
        user_id: ada(),
        user_name: "ada".into(),
        registered_at: now(),
    }
}

fn with_privacy(privacy: Privacy) -> UserEvent {
    UserEvent::UserProfileUpdated {
        profile: UserProfile {
            privacy,
            ..UserProfile::default()
        },
        updated_at: now(),
    }
}

fn update(patch: ProfilePatch) -> UserCommand {
    UserCommand::Update {
        context: as_(ada()),
        patch: Box::new(patch),
    }
}

#[test]
fn a_person_registers_with_a_valid_user_name() {
    given::<User>([])
        .when(UserCommand::Register {
            context: as_(ada()),
            user_id: ada(),
            user_name: "  ada ".into(),
        })
        .then_expect(vec![registered()]);
    given::<User>([])
        .when(UserCommand::Register {
            context: as_(ada()),
            user_id: ada(),
            user_name: "a!".into(),
        })
        .then_reject(UserError::Invalid(ProfileError::InvalidUserName));
    given::<User>([registered()])
        .when(UserCommand::Register {
            context: as_(ada()),
            user_id: ada(),
            user_name: "ada".into(),
        })
        .then_reject(UserError::AlreadyRegistered);
}

#[test]
fn the_person_edits_their_profile_field_by_field() {
    let state = given::<User>([registered()])
        .when(update(ProfilePatch {
            user_name: Some("ada.l".into()),
            first_name: Some(" Ada ".into()),
            bio: Some("Counts trains.".into()),
            social_links: SocialLinksPatch {
                github: Some("https://github.com/ada".into()),
                ..Default::default()
            },
            travel_preferences: Some(TravelPreferences {
                interests: vec!["Hiking".into(), "hiking".into(), "street-food".into()],
                ..Default::default()
            }),
            ..Default::default()
        }))
        .then_expect(vec![
            UserEvent::UserNameChanged {
                user_name: "ada.l".into(),
                changed_at: now(),
            },
            UserEvent::UserProfileUpdated {
                profile: UserProfile {
                    personal: PersonalDetails {
                        first_name: Some("Ada".into()),
                        bio: Some("Counts trains.".into()),
                        social_links: wayfarer_schemas::SocialLinks {
                            github: Some("https://github.com/ada".into()),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    travel_preferences: TravelPreferences {
                        interests: vec!["hiking".into(), "street-food".into()],
                        ..Default::default()
                    },
                    ..Default::default()
                },
                updated_at: now(),
            },
        ]);
    assert_eq!(state.user_name(), "ada.l");
    // A blank text clears a field; fields left out keep their values.
    let cleared = given::<User>([registered()])
        .when(update(ProfilePatch {
            first_name: Some("Ada".into()),
            ..Default::default()
        }))
        .then_expect(vec![UserEvent::UserProfileUpdated {
            profile: UserProfile {
                personal: PersonalDetails {
                    first_name: Some("Ada".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            updated_at: now(),
        }]);
    assert_eq!(
        cleared.profile().personal.first_name.as_deref(),
        Some("Ada")
    );
}

#[test]
fn profile_values_are_validated() {
    let rejects = |patch: ProfilePatch, error: ProfileError| {
        given::<User>([registered()])
            .when(update(patch))
            .then_reject(UserError::Invalid(error));
    };
    rejects(
        ProfilePatch {
            social_links: SocialLinksPatch {
                facebook: Some("https://evil.example/ada".into()),
                ..Default::default()
            },
            ..Default::default()
        },
        ProfileError::InvalidSocialLink {
            field: "facebookProfileLink",
            site: "facebook.com",
        },
    );
    rejects(
        ProfilePatch {
            social_links: SocialLinksPatch {
                twitter: Some("http://twitter.com/ada".into()),
                ..Default::default()
            },
            ..Default::default()
        },
        ProfileError::InvalidSocialLink {
            field: "twitterProfileLink",
            site: "twitter.com or x.com",
        },
    );
    rejects(
        ProfilePatch {
            profile_pic_url: Some("javascript:alert(1)".into()),
            ..Default::default()
        },
        ProfileError::InvalidPictureUrl,
    );
    rejects(
        ProfilePatch {
            bio: Some("x".repeat(501)),
            ..Default::default()
        },
        ProfileError::BioTooLong,
    );
    rejects(
        ProfilePatch {
            travel_preferences: Some(TravelPreferences {
                interests: (0..21).map(|i| format!("tag{i}")).collect(),
                ..Default::default()
            }),
            ..Default::default()
        },
        ProfileError::TooManyInterests,
    );
    rejects(
        ProfilePatch {
            last_name: Some("bad\u{0}name".into()),
            ..Default::default()
        },
        ProfileError::Text(crate::values::ValueError::ControlCharacter { field: "lastName" }),
    );
    given::<User>([registered()])
        .when(update(ProfilePatch::default()))
        .then_reject(UserError::NothingToChange);
}

#[test]
fn only_the_person_edits_or_deletes_their_account() {
    given::<User>([registered()])
        .when(UserCommand::Update {
            context: as_(bob()),
            patch: Box::new(ProfilePatch {
                bio: Some("hi".into()),
                ..Default::default()
            }),
        })
        .then_reject(UserError::Forbidden("only the person may do this"));
    given::<User>([registered()])
        .when(UserCommand::Delete {
            context: as_admin(root()),
        })
        .then_reject(UserError::Forbidden("only the person may do this"));
    let deleted = given::<User>([registered()])
        .when(UserCommand::Delete {
            context: as_(ada()),
        })
        .then_expect(vec![UserEvent::UserDeleted { deleted_at: now() }]);
    assert!(deleted.is_deleted());
    given::<User>([registered(), UserEvent::UserDeleted { deleted_at: now() }])
        .when(UserCommand::Follow {
            context: as_(bob()),
        })
        .then_reject(UserError::NotFound);
}

#[test]
fn following_a_public_person_is_immediate_and_repeating_it_changes_nothing() {
    let followed = UserEvent::FollowerAdded {
        follower_id: bob(),
        followed_at: now(),
    };
    given::<User>([registered()])
        .when(UserCommand::Follow {
            context: as_(bob()),
        })
        .then_expect(vec![followed.clone()]);
    given::<User>([registered(), followed.clone()])
        .when(UserCommand::Follow {
            context: as_(bob()),
        })
        .then_expect(vec![]);
    given::<User>([registered()])
        .when(UserCommand::Follow {
            context: as_(ada()),
        })
        .then_reject(UserError::CannotFollowSelf);
    given::<User>([registered(), followed])
        .when(UserCommand::Unfollow {
            context: as_(bob()),
        })
        .then_expect(vec![UserEvent::FollowerRemoved {
            follower_id: bob(),
            removed_at: now(),
        }]);
    given::<User>([registered()])
        .when(UserCommand::Unfollow {
            context: as_(bob()),
        })
        .then_expect(vec![]);
}

#[test]
fn a_private_person_approves_or_declines_requests() {
    let requested = UserEvent::FollowRequested {
        follower_id: bob(),
        requested_at: now(),
    };
    for privacy in [Privacy::Private, Privacy::FollowersOnly] {
        given::<User>([registered(), with_privacy(privacy)])
            .when(UserCommand::Follow {
                context: as_(bob()),
            })
            .then_expect(vec![requested.clone()]);
    }
    let history = [registered(), with_privacy(Privacy::Private), requested];
    let approved = given::<User>(history.clone())
        .when(UserCommand::ApproveFollowRequest {
            context: as_(ada()),
            follower_id: bob(),
        })
        .then_expect(vec![UserEvent::FollowerAdded {
            follower_id: bob(),
            followed_at: now(),
        }]);
    assert!(approved.followers().contains(&bob()));
    assert!(approved.follow_requests().is_empty());
    given::<User>(history.clone())
        .when(UserCommand::DeclineFollowRequest {
            context: as_(ada()),
            follower_id: bob(),
        })
        .then_expect(vec![UserEvent::FollowRequestDeclined {
            follower_id: bob(),
            declined_at: now(),
        }]);
    given::<User>(history.clone())
        .when(UserCommand::ApproveFollowRequest {
            context: as_(bob()),
            follower_id: bob(),
        })
        .then_reject(UserError::Forbidden("only the person may do this"));
    given::<User>(history.clone())
        .when(UserCommand::DeclineFollowRequest {
            context: as_(ada()),
            follower_id: root(),
        })
        .then_reject(UserError::NoFollowRequest);
    // Going public turns pending requests into follows.
    given::<User>(history)
        .when(update(ProfilePatch {
            privacy: Some(Privacy::Public),
            ..Default::default()
        }))
        .then_expect(vec![
            UserEvent::UserProfileUpdated {
                profile: UserProfile::default(),
                updated_at: now(),
            },
            UserEvent::FollowerAdded {
                follower_id: bob(),
                followed_at: now(),
            },
        ]);
}

#[test]
fn admins_assign_roles_but_never_demote_the_last_admin() {
    given::<User>([registered()])
        .when(UserCommand::AssignRole {
            context: as_(bob()),
            role: Role::Admin,
            other_admins: 1,
        })
        .then_reject(UserError::Forbidden("only admins may do this"));
    let admin = given::<User>([registered()])
        .when(UserCommand::AssignRole {
            context: as_admin(root()),
            role: Role::Admin,
            other_admins: 1,
        })
        .then_expect(vec![UserEvent::UserRoleAssigned {
            role: Role::Admin,
            assigned_by: root(),
            assigned_at: now(),
        }]);
    assert_eq!(admin.role(), Role::Admin);
    let as_admin_event = UserEvent::UserRoleAssigned {
        role: Role::Admin,
        assigned_by: root(),
        assigned_at: now(),
    };
    given::<User>([registered(), as_admin_event.clone()])
        .when(UserCommand::AssignRole {
            context: as_admin(ada()),
            role: Role::User,
            other_admins: 0,
        })
        .then_reject(UserError::LastAdmin);
    given::<User>([registered(), as_admin_event])
        .when(UserCommand::AssignRole {
            context: as_admin(ada()),
            role: Role::Admin,
            other_admins: 0,
        })
        .then_expect(vec![]);
}

#[test]
fn admins_ban_for_a_reason_and_a_ban_hides_the_person() {
    let until = now() + Duration::days(7);
    let banned = UserEvent::UserBanned {
        reason: "spam".into(),
        until: Some(until),
        banned_by: root(),
        banned_at: now(),
    };
    given::<User>([registered()])
        .when(UserCommand::Ban {
            context: as_admin(root()),
            reason: " spam ".into(),
            until: Some(until),
        })
        .then_expect(vec![banned.clone()]);
    given::<User>([registered()])
        .when(UserCommand::Ban {
            context: as_(bob()),
            reason: "spam".into(),
            until: None,
        })
        .then_reject(UserError::Forbidden("only admins may do this"));
    given::<User>([registered()])
        .when(UserCommand::Ban {
            context: as_admin(root()),
            reason: " ".into(),
            until: None,
        })
        .then_reject(UserError::InvalidBan(
            "a ban needs a reason of 1 to 500 characters",
        ));
    given::<User>([registered()])
        .when(UserCommand::Ban {
            context: as_admin(root()),
            reason: "spam".into(),
            until: Some(now() - Duration::hours(1)),
        })
        .then_reject(UserError::InvalidBan("a ban must end in the future"));
    let state = given::<User>([registered(), banned.clone()]).when(UserCommand::Follow {
        context: as_(bob()),
    });
    state.then_reject(UserError::NotFound);
    let lifted = given::<User>([registered(), banned])
        .when(UserCommand::Unban {
            context: as_admin(root()),
        })
        .then_expect(vec![UserEvent::UserUnbanned {
            unbanned_by: root(),
            unbanned_at: now(),
        }]);
    assert!(!lifted.is_banned_at(now()));
    given::<User>([registered()])
        .when(UserCommand::Unban {
            context: as_admin(root()),
        })
        .then_expect(vec![]);
    // An expired ban no longer hides anyone.
    let expired = UserEvent::UserBanned {
        reason: "spam".into(),
        until: Some(now() - Duration::seconds(1)),
        banned_by: root(),
        banned_at: now() - Duration::days(1),
    };
    given::<User>([registered(), expired])
        .when(UserCommand::Follow {
            context: as_(bob()),
        })
        .then_expect(vec![UserEvent::FollowerAdded {
            follower_id: bob(),
            followed_at: now(),
        }]);
    // Admins are not banned.
    let admin = UserEvent::UserRoleAssigned {
        role: Role::Admin,
        assigned_by: root(),
        assigned_at: now(),
    };
    given::<User>([registered(), admin])
        .when(UserCommand::Ban {
            context: as_admin(root()),
            reason: "spam".into(),
            until: None,
        })
        .then_reject(UserError::CannotBanAdmin);
}

#[test]
fn admins_forget_a_person_once_even_after_they_closed_their_account() {
    let forgotten = UserEvent::UserForgotten {
        forgotten_by: root(),
        forgotten_at: now(),
    };
    given::<User>([registered()])
        .when(UserCommand::Forget {
            context: as_(bob()),
        })
        .then_reject(UserError::Forbidden("only admins may do this"));
    let state = given::<User>([registered(), UserEvent::UserDeleted { deleted_at: now() }])
        .when(UserCommand::Forget {
            context: as_admin(root()),
        })
        .then_expect(vec![forgotten.clone()]);
    assert!(state.is_forgotten() && state.is_deleted());
    given::<User>([registered(), forgotten])
        .when(UserCommand::Forget {
            context: as_admin(root()),
        })
        .then_expect(vec![]);
    given::<User>([])
        .when(UserCommand::Forget {
            context: as_admin(root()),
        })
        .then_reject(UserError::NotFound);
}

#[test]
fn a_password_change_is_recorded_for_the_person_only() {
    for by_reset in [false, true] {
        given::<User>([registered()])
            .when(UserCommand::RecordPasswordChange {
                context: as_(ada()),
                by_reset,
            })
            .then_expect(vec![UserEvent::PasswordChanged {
                by_reset,
                changed_at: now(),
            }]);
    }
    given::<User>([registered()])
        .when(UserCommand::RecordPasswordChange {
            context: as_(bob()),
            by_reset: false,
        })
        .then_reject(UserError::Forbidden("only the person may do this"));
    given::<User>([])
        .when(UserCommand::RecordPasswordChange {
            context: as_(ada()),
            by_reset: false,
        })
        .then_reject(UserError::NotFound);
}
