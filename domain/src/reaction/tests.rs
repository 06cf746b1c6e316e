//! Given/when/then for every reaction command and rejection.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);
const BEA: Uuid = Uuid::from_u128(2);
const POST: Uuid = Uuid::from_u128(0x40);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn add(actor: Uuid, reaction: ReactionType) -> ReactionCommand {
    ReactionCommand::Add {
        actor,
        now: now(),
        target_type: ReactionTarget::Post,
        target_id: POST,
        target_owner_id: ADA,
        reaction,
    }
}

fn added(reaction: ReactionType, previous: Option<ReactionType>) -> ReactionEvent {
    ReactionEvent::ReactionAdded {
        target_type: ReactionTarget::Post,
        target_id: POST,
        user_id: BEA,
        target_owner_id: ADA,
        reaction,
        previous,
        added_at: now(),
    }
}

#[test]
fn one_reaction_per_person_and_target_another_type_replaces_it() {
    given::<Reaction>([])
        .when(add(BEA, ReactionType::Love))
        .then_expect(vec![added(ReactionType::Love, None)]);
    given::<Reaction>([added(ReactionType::Love, None)])
        .when(add(BEA, ReactionType::Love))
        .then_expect(vec![]);
    let state = given::<Reaction>([added(ReactionType::Love, None)])
        .when(add(BEA, ReactionType::Wow))
        .then_expect(vec![added(ReactionType::Wow, Some(ReactionType::Love))]);
    assert_eq!(state.current(), Some(ReactionType::Wow));
    given::<Reaction>([added(ReactionType::Love, None)])
        .when(add(ADA, ReactionType::Love))
        .then_reject(ReactionError::NotYours);
}

#[test]
fn a_reaction_is_removed_once_and_can_come_back() {
    let removed = ReactionEvent::ReactionRemoved {
        reaction: ReactionType::Love,
        removed_at: now(),
    };
    given::<Reaction>([added(ReactionType::Love, None)])
        .when(ReactionCommand::Remove {
            actor: BEA,
            now: now(),
        })
        .then_expect(vec![removed.clone()]);
    given::<Reaction>([added(ReactionType::Love, None), removed.clone()])
        .when(ReactionCommand::Remove {
            actor: BEA,
            now: now(),
        })
        .then_reject(ReactionError::NotFound);
    given::<Reaction>([])
        .when(ReactionCommand::Remove {
            actor: BEA,
            now: now(),
        })
        .then_reject(ReactionError::NotFound);
    given::<Reaction>([added(ReactionType::Love, None)])
        .when(ReactionCommand::Remove {
            actor: ADA,
            now: now(),
        })
        .then_reject(ReactionError::NotYours);
    given::<Reaction>([added(ReactionType::Love, None), removed])
        .when(add(BEA, ReactionType::Haha))
        .then_expect(vec![added(ReactionType::Haha, None)]);
}
