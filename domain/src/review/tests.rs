//! Given/when/then for every review command and rejection.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);
const BEA: Uuid = Uuid::from_u128(2);
const MODERATOR: Uuid = Uuid::from_u128(3);
const PLACE: Uuid = Uuid::from_u128(0x10);
const PHOTO: Uuid = Uuid::from_u128(0x20);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn by(actor: Uuid) -> ReviewContext {
    ReviewContext {
        actor,
        actor_is_moderator: actor == MODERATOR,
        now: now(),
    }
}

fn create(rating: u8, content: &str) -> ReviewCommand {
    ReviewCommand::Create {
        context: by(ADA),
        place_id: PLACE,
        rating,
        content: content.into(),
    }
}

fn created() -> ReviewEvent {
    ReviewEvent::ReviewCreated {
        place_id: PLACE,
        author_id: ADA,
        rating: 4,
        content: "Lovely terrace.".into(),
        created_at: now(),
    }
}

fn photo() -> ReviewMedia {
    ReviewMedia {
        media_id: PHOTO,
        url: "https://images.example.com/flore.jpg".into(),
        media_type: MediaType::Photo,
        caption: Some("The terrace".into()),
    }
}

fn add_photo(actor: Uuid, url: &str) -> ReviewCommand {
    ReviewCommand::AddMedia {
        context: by(actor),
        media_id: PHOTO,
        url: url.into(),
        media_type: MediaType::Photo,
        caption: Some(" The terrace ".into()),
    }
}

#[test]
fn a_person_reviews_a_place_once_with_one_to_five_stars() {
    let review = given::<Review>([])
        .when(create(4, "  Lovely terrace.  "))
        .then_expect(vec![created()]);
    assert_eq!(review.written().map(|w| w.rating), Some(4));
    given::<Review>([created()])
        .when(create(5, "Again"))
        .then_reject(ReviewError::AlreadyReviewed);
    for rating in [0, 6] {
        given::<Review>([])
            .when(create(rating, "Fine"))
            .then_reject(ReviewError::InvalidRating);
    }
    for content in ["", "   ", &"x".repeat(5_001), "bell\u{7}"] {
        given::<Review>([])
            .when(create(3, content))
            .then_reject(ReviewError::InvalidContent);
    }
    given::<Review>([])
        .when(create(3, "Line one\nline two"))
        .then_expect(vec![ReviewEvent::ReviewCreated {
            place_id: PLACE,
            author_id: ADA,
            rating: 3,
            content: "Line one\nline two".into(),
            created_at: now(),
        }]);
}

#[test]
fn only_the_author_updates_or_deletes_and_a_deleted_review_can_be_written_again() {
    let update = |actor, rating, content: &str| ReviewCommand::Update {
        context: by(actor),
        rating,
        content: content.into(),
    };
    given::<Review>([created()])
        .when(update(ADA, 5, "Even better at night."))
        .then_expect(vec![ReviewEvent::ReviewUpdated {
            rating: 5,
            content: "Even better at night.".into(),
            updated_at: now(),
        }]);
    given::<Review>([created()])
        .when(update(ADA, 4, "Lovely terrace."))
        .then_reject(ReviewError::NothingToChange);
    given::<Review>([created()])
        .when(update(BEA, 1, "Mine now"))
        .then_reject(ReviewError::NotAuthor);
    given::<Review>([])
        .when(update(ADA, 1, "Nothing here"))
        .then_reject(ReviewError::NotFound);
    given::<Review>([created()])
        .when(ReviewCommand::Delete { context: by(BEA) })
        .then_reject(ReviewError::NotAuthorOrModerator);
    let deleted = ReviewEvent::ReviewDeleted { deleted_at: now() };
    given::<Review>([created()])
        .when(ReviewCommand::Delete { context: by(ADA) })
        .then_expect(vec![deleted.clone()]);
    given::<Review>([created(), deleted.clone()])
        .when(ReviewCommand::Delete { context: by(ADA) })
        .then_reject(ReviewError::NotFound);
    let again = given::<Review>([created(), deleted])
        .when(create(2, "Service has slipped."))
        .then_expect(vec![ReviewEvent::ReviewCreated {
            place_id: PLACE,
            author_id: ADA,
            rating: 2,
            content: "Service has slipped.".into(),
            created_at: now(),
        }]);
    assert!(again.written().unwrap().helpful.is_empty());
}

#[test]
fn media_are_the_authors_bounded_and_added_once() {
    let added = ReviewEvent::ReviewMediaAdded {
        media: photo(),
        added_at: now(),
    };
    given::<Review>([created()])
        .when(add_photo(ADA, "https://images.example.com/flore.jpg"))
        .then_expect(vec![added.clone()]);
    given::<Review>([created(), added.clone()])
        .when(add_photo(ADA, "https://images.example.com/flore.jpg"))
        .then_expect(vec![]);
    given::<Review>([created(), added.clone()])
        .when(add_photo(ADA, "https://images.example.com/other.jpg"))
        .then_reject(ReviewError::MediaIdReused(PHOTO));
    given::<Review>([created()])
        .when(add_photo(BEA, "https://images.example.com/flore.jpg"))
        .then_reject(ReviewError::NotAuthor);
    for url in [
        "ftp://images.example.com/a.jpg",
        "https://",
        "https:///a.jpg",
        "javascript:alert(1)",
        "https://images.example.com/a b.jpg",
        &format!("https://example.com/{}", "a".repeat(2_048)),
    ] {
        given::<Review>([created()])
            .when(add_photo(ADA, url))
            .then_reject(ReviewError::InvalidUrl);
    }
    let long_caption = ReviewCommand::AddMedia {
        context: by(ADA),
        media_id: PHOTO,
        url: "https://images.example.com/a.jpg".into(),
        media_type: MediaType::Video,
        caption: Some("x".repeat(301)),
    };
    given::<Review>([created()])
        .when(long_caption)
        .then_reject(ReviewError::InvalidCaption);
    let full: Vec<ReviewEvent> = std::iter::once(created())
        .chain(
            (0..MAX_MEDIA as u128).map(|n| ReviewEvent::ReviewMediaAdded {
                media: ReviewMedia {
                    media_id: Uuid::from_u128(0x100 + n),
                    ..photo()
                },
                added_at: now(),
            }),
        )
        .collect();
    given::<Review>(full)
        .when(add_photo(ADA, "https://images.example.com/eleventh.jpg"))
        .then_reject(ReviewError::TooManyMedia);
    let remove = |actor, media_id| ReviewCommand::RemoveMedia {
        context: by(actor),
        media_id,
    };
    given::<Review>([created(), added.clone()])
        .when(remove(ADA, PHOTO))
        .then_expect(vec![ReviewEvent::ReviewMediaRemoved {
            media_id: PHOTO,
            removed_at: now(),
        }]);
    given::<Review>([created(), added.clone()])
        .when(remove(BEA, PHOTO))
        .then_reject(ReviewError::NotAuthor);
    given::<Review>([created(), added])
        .when(remove(ADA, Uuid::from_u128(0x99)))
        .then_reject(ReviewError::UnknownMedia);
}

#[test]
fn other_people_mark_a_review_helpful_once_and_the_author_never() {
    let marked = ReviewEvent::ReviewMarkedHelpful {
        user_id: BEA,
        marked_at: now(),
    };
    let review = given::<Review>([created()])
        .when(ReviewCommand::MarkHelpful { context: by(BEA) })
        .then_expect(vec![marked.clone()]);
    assert_eq!(review.written().unwrap().helpful.len(), 1);
    given::<Review>([created(), marked])
        .when(ReviewCommand::MarkHelpful { context: by(BEA) })
        .then_expect(vec![]);
    given::<Review>([created()])
        .when(ReviewCommand::MarkHelpful { context: by(ADA) })
        .then_reject(ReviewError::OwnReview);
    given::<Review>([])
        .when(ReviewCommand::MarkHelpful { context: by(BEA) })
        .then_reject(ReviewError::NotFound);
}

#[test]
fn a_moderator_hides_or_deletes_a_review_and_a_hidden_one_takes_no_marks() {
    let hidden = ReviewEvent::ReviewHidden {
        hidden_by: MODERATOR,
        reason: Some("Spam".into()),
        hidden_at: now(),
    };
    given::<Review>([created()])
        .when(ReviewCommand::Hide {
            context: by(MODERATOR),
            reason: Some("Spam".into()),
        })
        .then_expect(vec![hidden.clone()]);
    given::<Review>([created(), hidden.clone()])
        .when(ReviewCommand::Hide {
            context: by(MODERATOR),
            reason: None,
        })
        .then_expect(vec![]);
    given::<Review>([created()])
        .when(ReviewCommand::Hide {
            context: by(BEA),
            reason: None,
        })
        .then_reject(ReviewError::NotModerator);
    given::<Review>([created(), hidden])
        .when(ReviewCommand::MarkHelpful { context: by(BEA) })
        .then_reject(ReviewError::NotFound);
    given::<Review>([created()])
        .when(ReviewCommand::Delete {
            context: by(MODERATOR),
        })
        .then_expect(vec![ReviewEvent::ReviewDeleted { deleted_at: now() }]);
    given::<Review>([created()])
        .when(ReviewCommand::Delete { context: by(BEA) })
        .then_reject(ReviewError::NotAuthorOrModerator);
}
