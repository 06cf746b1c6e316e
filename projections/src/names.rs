//! Names of topics, consumer groups, indexes and keys. A prefix isolates one deployment (or one
//! test) from another on shared servers.

/// Prefixes applied to every external name. Empty prefixes give the production names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// Prepended to Kafka topics and consumer groups, e.g. `t42.` → `t42.wayfarer.itinerary`.
    pub kafka_prefix: String,
    /// Prepended to OpenSearch index and alias names.
    pub index_prefix: String,
    /// Prepended to Redis keys and pub/sub channels.
    pub redis_prefix: String,
}

impl Names {
    pub fn topic(&self, aggregate_type: &str) -> String {
        format!(
            "{}{}",
            self.kafka_prefix,
            wayfarer_schemas::topic_for(aggregate_type)
        )
    }

    /// The dead-letter topic: events projections gave up on (`wayfarer.dlq`).
    pub fn dead_letter_topic(&self) -> String {
        format!("{}wayfarer.dlq", self.kafka_prefix)
    }

    pub fn consumer_group(&self, projection: &str) -> String {
        format!("{}wayfarer.projection.{projection}", self.kafka_prefix)
    }

    /// The alias every reader and the live projector use.
    pub fn itineraries_alias(&self) -> String {
        format!("{}itineraries", self.index_prefix)
    }

    /// The alias of the people index (`searchUsers`).
    pub fn users_alias(&self) -> String {
        format!("{}users", self.index_prefix)
    }

    /// The itinerary cache's keys of one generation end `<generation>:<id>` after this.
    pub fn itinerary_cache_prefix(&self) -> String {
        format!("{}wayfarer:itinerary:g", self.redis_prefix)
    }

    pub fn itinerary_cache_key(&self, generation: u64, itinerary_id: uuid::Uuid) -> String {
        format!(
            "{}{generation}:{itinerary_id}",
            self.itinerary_cache_prefix()
        )
    }

    /// Points at the itinerary cache's live generation (absent: generation 0).
    pub fn itinerary_cache_generation(&self) -> String {
        format!("{}wayfarer:itinerary-cache:generation", self.redis_prefix)
    }

    /// Hands out the generations rebuilds fill.
    pub fn itinerary_cache_next_generation(&self) -> String {
        format!("{}wayfarer:itinerary-cache:next", self.redis_prefix)
    }

    /// The newest version of an itinerary announced on its channel (announced once).
    pub fn itinerary_announced(&self, itinerary_id: uuid::Uuid) -> String {
        format!(
            "{}wayfarer:itinerary-announced:{itinerary_id}",
            self.redis_prefix
        )
    }

    /// Where every API node hears that a person's access ended (banned, account closed).
    pub fn user_access_channel(&self, user_id: uuid::Uuid) -> String {
        format!("{}wayfarer:user-access:{user_id}", self.redis_prefix)
    }

    pub fn itinerary_channel(&self, itinerary_id: uuid::Uuid) -> String {
        format!(
            "{}wayfarer:itinerary-changed:{itinerary_id}",
            self.redis_prefix
        )
    }

    /// A person's feed: activity ids scored by when they happened (fan-out on write).
    pub fn feed_key(&self, user_id: uuid::Uuid) -> String {
        format!("{}wayfarer:feed:{user_id}", self.redis_prefix)
    }

    /// Where a person hears that their feed has something new.
    pub fn feed_channel(&self, user_id: uuid::Uuid) -> String {
        format!("{}wayfarer:feed-updated:{user_id}", self.redis_prefix)
    }

    /// Where the followers of an author fanned out on read hear of their new activity.
    pub fn feed_author_channel(&self, author_id: uuid::Uuid) -> String {
        format!("{}wayfarer:feed-author:{author_id}", self.redis_prefix)
    }

    /// A post's viewers on one day (a HyperLogLog).
    pub fn post_views_day(&self, post_id: uuid::Uuid, day: &str) -> String {
        format!("{}wayfarer:post-views:{post_id}:{day}", self.redis_prefix)
    }

    /// A post's views: each viewer once a day.
    pub fn post_views_total(&self, post_id: uuid::Uuid) -> String {
        format!("{}wayfarer:post-views:{post_id}", self.redis_prefix)
    }
}
