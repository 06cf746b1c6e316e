//! Given/when/then for every moderation command and rejection.

use chrono::TimeZone;
use wayfarer_schemas::moderation::{GuidelineRule, GuidelinesEvent};

use super::guidelines::{built_in_rules, Guidelines, GuidelinesCommand, GuidelinesError};
use super::*;
use crate::testing::given;

const AUTHOR: Uuid = Uuid::from_u128(1);
const BEA: Uuid = Uuid::from_u128(2);
const CEM: Uuid = Uuid::from_u128(3);
const MODERATOR: Uuid = Uuid::from_u128(4);
const ADMIN: Uuid = Uuid::from_u128(5);
const POST: Uuid = Uuid::from_u128(0x40);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn by(actor: Uuid) -> CaseContext {
    CaseContext {
        actor,
        actor_is_moderator: actor == MODERATOR,
        actor_is_admin: actor == ADMIN,
        now: now(),
    }
}

fn content() -> FlaggedContent {
    FlaggedContent {
        target_type: FlagTarget::Post,
        target_id: POST,
        author_id: AUTHOR,
    }
}

fn flag(actor: Uuid) -> CaseCommand {
    CaseCommand::Flag {
        context: by(actor),
        content: content(),
        rule_code: "SPAM".into(),
        guidelines_version: 1,
        reason: Some(" Buy followers! ".into()),
    }
}

fn flagged(actor: Uuid) -> ModerationEvent {
    ModerationEvent::ContentFlagged {
        target_type: FlagTarget::Post,
        target_id: POST,
        author_id: AUTHOR,
        flagged_by: actor,
        rule_code: "SPAM".into(),
        guidelines_version: 1,
        reason: Some("Buy followers!".into()),
        flagged_at: now(),
    }
}

fn resolve(actor: Uuid, action: ModerationAction) -> CaseCommand {
    CaseCommand::Resolve {
        context: by(actor),
        action,
        note: None,
    }
}

fn resolved(actor: Uuid, action: ModerationAction) -> ModerationEvent {
    ModerationEvent::FlagsResolved {
        action,
        resolved_by: actor,
        note: None,
        resolved_at: now(),
    }
}

#[test]
fn each_person_flags_content_once_and_never_their_own() {
    let state = given::<ModerationCase>([])
        .when(flag(BEA))
        .then_expect(vec![flagged(BEA)]);
    assert_eq!(state.status(), CaseStatus::Open);
    given::<ModerationCase>([flagged(BEA)])
        .when(flag(BEA))
        .then_reject(CaseError::AlreadyFlagged);
    given::<ModerationCase>([])
        .when(flag(AUTHOR))
        .then_reject(CaseError::OwnContent);
    given::<ModerationCase>([])
        .when(CaseCommand::Flag {
            context: by(BEA),
            content: content(),
            rule_code: "SPAM".into(),
            guidelines_version: 1,
            reason: Some("x".repeat(TEXT_MAX_CHARS + 1)),
        })
        .then_reject(CaseError::InvalidText);
    // Dismissed, then flagged by someone new: open again; the first flagger still once.
    let dismissed = resolved(MODERATOR, ModerationAction::Dismiss);
    let state = given::<ModerationCase>([flagged(BEA), dismissed.clone()])
        .when(flag(CEM))
        .then_expect(vec![flagged(CEM)]);
    assert_eq!(
        (state.status(), state.open_flaggers()),
        (CaseStatus::Open, &[CEM][..])
    );
    given::<ModerationCase>([flagged(BEA), dismissed])
        .when(flag(BEA))
        .then_reject(CaseError::AlreadyFlagged);
}

#[test]
fn moderators_resolve_open_flags_and_admins_decide_escalated_ones() {
    for action in [
        ModerationAction::Dismiss,
        ModerationAction::Hide,
        ModerationAction::Remove,
    ] {
        let state = given::<ModerationCase>([flagged(BEA), flagged(CEM)])
            .when(resolve(MODERATOR, action))
            .then_expect(vec![resolved(MODERATOR, action)]);
        assert_eq!(state.status(), CaseStatus::Resolved);
        assert!(state.open_flaggers().is_empty());
    }
    given::<ModerationCase>([flagged(BEA)])
        .when(resolve(CEM, ModerationAction::Hide))
        .then_reject(CaseError::NotModerator);
    given::<ModerationCase>([])
        .when(resolve(MODERATOR, ModerationAction::Hide))
        .then_reject(CaseError::NothingOpen);
    let escalated = resolved(MODERATOR, ModerationAction::Escalate);
    let state = given::<ModerationCase>([flagged(BEA)])
        .when(resolve(MODERATOR, ModerationAction::Escalate))
        .then_expect(vec![escalated.clone()]);
    assert_eq!(
        (state.status(), state.open_flaggers()),
        (CaseStatus::Escalated, &[BEA][..])
    );
    given::<ModerationCase>([flagged(BEA), escalated.clone()])
        .when(resolve(MODERATOR, ModerationAction::Hide))
        .then_reject(CaseError::NotAdmin);
    given::<ModerationCase>([flagged(BEA), escalated.clone()])
        .when(resolve(ADMIN, ModerationAction::Escalate))
        .then_reject(CaseError::AlreadyEscalated);
    given::<ModerationCase>([flagged(BEA), escalated])
        .when(resolve(ADMIN, ModerationAction::Remove))
        .then_expect(vec![resolved(ADMIN, ModerationAction::Remove)]);
}

fn rule(code: &str) -> GuidelineRule {
    GuidelineRule {
        code: code.into(),
        title: "A title".into(),
        description: "What it means.".into(),
    }
}

#[test]
fn admins_publish_the_guidelines_whole_as_the_next_version() {
    let built_in = given::<Guidelines>([]);
    assert_eq!(built_in.state().version(), 1);
    assert_eq!(built_in.state().rules(), built_in_rules().as_slice());
    let update = |actor: Uuid, rules: Vec<GuidelineRule>| GuidelinesCommand::Update {
        actor,
        actor_is_admin: actor == ADMIN,
        now: now(),
        rules,
    };
    let state = given::<Guidelines>([])
        .when(update(ADMIN, vec![rule("SPAM"), rule("NO_DRONES")]))
        .then_expect(vec![GuidelinesEvent::GuidelinesUpdated {
            version: 2,
            rules: vec![rule("SPAM"), rule("NO_DRONES")],
            updated_by: ADMIN,
            updated_at: now(),
        }]);
    assert!(state.rule("NO_DRONES").is_some());
    given::<Guidelines>([])
        .when(update(MODERATOR, vec![rule("SPAM")]))
        .then_reject(GuidelinesError::NotAdmin);
    for bad in [
        vec![],
        vec![rule("SPAM"), rule("SPAM")],
        vec![rule("lower")],
        vec![GuidelineRule {
            title: "two\nlines".into(),
            ..rule("SPAM")
        }],
    ] {
        given::<Guidelines>([])
            .when(update(ADMIN, bad))
            .then_reject(GuidelinesError::InvalidRules);
    }
    given::<Guidelines>([])
        .when(update(ADMIN, built_in_rules()))
        .then_reject(GuidelinesError::NothingToChange);
}
