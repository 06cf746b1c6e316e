//! The notifications of posts, comments, reactions and moderation, and the facts they need.
//!
//! Who is told comes with each event (a comment names the post's author, a reaction the
//! target's owner), because the topics arrive in any order: a comment may be met before its
//! post. What the projection keeps (each post's first words, each comment's post, each
//! flagged item's author and flaggers) only adds a quote, or comes from the same stream.

use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::moderation::ModerationAction;
use wayfarer_schemas::{CommentEvent, ModerationEvent, PostEvent, ReactionEvent, ReactionTarget};

use super::rules::{self, CaseFacts, Notice};
use super::{aggregate_uuid, undecodable, CASES, CASE_FLAGGERS, ITINERARIES, POSTS, POST_COMMENTS};
use crate::projection::{Envelope, Tables};
use crate::ProjectionError;

fn decode<E: serde::de::DeserializeOwned>(envelope: &Envelope) -> Result<E, ProjectionError> {
    serde_json::from_str(envelope.payload.get()).map_err(|e| undecodable(envelope, e))
}

/// The start of a post's text, if the projection has met the post yet (the topics arrive
/// in any order; a notice without it is quoted when it is read).
async fn excerpt_of(
    tx: &mut PgConnection,
    tables: &Tables,
    post_id: Uuid,
) -> Result<Option<String>, ProjectionError> {
    let posts = tables.name(POSTS);
    Ok(
        sqlx::query_scalar(&format!("SELECT excerpt FROM {posts} WHERE post_id = $1"))
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?,
    )
}

/// Keeps each post's author and first words; a share tells the original's author.
pub(super) async fn post_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<Vec<Notice>, ProjectionError> {
    let post_id = aggregate_uuid(envelope)?;
    let posts = tables.name(POSTS);
    let (author_id, content, shared) = match decode::<PostEvent>(envelope)? {
        PostEvent::PostCreated {
            author_id,
            content,
            shared_post_id,
            shared_post_author_id,
            ..
        } => (
            author_id,
            content,
            shared_post_id.zip(shared_post_author_id),
        ),
        PostEvent::PostUpdated { content, .. } => {
            sqlx::query(&format!(
                "UPDATE {posts} SET excerpt = $2 WHERE post_id = $1"
            ))
            .bind(post_id)
            .bind(rules::excerpt(&content))
            .execute(&mut *tx)
            .await?;
            return Ok(Vec::new());
        }
        PostEvent::PostDeleted { .. } | PostEvent::PostHidden { .. } => return Ok(Vec::new()),
    };
    sqlx::query(&format!(
        "INSERT INTO {posts} (post_id, author_id, excerpt) VALUES ($1, $2, $3) \
         ON CONFLICT (post_id) DO NOTHING"
    ))
    .bind(post_id)
    .bind(author_id)
    .bind(rules::excerpt(&content))
    .execute(&mut *tx)
    .await?;
    let Some((original, original_author)) = shared else {
        return Ok(Vec::new());
    };
    let excerpt = excerpt_of(tx, tables, original).await?;
    Ok(rules::share_notices(
        author_id,
        original,
        original_author,
        excerpt.as_deref(),
    ))
}

/// Keeps each comment's post; a comment tells the post's author, a reply the parent
/// comment's author (both named by the event).
pub(super) async fn comment_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<Vec<Notice>, ProjectionError> {
    let CommentEvent::CommentAdded {
        post_id,
        author_id,
        post_author_id,
        parent_author_id,
        ..
    } = decode::<CommentEvent>(envelope)?
    else {
        return Ok(Vec::new());
    };
    let comment_id = aggregate_uuid(envelope)?;
    let comments = tables.name(POST_COMMENTS);
    sqlx::query(&format!(
        "INSERT INTO {comments} (comment_id, post_id, author_id) VALUES ($1, $2, $3) \
         ON CONFLICT (comment_id) DO NOTHING"
    ))
    .bind(comment_id)
    .bind(post_id)
    .bind(author_id)
    .execute(&mut *tx)
    .await?;
    let excerpt = excerpt_of(tx, tables, post_id).await?;
    Ok(rules::comment_notices(
        author_id,
        post_id,
        post_author_id,
        parent_author_id,
        excerpt.as_deref(),
    ))
}

/// A new reaction tells the owner of what was reacted to (named by the event; folded per
/// target and day).
pub(super) async fn reaction_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<Vec<Notice>, ProjectionError> {
    let ReactionEvent::ReactionAdded {
        target_type,
        target_id,
        user_id,
        target_owner_id,
        previous: None,
        ..
    } = decode::<ReactionEvent>(envelope)?
    else {
        return Ok(Vec::new());
    };
    let subject = match target_type {
        ReactionTarget::Post => excerpt_of(tx, tables, target_id).await?,
        ReactionTarget::Comment => None,
        ReactionTarget::Itinerary => {
            let itineraries = tables.name(ITINERARIES);
            sqlx::query_scalar(&format!(
                "SELECT title FROM {itineraries} WHERE itinerary_id = $1"
            ))
            .bind(target_id)
            .fetch_optional(&mut *tx)
            .await?
        }
    };
    Ok(rules::reaction_notices(
        user_id,
        target_owner_id,
        target_type.as_str(),
        target_id,
        subject.as_deref(),
    ))
}

/// Keeps what each case is about and who flagged it since it was last decided; a decision
/// tells the author and the flaggers.
pub(super) async fn moderation_event(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
) -> Result<Vec<Notice>, ProjectionError> {
    let case_id = aggregate_uuid(envelope)?;
    let cases = tables.name(CASES);
    let flaggers = tables.name(CASE_FLAGGERS);
    match decode::<ModerationEvent>(envelope)? {
        ModerationEvent::ContentFlagged {
            target_type,
            target_id,
            author_id,
            flagged_by,
            ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {cases} (case_id, target_type, target_id, author_id) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO NOTHING"
            ))
            .bind(case_id)
            .bind(target_type.as_str())
            .bind(target_id)
            .bind(author_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "INSERT INTO {flaggers} (case_id, flagger_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING"
            ))
            .bind(case_id)
            .bind(flagged_by)
            .execute(&mut *tx)
            .await?;
            Ok(Vec::new())
        }
        ModerationEvent::FlagsResolved { action, note, .. } => {
            #[derive(sqlx::FromRow)]
            struct Case {
                target_type: String,
                target_id: Uuid,
                author_id: Uuid,
            }
            let case: Option<Case> = sqlx::query_as(&format!(
                "SELECT target_type, target_id, author_id FROM {cases} WHERE case_id = $1"
            ))
            .bind(case_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(case) = case else {
                return Ok(Vec::new());
            };
            let flagged_by: Vec<Uuid> = if action == ModerationAction::Escalate {
                Vec::new()
            } else {
                sqlx::query_scalar(&format!(
                    "DELETE FROM {flaggers} WHERE case_id = $1 RETURNING flagger_id"
                ))
                .bind(case_id)
                .fetch_all(&mut *tx)
                .await?
            };
            let target_type = wayfarer_schemas::FlagTarget::parse(&case.target_type)
                .map(|t| t.as_str())
                .unwrap_or("POST");
            let facts = CaseFacts {
                target_type,
                target_id: case.target_id,
                author_id: case.author_id,
                flaggers: flagged_by,
            };
            Ok(rules::moderation_notices(&facts, action, note.as_deref()))
        }
    }
}
