//! The activity feed (`feed`, `userActivity`, `feedUpdated`): a multi-stream projection of
//! posts, reviews, itineraries and follows.
//!
//! PostgreSQL holds every activity (what a person did that their followers see), who follows
//! whom and each itinerary's owner, written with the runner's processed markers in one
//! transaction. Each activity of an author with at most `fan_out_limit` followers is also
//! added to every follower's Redis feed (a sorted set by time, the newest
//! [`FEED_LENGTH`] kept): fan-out on write. Authors with more followers are merged in when a
//! feed is read: fan-out on read. The Redis writes are idempotent (an activity's id and time
//! never change), so a batch applied again after a failure adds nothing new; what a reader
//! may see (follows, privacy, bans, deletions) is decided when the feed is read.

pub mod read;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_redis::Pool;
use sqlx::PgConnection;
use uuid::Uuid;
use wayfarer_schemas::{
    ItineraryEvent, ItineraryStatus, PostEvent, ReviewEvent, UserEvent, Visibility,
};

use crate::names::Names;
use crate::projection::{Envelope, MultiStreamProjection, Projection, Tables};
use crate::ProjectionError;

pub const NAME: &str = "feed";
pub const TABLES: &[&str] = &[ACTIVITIES, FOLLOWS, ITINERARIES];
const ACTIVITIES: &str = "feed_activities";
const FOLLOWS: &str = "feed_follows";
const ITINERARIES: &str = "feed_itineraries";

/// Activities kept in each Redis feed; older pages are read from PostgreSQL.
pub const FEED_LENGTH: isize = 500;
/// Authors with more followers than this are fanned out on read.
pub const DEFAULT_FAN_OUT_LIMIT: i64 = 10_000;
/// A new follower's feed gets this many of the followee's latest activities.
const BACKFILL: i64 = 50;

use wayfarer_schemas::itinerary::AGGREGATE_TYPE as ITINERARY;
use wayfarer_schemas::post::AGGREGATE_TYPE as POST;
use wayfarer_schemas::review::AGGREGATE_TYPE as REVIEW;
use wayfarer_schemas::user::AGGREGATE_TYPE as USER;

/// What an activity is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Post,
    Share,
    Review,
    ItineraryCreated,
    ItineraryCompleted,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [
        ActivityKind::Post,
        ActivityKind::Share,
        ActivityKind::Review,
        ActivityKind::ItineraryCreated,
        ActivityKind::ItineraryCompleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::Post => "POST",
            ActivityKind::Share => "SHARE",
            ActivityKind::Review => "REVIEW",
            ActivityKind::ItineraryCreated => "ITINERARY_CREATED",
            ActivityKind::ItineraryCompleted => "ITINERARY_COMPLETED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// Names activity ids (version 5).
const ACTIVITY_NAMESPACE: Uuid = Uuid::from_u128(0x3f6a_1d92_7c4b_4e81_9a05_b2c8_d7e6_f104);

/// The id of the activity an event records: the same on every replay.
fn activity_id(envelope: &Envelope) -> Uuid {
    Uuid::new_v5(
        &ACTIVITY_NAMESPACE,
        format!(
            "{}/{}/{}",
            envelope.aggregate_type, envelope.aggregate_id, envelope.sequence
        )
        .as_bytes(),
    )
}

/// An activity's place in a feed: its time in microseconds (exact in an f64 for millennia).
pub fn feed_score(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64
}

/// One activity being recorded.
struct Activity {
    id: Uuid,
    author_id: Uuid,
    kind: ActivityKind,
    subject_id: Uuid,
    occurred_at: DateTime<Utc>,
}

pub struct FeedProjection {
    redis: Pool,
    names: Names,
    fan_out_limit: i64,
}

impl FeedProjection {
    pub fn new(redis: Pool, names: Names, fan_out_limit: i64) -> Self {
        Self {
            redis,
            names,
            fan_out_limit,
        }
    }
}

impl Projection for FeedProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[POST, REVIEW, ITINERARY, USER]
    }
    fn fetch_wait(&self) -> Duration {
        Duration::from_millis(10)
    }
}

fn undecodable(envelope: &Envelope, reason: impl ToString) -> ProjectionError {
    ProjectionError::undecodable(envelope.global_position, reason)
}

fn decode<E: serde::de::DeserializeOwned>(envelope: &Envelope) -> Result<E, ProjectionError> {
    serde_json::from_str(envelope.payload.get()).map_err(|e| undecodable(envelope, e))
}

/// The Redis commands of one batch, sent together before the transaction commits.
struct Fanout<'a> {
    names: &'a Names,
    pipe: redis::Pipeline,
    /// A rebuild refills feeds but announces nothing.
    announce: bool,
    commands: usize,
}

impl<'a> Fanout<'a> {
    fn add(&mut self, follower: Uuid, activity: Uuid, score: f64) {
        let key = self.names.feed_key(follower);
        self.pipe.zadd(&key, activity.to_string(), score).ignore();
        self.pipe
            .zremrangebyrank(&key, 0, -(FEED_LENGTH + 1))
            .ignore();
        self.commands += 2;
    }

    fn remove(&mut self, follower: Uuid, activities: &[Uuid]) {
        if activities.is_empty() {
            return;
        }
        let members: Vec<String> = activities.iter().map(Uuid::to_string).collect();
        self.pipe
            .zrem(self.names.feed_key(follower), members)
            .ignore();
        self.commands += 1;
    }

    fn announce(&mut self, channel: String, activity: Uuid) {
        if self.announce {
            self.pipe.publish(channel, activity.to_string()).ignore();
            self.commands += 1;
        }
    }
}

#[async_trait]
impl MultiStreamProjection for FeedProjection {
    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let mut fanout = Fanout {
            names: &self.names,
            pipe: redis::pipe(),
            announce: !tables.is_replay(),
            commands: 0,
        };
        for envelope in events {
            let id = envelope
                .aggregate_uuid()
                .ok_or_else(|| undecodable(envelope, "aggregate id is not a UUID"))?;
            let recorded = match envelope.aggregate_type.as_str() {
                POST => post_activity(tx, tables, envelope, id).await?,
                REVIEW => review_activity(tx, tables, envelope, id).await?,
                ITINERARY => itinerary_activity(tx, tables, envelope, id).await?,
                USER => {
                    self.follow(tx, tables, &mut fanout, envelope, id).await?;
                    None
                }
                _ => None,
            };
            if let Some(activity) = recorded {
                self.record(tx, tables, &mut fanout, &activity).await?;
            }
        }
        if fanout.commands > 0 {
            let mut connection = self.redis.get().await?;
            fanout.pipe.query_async::<()>(&mut *connection).await?;
        }
        Ok(())
    }
}

impl FeedProjection {
    /// Stores the activity and fans it out to the author's followers (or announces it on
    /// the author's channel, when they have too many to fan out to).
    async fn record(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        fanout: &mut Fanout<'_>,
        activity: &Activity,
    ) -> Result<(), ProjectionError> {
        let activities = tables.name(ACTIVITIES);
        sqlx::query(&format!(
            "INSERT INTO {activities} (activity_id, author_id, kind, subject_id, occurred_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (activity_id) DO NOTHING"
        ))
        .bind(activity.id)
        .bind(activity.author_id)
        .bind(activity.kind.as_str())
        .bind(activity.subject_id)
        .bind(activity.occurred_at)
        .execute(&mut *tx)
        .await?;
        let followers = followers(tx, tables, activity.author_id, self.fan_out_limit + 1).await?;
        if followers.len() as i64 > self.fan_out_limit {
            fanout.announce(
                self.names.feed_author_channel(activity.author_id),
                activity.id,
            );
            return Ok(());
        }
        let score = feed_score(activity.occurred_at);
        for follower in followers {
            fanout.add(follower, activity.id, score);
            fanout.announce(self.names.feed_channel(follower), activity.id);
        }
        Ok(())
    }

    /// Keeps who follows whom; a new follower's feed gets the followee's latest activities,
    /// and a follower who leaves loses them.
    async fn follow(
        &self,
        tx: &mut PgConnection,
        tables: &Tables,
        fanout: &mut Fanout<'_>,
        envelope: &Envelope,
        followee: Uuid,
    ) -> Result<(), ProjectionError> {
        let follows = tables.name(FOLLOWS);
        match decode::<UserEvent>(envelope)? {
            UserEvent::FollowerAdded { follower_id, .. } => {
                sqlx::query(&format!(
                    "INSERT INTO {follows} (follower_id, followee_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING"
                ))
                .bind(follower_id)
                .bind(followee)
                .execute(&mut *tx)
                .await?;
                let fanned_out = followers(tx, tables, followee, self.fan_out_limit + 1)
                    .await?
                    .len() as i64
                    <= self.fan_out_limit;
                if fanned_out {
                    for (id, at) in latest(tx, tables, followee, BACKFILL).await? {
                        fanout.add(follower_id, id, feed_score(at));
                    }
                }
            }
            UserEvent::FollowerRemoved { follower_id, .. } => {
                sqlx::query(&format!(
                    "DELETE FROM {follows} WHERE follower_id = $1 AND followee_id = $2"
                ))
                .bind(follower_id)
                .bind(followee)
                .execute(&mut *tx)
                .await?;
                let ids: Vec<Uuid> = latest(tx, tables, followee, FEED_LENGTH as i64)
                    .await?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect();
                fanout.remove(follower_id, &ids);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Up to `limit` followers of `author`.
async fn followers(
    tx: &mut PgConnection,
    tables: &Tables,
    author: Uuid,
    limit: i64,
) -> Result<Vec<Uuid>, ProjectionError> {
    let follows = tables.name(FOLLOWS);
    Ok(sqlx::query_scalar(&format!(
        "SELECT follower_id FROM {follows} WHERE followee_id = $1 LIMIT $2"
    ))
    .bind(author)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?)
}

/// The author's latest standing activities, newest first.
async fn latest(
    tx: &mut PgConnection,
    tables: &Tables,
    author: Uuid,
    limit: i64,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, ProjectionError> {
    #[derive(sqlx::FromRow)]
    struct Latest {
        activity_id: Uuid,
        occurred_at: DateTime<Utc>,
    }
    let activities = tables.name(ACTIVITIES);
    let rows: Vec<Latest> = sqlx::query_as(&format!(
        "SELECT activity_id, occurred_at FROM {activities} \
         WHERE author_id = $1 AND NOT withdrawn ORDER BY occurred_at DESC LIMIT $2"
    ))
    .bind(author)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.activity_id, r.occurred_at))
        .collect())
}

/// Marks every activity about `subject` withdrawn (it was deleted).
async fn withdraw(
    tx: &mut PgConnection,
    tables: &Tables,
    subject: Uuid,
) -> Result<(), ProjectionError> {
    let activities = tables.name(ACTIVITIES);
    sqlx::query(&format!(
        "UPDATE {activities} SET withdrawn = true WHERE subject_id = $1"
    ))
    .bind(subject)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn post_activity(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
    post: Uuid,
) -> Result<Option<Activity>, ProjectionError> {
    Ok(match decode::<PostEvent>(envelope)? {
        PostEvent::PostCreated {
            author_id,
            shared_post_id,
            created_at,
            ..
        } => Some(Activity {
            id: activity_id(envelope),
            author_id,
            kind: if shared_post_id.is_some() {
                ActivityKind::Share
            } else {
                ActivityKind::Post
            },
            subject_id: post,
            occurred_at: created_at,
        }),
        PostEvent::PostDeleted { .. } => {
            withdraw(tx, tables, post).await?;
            None
        }
        PostEvent::PostUpdated { .. } | PostEvent::PostHidden { .. } => None,
    })
}

async fn review_activity(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
    review: Uuid,
) -> Result<Option<Activity>, ProjectionError> {
    Ok(match decode::<ReviewEvent>(envelope)? {
        ReviewEvent::ReviewCreated {
            author_id,
            created_at,
            ..
        } => Some(Activity {
            id: activity_id(envelope),
            author_id,
            kind: ActivityKind::Review,
            subject_id: review,
            occurred_at: created_at,
        }),
        ReviewEvent::ReviewDeleted { .. } => {
            withdraw(tx, tables, review).await?;
            None
        }
        _ => None,
    })
}

/// Public itineraries created or completed; owners and visibility are kept to tell.
async fn itinerary_activity(
    tx: &mut PgConnection,
    tables: &Tables,
    envelope: &Envelope,
    itinerary: Uuid,
) -> Result<Option<Activity>, ProjectionError> {
    let itineraries = tables.name(ITINERARIES);
    // The owner, and the visibility when the event says it (kept otherwise).
    let set_owner = format!(
        "INSERT INTO {itineraries} (itinerary_id, owner_id, public) \
         VALUES ($1, $2, COALESCE($3, false)) \
         ON CONFLICT (itinerary_id) DO UPDATE SET owner_id = $2, \
           public = COALESCE($3, {itineraries}.public)"
    );
    Ok(match decode::<ItineraryEvent>(envelope)? {
        ItineraryEvent::ItineraryCreated {
            owner_id,
            details,
            created_at,
            ..
        } => {
            let public = details.visibility == Visibility::Public;
            sqlx::query(&set_owner)
                .bind(itinerary)
                .bind(owner_id)
                .bind(Some(public))
                .execute(&mut *tx)
                .await?;
            public.then(|| Activity {
                id: activity_id(envelope),
                author_id: owner_id,
                kind: ActivityKind::ItineraryCreated,
                subject_id: itinerary,
                occurred_at: created_at,
            })
        }
        ItineraryEvent::ItineraryUpdated { details, .. } => {
            sqlx::query(&format!(
                "UPDATE {itineraries} SET public = $2 WHERE itinerary_id = $1"
            ))
            .bind(itinerary)
            .bind(details.visibility == Visibility::Public)
            .execute(&mut *tx)
            .await?;
            None
        }
        ItineraryEvent::OwnershipTransferred { new_owner_id, .. } => {
            sqlx::query(&set_owner)
                .bind(itinerary)
                .bind(new_owner_id)
                .bind(None::<bool>)
                .execute(&mut *tx)
                .await?;
            None
        }
        ItineraryEvent::ItineraryStatusChanged {
            status: ItineraryStatus::Completed,
            changed_at,
        } => {
            #[derive(sqlx::FromRow)]
            struct Owner {
                owner_id: Uuid,
                public: bool,
            }
            let owner: Option<Owner> = sqlx::query_as(&format!(
                "SELECT owner_id, public FROM {itineraries} WHERE itinerary_id = $1"
            ))
            .bind(itinerary)
            .fetch_optional(&mut *tx)
            .await?;
            owner.filter(|o| o.public).map(|o| Activity {
                id: activity_id(envelope),
                author_id: o.owner_id,
                kind: ActivityKind::ItineraryCompleted,
                subject_id: itinerary,
                occurred_at: changed_at,
            })
        }
        ItineraryEvent::ItineraryDeleted { .. } => {
            withdraw(tx, tables, itinerary).await?;
            None
        }
        _ => None,
    })
}
