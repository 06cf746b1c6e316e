//! Given/when/then for every comment command and rejection.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);
const BEA: Uuid = Uuid::from_u128(2);
const MODERATOR: Uuid = Uuid::from_u128(3);
const POST: Uuid = Uuid::from_u128(0x40);
const PARENT: Uuid = Uuid::from_u128(0x50);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn by(actor: Uuid) -> CommentContext {
    CommentContext {
        actor,
        actor_is_moderator: actor == MODERATOR,
        now: now(),
    }
}

/// Bea's reply on Ada's post.
fn added() -> CommentEvent {
    CommentEvent::CommentAdded {
        post_id: POST,
        parent_comment_id: Some(PARENT),
        author_id: BEA,
        post_author_id: ADA,
        parent_author_id: Some(MODERATOR),
        content: "Which viewpoint?".into(),
        added_at: now(),
    }
}

#[test]
fn a_comment_or_reply_is_added_with_a_checked_text() {
    given::<Comment>([])
        .when(CommentCommand::Add {
            context: by(BEA),
            post_id: POST,
            post_author_id: ADA,
            parent_comment_id: Some(PARENT),
            parent_author_id: Some(MODERATOR),
            content: " Which viewpoint? ".into(),
        })
        .then_expect(vec![added()]);
    for bad in ["   ", "nul\u{0}", &"x".repeat(CONTENT_MAX_CHARS + 1)] {
        given::<Comment>([])
            .when(CommentCommand::Add {
                context: by(BEA),
                post_id: POST,
                post_author_id: ADA,
                parent_comment_id: None,
                parent_author_id: None,
                content: bad.into(),
            })
            .then_reject(CommentError::InvalidContent);
    }
    given::<Comment>([added()])
        .when(CommentCommand::Add {
            context: by(BEA),
            post_id: POST,
            post_author_id: ADA,
            parent_comment_id: None,
            parent_author_id: None,
            content: "again".into(),
        })
        .then_reject(CommentError::AlreadyExists);
}

#[test]
fn only_the_author_edits_and_the_author_or_a_moderator_deletes() {
    given::<Comment>([added()])
        .when(CommentCommand::Update {
            context: by(BEA),
            content: "Which miradouro?".into(),
        })
        .then_expect(vec![CommentEvent::CommentUpdated {
            content: "Which miradouro?".into(),
            updated_at: now(),
        }]);
    given::<Comment>([added()])
        .when(CommentCommand::Update {
            context: by(BEA),
            content: "Which viewpoint?".into(),
        })
        .then_reject(CommentError::NothingToChange);
    for someone in [ADA, MODERATOR] {
        given::<Comment>([added()])
            .when(CommentCommand::Update {
                context: by(someone),
                content: "edited".into(),
            })
            .then_reject(CommentError::NotAuthor);
    }
    for who in [BEA, MODERATOR] {
        let state = given::<Comment>([added()])
            .when(CommentCommand::Delete { context: by(who) })
            .then_expect(vec![CommentEvent::CommentDeleted {
                deleted_by: who,
                deleted_at: now(),
            }]);
        assert!(state.standing().is_none());
    }
    given::<Comment>([added()])
        .when(CommentCommand::Delete { context: by(ADA) })
        .then_reject(CommentError::NotAuthorOrModerator);
    let deleted = CommentEvent::CommentDeleted {
        deleted_by: BEA,
        deleted_at: now(),
    };
    for command in [
        CommentCommand::Delete { context: by(BEA) },
        CommentCommand::Update {
            context: by(BEA),
            content: "back".into(),
        },
        CommentCommand::Hide {
            context: by(ADA),
            post_author: ADA,
            reason: None,
        },
    ] {
        given::<Comment>([added(), deleted.clone()])
            .when(command)
            .then_reject(CommentError::NotFound);
    }
}

#[test]
fn the_posts_author_or_a_moderator_hides_and_unhides_once() {
    let hidden = CommentEvent::CommentHidden {
        hidden_by: ADA,
        by_moderator: false,
        reason: Some("Off topic".into()),
        hidden_at: now(),
    };
    given::<Comment>([added()])
        .when(CommentCommand::Hide {
            context: by(ADA),
            post_author: ADA,
            reason: Some(" Off topic ".into()),
        })
        .then_expect(vec![hidden.clone()]);
    given::<Comment>([added(), hidden.clone()])
        .when(CommentCommand::Hide {
            context: by(ADA),
            post_author: ADA,
            reason: None,
        })
        .then_expect(vec![]);
    given::<Comment>([added(), hidden.clone()])
        .when(CommentCommand::Unhide {
            context: by(MODERATOR),
            post_author: ADA,
        })
        .then_expect(vec![CommentEvent::CommentUnhidden {
            unhidden_by: MODERATOR,
            unhidden_at: now(),
        }]);
    given::<Comment>([added()])
        .when(CommentCommand::Unhide {
            context: by(ADA),
            post_author: ADA,
        })
        .then_expect(vec![]);
    // The comment's own author is not the post's author.
    given::<Comment>([added()])
        .when(CommentCommand::Hide {
            context: by(BEA),
            post_author: ADA,
            reason: None,
        })
        .then_reject(CommentError::NotPostAuthorOrModerator);
    given::<Comment>([added()])
        .when(CommentCommand::Hide {
            context: by(ADA),
            post_author: ADA,
            reason: Some("a\nb".into()),
        })
        .then_reject(CommentError::InvalidReason);
}

#[test]
fn what_a_moderator_hid_only_a_moderator_shows_again() {
    let by_author = CommentEvent::CommentHidden {
        hidden_by: ADA,
        by_moderator: false,
        reason: None,
        hidden_at: now(),
    };
    // A moderator takes over the post author's hiding, with their reason.
    let by_moderator = CommentEvent::CommentHidden {
        hidden_by: MODERATOR,
        by_moderator: true,
        reason: Some("Spam".into()),
        hidden_at: now(),
    };
    given::<Comment>([added(), by_author])
        .when(CommentCommand::Hide {
            context: by(MODERATOR),
            post_author: ADA,
            reason: Some("Spam".into()),
        })
        .then_expect(vec![by_moderator.clone()]);
    given::<Comment>([added(), by_moderator.clone()])
        .when(CommentCommand::Unhide {
            context: by(ADA),
            post_author: ADA,
        })
        .then_reject(CommentError::HiddenByModerator);
    given::<Comment>([added(), by_moderator])
        .when(CommentCommand::Unhide {
            context: by(MODERATOR),
            post_author: ADA,
        })
        .then_expect(vec![CommentEvent::CommentUnhidden {
            unhidden_by: MODERATOR,
            unhidden_at: now(),
        }]);
}
