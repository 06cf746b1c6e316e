//! Given/when/then for every post command and rejection.

use chrono::TimeZone;

use super::*;
use crate::testing::given;

const ADA: Uuid = Uuid::from_u128(1);
const BEA: Uuid = Uuid::from_u128(2);
const MODERATOR: Uuid = Uuid::from_u128(3);
const ORIGINAL: Uuid = Uuid::from_u128(0x40);
const TRIP: Uuid = Uuid::from_u128(0x30);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn by(actor: Uuid) -> PostContext {
    PostContext {
        actor,
        actor_is_moderator: actor == MODERATOR,
        now: now(),
    }
}

fn photo(url: &str) -> MediaInput {
    MediaInput {
        url: url.into(),
        media_type: MediaType::Photo,
        caption: Some(" Alfama at 6 am ".into()),
    }
}

fn draft(content: &str) -> PostDraft {
    PostDraft {
        content: content.into(),
        ..PostDraft::default()
    }
}

fn created() -> PostEvent {
    PostEvent::PostCreated {
        author_id: ADA,
        content: "Sunrise over #Lisbon".into(),
        media: Vec::new(),
        tags: PostTags {
            hashtags: vec!["lisbon".into()],
            ..PostTags::default()
        },
        shared_post_id: None,
        shared_post_author_id: None,
        created_at: now(),
    }
}

#[test]
fn a_post_is_created_with_its_media_tags_and_hashtags() {
    let mut story = draft("  Sunrise over #Lisbon from the #Miradouro, #lisbon again\n#café_2 ");
    story.media = vec![photo("https://images.example.com/lisbon.jpg")];
    story.itinerary_id = Some(TRIP);
    story.location = Some(("Miradouro de Santa Luzia".into(), 38.7116, -9.1301));
    given::<Post>([])
        .when(PostCommand::Create {
            context: by(ADA),
            draft: story,
        })
        .then_expect(vec![PostEvent::PostCreated {
            author_id: ADA,
            content: "Sunrise over #Lisbon from the #Miradouro, #lisbon again\n#café_2".into(),
            media: vec![PostMedia {
                url: "https://images.example.com/lisbon.jpg".into(),
                media_type: MediaType::Photo,
                caption: Some("Alfama at 6 am".into()),
            }],
            tags: PostTags {
                itinerary_id: Some(TRIP),
                place_id: None,
                location: Some(wayfarer_schemas::Location {
                    name: "Miradouro de Santa Luzia".into(),
                    lat: 38.7116,
                    lon: -9.1301,
                }),
                hashtags: vec!["lisbon".into(), "miradouro".into(), "café_2".into()],
            },
            shared_post_id: None,
            shared_post_author_id: None,
            created_at: now(),
        }]);
}

#[test]
fn a_post_has_a_text_or_media_and_every_part_is_checked() {
    let create = |story: PostDraft| PostCommand::Create {
        context: by(ADA),
        draft: story,
    };
    let photo_only = PostDraft {
        media: vec![photo("https://images.example.com/a.jpg")],
        ..PostDraft::default()
    };
    let state =
        given::<Post>([])
            .when(create(photo_only))
            .then_expect(vec![PostEvent::PostCreated {
                author_id: ADA,
                content: String::new(),
                media: vec![PostMedia {
                    url: "https://images.example.com/a.jpg".into(),
                    media_type: MediaType::Photo,
                    caption: Some("Alfama at 6 am".into()),
                }],
                tags: PostTags::default(),
                shared_post_id: None,
                shared_post_author_id: None,
                created_at: now(),
            }]);
    assert!(state.published().is_some());
    given::<Post>([])
        .when(create(draft("  ")))
        .then_reject(PostError::Empty);
    given::<Post>([])
        .when(create(draft(&"x".repeat(CONTENT_MAX_CHARS + 1))))
        .then_reject(PostError::InvalidContent);
    given::<Post>([])
        .when(create(draft("bell\u{7}")))
        .then_reject(PostError::InvalidContent);
    let mut bad_url = draft("hi");
    bad_url.media = vec![photo("javascript:alert(1)")];
    given::<Post>([])
        .when(create(bad_url))
        .then_reject(PostError::InvalidUrl);
    let mut bad_caption = draft("hi");
    bad_caption.media = vec![MediaInput {
        caption: Some("two\nlines".into()),
        ..photo("https://images.example.com/a.jpg")
    }];
    given::<Post>([])
        .when(create(bad_caption))
        .then_reject(PostError::InvalidCaption);
    let mut crowded = draft("hi");
    crowded.media = vec![photo("https://images.example.com/a.jpg"); MAX_MEDIA + 1];
    given::<Post>([])
        .when(create(crowded))
        .then_reject(PostError::TooManyMedia);
    let mut nowhere = draft("hi");
    nowhere.location = Some(("Somewhere".into(), 91.0, 0.0));
    given::<Post>([])
        .when(create(nowhere))
        .then_reject(PostError::InvalidLocation);
    let many: String = (0..=MAX_HASHTAGS).map(|n| format!("#t{n} ")).collect();
    given::<Post>([])
        .when(create(draft(&many)))
        .then_reject(PostError::InvalidHashtags);
    given::<Post>([created()])
        .when(create(draft("again")))
        .then_reject(PostError::AlreadyExists);
}

#[test]
fn a_share_points_to_the_original_and_carries_a_text_only() {
    let state = given::<Post>([])
        .when(PostCommand::Share {
            context: by(BEA),
            original: ORIGINAL,
            original_author: ADA,
            content: " Go there! #lisbon ".into(),
        })
        .then_expect(vec![PostEvent::PostCreated {
            author_id: BEA,
            content: "Go there! #lisbon".into(),
            media: Vec::new(),
            tags: PostTags {
                hashtags: vec!["lisbon".into()],
                ..PostTags::default()
            },
            shared_post_id: Some(ORIGINAL),
            shared_post_author_id: Some(ADA),
            created_at: now(),
        }]);
    let shared = state.published().unwrap().clone();
    let history = vec![PostEvent::PostCreated {
        author_id: BEA,
        content: shared.content.clone(),
        media: Vec::new(),
        tags: shared.tags.clone(),
        shared_post_id: Some(ORIGINAL),
        shared_post_author_id: Some(ADA),
        created_at: now(),
    }];
    let mut with_photo = draft("Go!");
    with_photo.media = vec![photo("https://images.example.com/a.jpg")];
    given::<Post>(history.clone())
        .when(PostCommand::Update {
            context: by(BEA),
            draft: with_photo,
        })
        .then_reject(PostError::ShareCarriesTextOnly);
    given::<Post>(history)
        .when(PostCommand::Update {
            context: by(BEA),
            draft: draft(""),
        })
        .then_expect(vec![PostEvent::PostUpdated {
            content: String::new(),
            media: Vec::new(),
            tags: PostTags::default(),
            updated_at: now(),
        }]);
}

#[test]
fn only_the_author_updates_and_an_update_must_change_something() {
    given::<Post>([created()])
        .when(PostCommand::Update {
            context: by(ADA),
            draft: draft("Sunset over #Porto"),
        })
        .then_expect(vec![PostEvent::PostUpdated {
            content: "Sunset over #Porto".into(),
            media: Vec::new(),
            tags: PostTags {
                hashtags: vec!["porto".into()],
                ..PostTags::default()
            },
            updated_at: now(),
        }]);
    given::<Post>([created()])
        .when(PostCommand::Update {
            context: by(ADA),
            draft: draft("Sunrise over #Lisbon"),
        })
        .then_reject(PostError::NothingToChange);
    for someone in [BEA, MODERATOR] {
        given::<Post>([created()])
            .when(PostCommand::Update {
                context: by(someone),
                draft: draft("mine now"),
            })
            .then_reject(PostError::NotAuthor);
    }
    given::<Post>([])
        .when(PostCommand::Update {
            context: by(ADA),
            draft: draft("x"),
        })
        .then_reject(PostError::NotFound);
}

#[test]
fn the_author_or_a_moderator_deletes_and_a_deleted_post_is_gone() {
    for who in [ADA, MODERATOR] {
        let state = given::<Post>([created()])
            .when(PostCommand::Delete { context: by(who) })
            .then_expect(vec![PostEvent::PostDeleted {
                deleted_by: who,
                deleted_at: now(),
            }]);
        assert!(state.published().is_none());
    }
    given::<Post>([created()])
        .when(PostCommand::Delete { context: by(BEA) })
        .then_reject(PostError::NotAuthorOrModerator);
    let deleted = PostEvent::PostDeleted {
        deleted_by: ADA,
        deleted_at: now(),
    };
    given::<Post>([created(), deleted.clone()])
        .when(PostCommand::Delete { context: by(ADA) })
        .then_reject(PostError::NotFound);
    given::<Post>([created(), deleted])
        .when(PostCommand::Update {
            context: by(ADA),
            draft: draft("back"),
        })
        .then_reject(PostError::NotFound);
}

#[test]
fn hashtags_are_words_after_a_hash_each_once() {
    assert_eq!(hashtags("#a #A b#c ## #_x #d-e"), vec!["a", "c", "_x", "d"]);
    assert!(hashtags("no tags # here").is_empty());
}

#[test]
fn only_a_moderator_hides_a_post_once() {
    let hidden = PostEvent::PostHidden {
        hidden_by: MODERATOR,
        reason: Some("Spam".into()),
        hidden_at: now(),
    };
    let state = given::<Post>([created()])
        .when(PostCommand::Hide {
            context: by(MODERATOR),
            reason: Some(" Spam ".into()),
        })
        .then_expect(vec![hidden.clone()]);
    assert!(state.is_hidden());
    given::<Post>([created(), hidden])
        .when(PostCommand::Hide {
            context: by(MODERATOR),
            reason: None,
        })
        .then_expect(vec![]);
    for someone in [ADA, BEA] {
        given::<Post>([created()])
            .when(PostCommand::Hide {
                context: by(someone),
                reason: None,
            })
            .then_reject(PostError::NotModerator);
    }
    given::<Post>([])
        .when(PostCommand::Hide {
            context: by(MODERATOR),
            reason: None,
        })
        .then_reject(PostError::NotFound);
}
