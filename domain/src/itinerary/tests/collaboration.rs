//! Collaboration, status and item comments: every command, its events and its rejections,
//! and the access matrix of every command against every standing and visibility.

use super::*;

const EDITOR: Uuid = Uuid::from_u128(0xe1);
const COMMENTER: Uuid = Uuid::from_u128(0xc1);
const VIEWER: Uuid = Uuid::from_u128(0x71);
const INVITEE: Uuid = Uuid::from_u128(0x11);
const COMMENT: Uuid = Uuid::from_u128(0xc0);
const NEW_COMMENT: Uuid = Uuid::from_u128(0xc2);

fn as_user(user: Uuid) -> CommandContext {
    CommandContext::new(user, now())
}

fn invited(user_id: Uuid, access_level: AccessLevel) -> ItineraryEvent {
    ItineraryEvent::CollaboratorInvited {
        user_id,
        access_level,
        invited_by: OWNER,
        invited_at: now(),
    }
}

fn accepted(user_id: Uuid) -> ItineraryEvent {
    ItineraryEvent::InvitationAccepted {
        user_id,
        accepted_at: now(),
    }
}

fn comment_added(comment_id: Uuid, author_id: Uuid, parent: Option<Uuid>) -> ItineraryEvent {
    ItineraryEvent::ItemCommentAdded {
        comment_id,
        item_id: ITEM_A,
        parent_comment_id: parent,
        author_id,
        text: "Book ahead".to_owned(),
        added_at: now(),
    }
}

/// Three items; an EDIT, a COMMENT and a VIEW collaborator; a pending invitee; one comment by
/// the commenter on item A.
fn team() -> Vec<ItineraryEvent> {
    let mut history = with_three_items();
    for (user, level) in [
        (EDITOR, AccessLevel::Edit),
        (COMMENTER, AccessLevel::Comment),
        (VIEWER, AccessLevel::View),
    ] {
        history.push(invited(user, level));
        history.push(accepted(user));
    }
    history.push(invited(INVITEE, AccessLevel::Edit));
    history.push(comment_added(COMMENT, COMMENTER, None));
    history
}

fn public(mut history: Vec<ItineraryEvent>) -> Vec<ItineraryEvent> {
    history.push(ItineraryEvent::ItineraryUpdated {
        details: ItineraryDetails {
            visibility: Visibility::Public,
            ..trip_details()
        },
        updated_at: now(),
    });
    history
}

#[test]
fn inviting_records_a_pending_invitation_that_accepting_turns_into_collaboration() {
    let state = given(with_three_items())
        .when(ItineraryCommand::InviteCollaborator {
            context: owner(),
            user_id: EDITOR,
            access_level: AccessLevel::Edit,
        })
        .then_expect(vec![invited(EDITOR, AccessLevel::Edit)]);
    assert_eq!(
        state.standing_of(EDITOR),
        Standing::Invited(AccessLevel::Edit)
    );
    let mut history = with_three_items();
    history.push(invited(EDITOR, AccessLevel::Edit));
    let state = given(history)
        .when(ItineraryCommand::AcceptInvitation {
            context: as_user(EDITOR),
        })
        .then_expect(vec![accepted(EDITOR)]);
    assert_eq!(
        state.standing_of(EDITOR),
        Standing::Collaborator(AccessLevel::Edit)
    );
}

#[test]
fn declining_removes_the_invitation() {
    let state = given(team())
        .when(ItineraryCommand::DeclineInvitation {
            context: as_user(INVITEE),
        })
        .then_expect(vec![ItineraryEvent::InvitationDeclined {
            user_id: INVITEE,
            declined_at: now(),
        }]);
    assert_eq!(state.standing_of(INVITEE), Standing::Outsider);
}

#[test]
fn invitations_are_refused_for_the_owner_and_for_people_already_in() {
    let invite = |user_id| ItineraryCommand::InviteCollaborator {
        context: owner(),
        user_id,
        access_level: AccessLevel::View,
    };
    given(team())
        .when(invite(OWNER))
        .then_reject(ItineraryError::CannotInviteOwner);
    given(team())
        .when(invite(EDITOR))
        .then_reject(ItineraryError::AlreadyCollaborator(EDITOR));
    given(team())
        .when(invite(INVITEE))
        .then_reject(ItineraryError::AlreadyInvited(INVITEE));
}

#[test]
fn an_itinerary_takes_at_most_its_share_of_collaborators() {
    let mut history = with_three_items();
    for n in 0..access::MAX_COLLABORATORS as u128 {
        history.push(invited(Uuid::from_u128(0x1_0000 + n), AccessLevel::View));
    }
    given(history)
        .when(ItineraryCommand::InviteCollaborator {
            context: owner(),
            user_id: STRANGER,
            access_level: AccessLevel::View,
        })
        .then_reject(ItineraryError::TooManyCollaborators);
}

#[test]
fn only_someone_with_a_pending_invitation_answers_one() {
    for user in [EDITOR, STRANGER] {
        for accept in [true, false] {
            let context = as_user(user);
            let command = if accept {
                ItineraryCommand::AcceptInvitation { context }
            } else {
                ItineraryCommand::DeclineInvitation { context }
            };
            let expected = if user == STRANGER {
                // A private itinerary is missing to a stranger.
                ItineraryError::NotFound
            } else {
                ItineraryError::NoInvitation
            };
            given(team()).when(command).then_reject(expected);
        }
    }
    given(public(team()))
        .when(ItineraryCommand::AcceptInvitation {
            context: as_user(STRANGER),
        })
        .then_reject(ItineraryError::Forbidden);
    given(public(team()))
        .when(ItineraryCommand::LeaveItinerary {
            context: as_user(STRANGER),
        })
        .then_reject(ItineraryError::Forbidden);
}

#[test]
fn sharing_invites_the_newcomers_to_view_and_skips_people_already_in() {
    given(team())
        .when(ItineraryCommand::ShareItinerary {
            context: owner(),
            user_ids: vec![VIEWER, STRANGER, INVITEE],
        })
        .then_expect(vec![invited(STRANGER, AccessLevel::View)]);
    given(team())
        .when(ItineraryCommand::ShareItinerary {
            context: owner(),
            user_ids: vec![VIEWER, INVITEE],
        })
        .then_reject(ItineraryError::NothingToChange);
    for user_ids in [vec![], vec![STRANGER, STRANGER]] {
        given(team())
            .when(ItineraryCommand::ShareItinerary {
                context: owner(),
                user_ids,
            })
            .then_reject(ItineraryError::BadInviteeList);
    }
    given(team())
        .when(ItineraryCommand::ShareItinerary {
            context: owner(),
            user_ids: vec![STRANGER, OWNER],
        })
        .then_reject(ItineraryError::CannotInviteOwner);
}

#[test]
fn the_owner_changes_levels_removes_collaborators_and_withdraws_invitations() {
    let state = given(team())
        .when(ItineraryCommand::UpdateCollaboratorAccess {
            context: owner(),
            user_id: VIEWER,
            access_level: AccessLevel::Edit,
        })
        .then_expect(vec![ItineraryEvent::CollaboratorAccessUpdated {
            user_id: VIEWER,
            access_level: AccessLevel::Edit,
            updated_at: now(),
        }]);
    assert_eq!(
        state.standing_of(VIEWER),
        Standing::Collaborator(AccessLevel::Edit)
    );
    given(team())
        .when(ItineraryCommand::UpdateCollaboratorAccess {
            context: owner(),
            user_id: VIEWER,
            access_level: AccessLevel::View,
        })
        .then_reject(ItineraryError::NothingToChange);
    given(team())
        .when(ItineraryCommand::UpdateCollaboratorAccess {
            context: owner(),
            user_id: STRANGER,
            access_level: AccessLevel::View,
        })
        .then_reject(ItineraryError::CollaboratorNotFound(STRANGER));
    for user in [EDITOR, INVITEE] {
        let state = given(team())
            .when(ItineraryCommand::RemoveCollaborator {
                context: owner(),
                user_id: user,
            })
            .then_expect(vec![ItineraryEvent::CollaboratorRemoved {
                user_id: user,
                removed_at: now(),
            }]);
        assert_eq!(state.standing_of(user), Standing::Outsider);
    }
    given(team())
        .when(ItineraryCommand::RemoveCollaborator {
            context: owner(),
            user_id: STRANGER,
        })
        .then_reject(ItineraryError::CollaboratorNotFound(STRANGER));
}

#[test]
fn a_collaborator_leaves_but_the_owner_and_an_invitee_cannot() {
    given(team())
        .when(ItineraryCommand::LeaveItinerary {
            context: as_user(COMMENTER),
        })
        .then_expect(vec![ItineraryEvent::CollaboratorLeft {
            user_id: COMMENTER,
            left_at: now(),
        }]);
    given(team())
        .when(ItineraryCommand::LeaveItinerary { context: owner() })
        .then_reject(ItineraryError::OwnerCannotLeave);
    given(team())
        .when(ItineraryCommand::LeaveItinerary {
            context: as_user(INVITEE),
        })
        .then_reject(ItineraryError::CollaboratorNotFound(INVITEE));
}

#[test]
fn ownership_goes_to_an_accepted_collaborator_and_the_old_owner_stays_as_editor() {
    let state = given(team())
        .when(ItineraryCommand::TransferOwnership {
            context: owner(),
            new_owner_id: VIEWER,
        })
        .then_expect(vec![ItineraryEvent::OwnershipTransferred {
            previous_owner_id: OWNER,
            new_owner_id: VIEWER,
            transferred_at: now(),
        }]);
    assert_eq!(state.owner_id(), Some(VIEWER));
    assert_eq!(state.standing_of(VIEWER), Standing::Owner);
    assert_eq!(
        state.standing_of(OWNER),
        Standing::Collaborator(AccessLevel::Edit)
    );
    for user in [INVITEE, STRANGER] {
        given(team())
            .when(ItineraryCommand::TransferOwnership {
                context: owner(),
                new_owner_id: user,
            })
            .then_reject(ItineraryError::NewOwnerNotCollaborator);
    }
}

#[test]
fn status_follows_the_trip_s_life() {
    let change = |context, status| ItineraryCommand::ChangeStatus { context, status };
    let state = given(team())
        .when(change(as_user(EDITOR), ItineraryStatus::Planned))
        .then_expect(vec![ItineraryEvent::ItineraryStatusChanged {
            status: ItineraryStatus::Planned,
            changed_at: now(),
        }]);
    assert_eq!(state.status(), Some(ItineraryStatus::Planned));
    given(team())
        .when(change(owner(), ItineraryStatus::Completed))
        .then_reject(ItineraryError::StatusTransition {
            from: "DRAFT",
            to: "COMPLETED",
        });
    given(team())
        .when(change(owner(), ItineraryStatus::Draft))
        .then_reject(ItineraryError::NothingToChange);
}

#[test]
fn only_the_owner_changes_the_visibility_but_editors_change_the_rest() {
    let patch = |visibility| ItineraryPatch {
        visibility: Some(visibility),
        ..ItineraryPatch::default()
    };
    given(team())
        .when(ItineraryCommand::Update {
            context: as_user(EDITOR),
            details: patch(Visibility::Public),
        })
        .then_reject(ItineraryError::Forbidden);
    given(team())
        .when(ItineraryCommand::Update {
            context: as_user(EDITOR),
            details: ItineraryPatch {
                title: Some("Lisbon with friends".to_owned()),
                ..ItineraryPatch::default()
            },
        })
        .then_expect(vec![ItineraryEvent::ItineraryUpdated {
            details: ItineraryDetails {
                title: "Lisbon with friends".to_owned(),
                ..trip_details()
            },
            updated_at: now(),
        }]);
}

#[test]
fn comments_and_threaded_replies_go_on_live_items() {
    let reply = ItineraryCommand::AddItemComment {
        context: as_user(EDITOR),
        comment_id: NEW_COMMENT,
        item_id: ITEM_A,
        parent_comment_id: Some(COMMENT),
        text: "  Book ahead  ".to_owned(),
    };
    given(team())
        .when(reply.clone())
        .then_expect(vec![comment_added(NEW_COMMENT, EDITOR, Some(COMMENT))]);
    let add =
        |comment_id, item_id, parent_comment_id, text: &str| ItineraryCommand::AddItemComment {
            context: as_user(COMMENTER),
            comment_id,
            item_id,
            parent_comment_id,
            text: text.to_owned(),
        };
    given(team())
        .when(add(COMMENT, ITEM_A, None, "again"))
        .then_reject(ItineraryError::DuplicateComment(COMMENT));
    given(team())
        .when(add(NEW_COMMENT, UNKNOWN_ITEM, None, "where?"))
        .then_reject(ItineraryError::ItemNotFound(UNKNOWN_ITEM));
    given(team())
        .when(add(NEW_COMMENT, ITEM_B, Some(COMMENT), "wrong item"))
        .then_reject(ItineraryError::CommentNotFound(COMMENT));
    given(team())
        .when(add(NEW_COMMENT, ITEM_A, None, " \n "))
        .then_reject(ItineraryError::InvalidComment);
    let mut history = team();
    history.push(ItineraryEvent::ItemCommentDeleted {
        comment_id: COMMENT,
        deleted_at: now(),
    });
    given(history)
        .when(reply)
        .then_reject(ItineraryError::CommentNotFound(COMMENT));
}

#[test]
fn a_comment_is_edited_by_its_author_and_deleted_by_its_author_or_the_owner() {
    let edit = |user, text: &str| ItineraryCommand::EditItemComment {
        context: as_user(user),
        comment_id: COMMENT,
        text: text.to_owned(),
    };
    let state = given(team())
        .when(edit(COMMENTER, "Book a week ahead"))
        .then_expect(vec![ItineraryEvent::ItemCommentEdited {
            comment_id: COMMENT,
            text: "Book a week ahead".to_owned(),
            edited_at: now(),
        }]);
    assert_eq!(state.comments()[&COMMENT].text, "Book a week ahead");
    given(team())
        .when(edit(EDITOR, "not mine"))
        .then_reject(ItineraryError::NotCommentAuthor);
    given(team())
        .when(edit(COMMENTER, "Book ahead"))
        .then_reject(ItineraryError::NothingToChange);
    let delete = |user| ItineraryCommand::DeleteItemComment {
        context: as_user(user),
        comment_id: COMMENT,
    };
    for user in [COMMENTER, OWNER] {
        let state = given(team()).when(delete(user)).then_expect(vec![
            ItineraryEvent::ItemCommentDeleted {
                comment_id: COMMENT,
                deleted_at: now(),
            },
        ]);
        assert!(state.comments()[&COMMENT].deleted);
    }
    given(team())
        .when(delete(EDITOR))
        .then_reject(ItineraryError::NotCommentAuthor);
    // A comment on a deleted item is gone with it.
    let mut history = team();
    history.push(item_deleted(ITEM_A));
    given(history)
        .when(delete(COMMENTER))
        .then_reject(ItineraryError::CommentNotFound(COMMENT));
}

/// What a command needs, for the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Needed {
    Owner,
    Edit,
    Comment,
}

/// One command of every kind a collaborator could attempt, valid for the standing that needs
/// it, with what it needs.
fn commands_for(context: CommandContext) -> Vec<(ItineraryCommand, Needed)> {
    let mut commands: Vec<(ItineraryCommand, Needed)> = every_command_but_create(context)
        .into_iter()
        .map(|command| {
            let needed = if matches!(command, ItineraryCommand::Delete { .. }) {
                Needed::Owner
            } else {
                Needed::Edit
            };
            (command, needed)
        })
        .collect();
    commands.extend([
        (
            ItineraryCommand::ChangeStatus {
                context,
                status: ItineraryStatus::Planned,
            },
            Needed::Edit,
        ),
        (
            ItineraryCommand::InviteCollaborator {
                context,
                user_id: Uuid::from_u128(0x5555),
                access_level: AccessLevel::View,
            },
            Needed::Owner,
        ),
        (
            ItineraryCommand::ShareItinerary {
                context,
                user_ids: vec![Uuid::from_u128(0x5555)],
            },
            Needed::Owner,
        ),
        (
            ItineraryCommand::UpdateCollaboratorAccess {
                context,
                user_id: INVITEE,
                access_level: AccessLevel::View,
            },
            Needed::Owner,
        ),
        (
            ItineraryCommand::RemoveCollaborator {
                context,
                user_id: INVITEE,
            },
            Needed::Owner,
        ),
        (
            ItineraryCommand::TransferOwnership {
                context,
                new_owner_id: EDITOR,
            },
            Needed::Owner,
        ),
        (
            ItineraryCommand::AddExpense {
                context,
                expense_id: Uuid::from_u128(0xe0),
                item_id: ITEM_A,
                input: crate::itinerary::ExpenseInput {
                    amount_minor: 1_000,
                    currency: "EUR".to_owned(),
                    category: Category::Dining,
                    description: None,
                    date: june(2),
                    paid_by: OWNER,
                    split: crate::expenses::Split::Equally(vec![OWNER]),
                },
            },
            Needed::Edit,
        ),
        (
            ItineraryCommand::SetBudget {
                context,
                category: Category::Dining,
                amount_minor: Some(5_000),
            },
            Needed::Edit,
        ),
        (
            ItineraryCommand::AddItemComment {
                context,
                comment_id: NEW_COMMENT,
                item_id: ITEM_B,
                parent_comment_id: None,
                text: "Worth it".to_owned(),
            },
            Needed::Comment,
        ),
    ]);
    commands
}

#[test]
fn the_access_matrix_of_every_command_for_every_standing_on_either_visibility() {
    let standings: [(Uuid, Option<AccessLevel>); 6] = [
        (OWNER, None),
        (EDITOR, Some(AccessLevel::Edit)),
        (COMMENTER, Some(AccessLevel::Comment)),
        (VIEWER, Some(AccessLevel::View)),
        (INVITEE, None),
        (STRANGER, None),
    ];
    for is_public in [false, true] {
        let history = if is_public { public(team()) } else { team() };
        for (user, level) in standings {
            for (command, needed) in commands_for(as_user(user)) {
                let allowed = match needed {
                    Needed::Owner => user == OWNER,
                    Needed::Edit => user == OWNER || level == Some(AccessLevel::Edit),
                    Needed::Comment => user == OWNER || level >= Some(AccessLevel::Comment),
                };
                let member = user != STRANGER;
                let described = format!("{command:?} by {user} (public: {is_public})");
                let result = given(history.clone()).when(command).result().clone();
                match (allowed, result) {
                    (true, Ok(events)) => assert!(!events.is_empty(), "{described}"),
                    (false, Err(error)) => {
                        let expected = if member || is_public {
                            ItineraryError::Forbidden
                        } else {
                            ItineraryError::NotFound
                        };
                        assert_eq!(error, expected, "{described}");
                    }
                    (allowed, other) => {
                        panic!("{described}: allowed {allowed}, got {other:?}")
                    }
                }
            }
        }
    }
}
