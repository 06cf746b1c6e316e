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

    pub fn itinerary_cache_key(&self, itinerary_id: uuid::Uuid) -> String {
        format!("{}wayfarer:itinerary:{itinerary_id}", self.redis_prefix)
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
}
