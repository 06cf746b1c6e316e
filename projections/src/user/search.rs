//! The OpenSearch `users` index (`searchUsers`): user names for everyone, names, bio and
//! interests of public profiles only. Each touched person's document is folded from their
//! stream in the store and written with their latest sequence as external version, so stale
//! or redelivered writes are refused by OpenSearch itself.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use opensearch::OpenSearch;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;
use wayfarer_schemas::user::AGGREGATE_TYPE;
use wayfarer_schemas::{decode_event, Privacy, UserEvent, UserProfile};

use crate::itinerary::search::{
    alias_exists, bulk_index, create_index_with, run_search, searchable_version, swap_in,
    SearchPage,
};
use crate::projection::{DocumentProjection, Envelope, Projection, Write};
use crate::{store, Names, ProjectionError};
use wayfarer_vault::Vault;

pub const NAME: &str = "users_search";

/// A permanent ban, as a date the range filter can compare.
const FOREVER: &str = "9999-12-31T00:00:00Z";

fn index_definition() -> Value {
    json!({
        "settings": { "number_of_shards": 1, "number_of_replicas": 0 },
        "mappings": {
            "properties": {
                "id": { "type": "keyword" },
                "userName": { "type": "text" },
                "userNameParts": { "type": "text" },
                "firstName": { "type": "text" },
                "lastName": { "type": "text" },
                "bio": { "type": "text" },
                "interests": { "type": "text" },
                "privacy": { "type": "keyword" },
                "deleted": { "type": "boolean" },
                "banned": { "type": "boolean" },
                "bannedUntil": { "type": "date" }
            }
        }
    })
}

/// What the index needs of a person, folded from their events.
#[derive(Debug, Clone, Default)]
struct Searchable {
    user_name: String,
    profile: UserProfile,
    deleted: bool,
    ban: Option<Option<DateTime<Utc>>>,
}

impl Searchable {
    /// The event types that change a person's document.
    const CHANGED_BY: &'static [&'static str] = &[
        "UserRegistered",
        "UserNameChanged",
        "UserProfileUpdated",
        "UserDeleted",
        "UserForgotten",
        "UserBanned",
        "UserUnbanned",
    ];

    fn apply(&mut self, event: UserEvent) {
        match event {
            UserEvent::UserRegistered { user_name, .. }
            | UserEvent::UserNameChanged { user_name, .. } => self.user_name = user_name,
            UserEvent::UserProfileUpdated { profile, .. } => self.profile = profile,
            UserEvent::UserDeleted { .. } | UserEvent::UserForgotten { .. } => {
                self.deleted = true;
                self.profile = UserProfile::default();
            }
            UserEvent::UserBanned { until, .. } => self.ban = Some(until),
            UserEvent::UserUnbanned { .. } => self.ban = None,
            _ => {}
        }
    }

    /// Only a public profile's details are searchable; the user name always is.
    fn document(&self, id: Uuid) -> Value {
        let public = self.profile.privacy == Privacy::Public && !self.deleted;
        let personal = &self.profile.personal;
        let detail = |value: &Option<String>| if public { value.clone() } else { None };
        json!({
            "id": id,
            "userName": self.user_name,
            // "ada_lovelace" is one token to the analyzer; its parts make "ada" find it.
            "userNameParts": self.user_name.split(['_', '.', '-']).collect::<Vec<_>>(),
            "firstName": detail(&personal.first_name),
            "lastName": detail(&personal.last_name),
            "bio": detail(&personal.bio),
            "interests": if public { self.profile.travel_preferences.interests.clone() } else { vec![] },
            "privacy": self.profile.privacy.as_str(),
            "deleted": self.deleted,
            "banned": self.ban.is_some(),
            "bannedUntil": match self.ban {
                Some(Some(until)) => until.to_rfc3339(),
                Some(None) => FOREVER.to_owned(),
                None => "1970-01-01T00:00:00Z".to_owned(),
            },
        })
    }
}

/// The registered projection.
pub struct UsersSearchProjection {
    client: OpenSearch,
    alias: String,
    pool: PgPool,
    vault: Vault,
}

impl UsersSearchProjection {
    pub fn new(client: OpenSearch, names: &Names, pool: PgPool, vault: Vault) -> Self {
        Self {
            client,
            alias: names.users_alias(),
            pool,
            vault,
        }
    }

    /// Each touched person's document at the latest sequence the batch holds for them.
    async fn documents(
        &self,
        events: &[Envelope],
    ) -> Result<Vec<(String, u64, Value)>, ProjectionError> {
        let mut latest: BTreeMap<Uuid, u64> = BTreeMap::new();
        for envelope in events.iter().filter(|e| e.aggregate_type == AGGREGATE_TYPE) {
            let id = Uuid::parse_str(&envelope.aggregate_id).map_err(|_| {
                ProjectionError::Undecodable {
                    position: envelope.global_position,
                    reason: "user id is not a UUID".into(),
                }
            })?;
            let sequence = latest.entry(id).or_default();
            *sequence = (*sequence).max(envelope.sequence);
        }
        let ids: Vec<Uuid> = latest.keys().copied().collect();
        let mut people: BTreeMap<Uuid, Searchable> = BTreeMap::new();
        let mut connection = self.pool.acquire().await?;
        // Follows can be many and change nothing here: only the events that do are read.
        let changing = store::read_streams_of_types(
            &mut *connection,
            AGGREGATE_TYPE,
            &ids,
            Searchable::CHANGED_BY,
        )
        .await?;
        for raw in changing {
            let Ok(id) = Uuid::parse_str(&raw.aggregate_id) else {
                continue;
            };
            let payload = self
                .vault
                .open(&mut connection, &raw.payload)
                .await
                .map_err(|error| ProjectionError::from_vault(error, raw.global_position))?;
            let event: UserEvent = decode_event(&raw.event_type, &raw.event_version, &payload)
                .map_err(|error| ProjectionError::Undecodable {
                    position: raw.global_position,
                    reason: error.to_string(),
                })?;
            people.entry(id).or_default().apply(event);
        }
        Ok(latest
            .into_iter()
            .filter_map(|(id, version)| {
                let person = people.get(&id)?;
                Some((id.to_string(), version, person.document(id)))
            })
            .collect())
    }
}

impl Projection for UsersSearchProjection {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &[AGGREGATE_TYPE]
    }
    fn fetch_wait(&self) -> std::time::Duration {
        std::time::Duration::from_millis(100)
    }
}

#[async_trait]
impl DocumentProjection for UsersSearchProjection {
    async fn needs_rebuild(&self) -> Result<bool, ProjectionError> {
        Ok(!alias_exists(&self.client, &self.alias).await?)
    }

    async fn apply(&self, events: &[Envelope]) -> Result<(), ProjectionError> {
        self.rebuild_chunk(&self.alias, events).await
    }

    async fn begin_rebuild(&self) -> Result<String, ProjectionError> {
        let index = format!("{}_v{}", self.alias, Utc::now().timestamp_millis());
        create_index_with(&self.client, &index, index_definition()).await?;
        Ok(index)
    }

    async fn rebuild_chunk(
        &self,
        target: &str,
        events: &[Envelope],
    ) -> Result<(), ProjectionError> {
        let documents = self.documents(events).await?;
        bulk_index(&self.client, target, documents.into_iter()).await
    }

    async fn finish_rebuild(&self, target: &str) -> Result<(), ProjectionError> {
        swap_in(&self.client, &self.alias, target).await
    }

    async fn discard_rebuild(&self, target: &str) -> Result<(), ProjectionError> {
        crate::itinerary::search::delete_index(&self.client, target).await
    }

    async fn has_applied(&self, write: &Write) -> Result<bool, ProjectionError> {
        let Some(id) = write.stream_of(AGGREGATE_TYPE) else {
            return Ok(true);
        };
        Ok(searchable_version(&self.client, &self.alias, id).await? >= write.sequence)
    }
}

/// People matching `text`: by user name anyone who is shown, by names, bio and interests
/// people with public profiles. Banned (while the ban lasts) and deleted people never match.
pub async fn search(
    client: &OpenSearch,
    alias: &str,
    text: &str,
    from: u64,
    size: u64,
) -> Result<SearchPage, ProjectionError> {
    let now = Utc::now().to_rfc3339();
    let query = json!({
        "from": from,
        "size": size,
        "query": { "bool": {
            "must": [{ "bool": { "should": [
                { "multi_match": { "query": text, "fields": ["userName^3", "userNameParts^2"], "fuzziness": "AUTO" } },
                { "bool": {
                    "must": [{ "multi_match": {
                        "query": text,
                        "fields": ["firstName^2", "lastName^2", "bio", "interests"],
                        "fuzziness": "AUTO"
                    }}],
                    "filter": [{ "term": { "privacy": "PUBLIC" } }]
                }}
            ], "minimum_should_match": 1 } }],
            "filter": [
                { "term": { "deleted": false } },
                { "bool": { "should": [
                    { "term": { "banned": false } },
                    { "range": { "bannedUntil": { "lt": now } } }
                ], "minimum_should_match": 1 } }
            ]
        }},
        "_source": ["id"]
    });
    run_search(client, alias, query).await
}
