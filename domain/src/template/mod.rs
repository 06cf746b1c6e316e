//! The Template aggregate: an itinerary saved to the public library (the seed's "save travel
//! plans as templates" and its community-curated library). A template is a copy, fixed when
//! saved: items keep their times as offsets from the trip's first day, and expenses and
//! people are not copied.

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wayfarer_schemas::{TemplateDetails, TemplateEvent, TemplateItem, TripCategory, Visibility};

use crate::aggregate::{Aggregate, DomainError, ErrorKind};
use crate::itinerary::{Itinerary, Standing};
use crate::values::{Description, ValueError};

/// Who asks, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateContext {
    pub actor: Uuid,
    /// Whether the actor is an admin (from the people model; the domain reads no store).
    pub actor_is_admin: bool,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplateCommand {
    /// Save `source` (the itinerary as it is now) as a new template.
    Save {
        context: TemplateContext,
        template_id: Uuid,
        source: Box<Itinerary>,
        category: TripCategory,
        description: Option<String>,
    },
    Feature {
        context: TemplateContext,
    },
    Unfeature {
        context: TemplateContext,
    },
    Delete {
        context: TemplateContext,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// No such template, or it was deleted. Report "not found".
    #[error("template not found")]
    NotFound,
    /// The source itinerary does not exist or is hidden from the actor.
    #[error("itinerary not found")]
    ItineraryNotFound,
    #[error("template already exists")]
    AlreadyExists,
    /// Only an itinerary's owner saves it as a template; only admins feature; only the
    /// author or an admin deletes.
    #[error("you may not do this to this template")]
    Forbidden,
    #[error("an itinerary without items makes no template")]
    NoItems,
    #[error("the change would leave everything as it is")]
    NothingToChange,
    #[error(transparent)]
    Invalid(#[from] ValueError),
}

impl DomainError for TemplateError {
    fn kind(&self) -> ErrorKind {
        match self {
            TemplateError::NotFound | TemplateError::ItineraryNotFound => ErrorKind::NotFound,
            TemplateError::Forbidden => ErrorKind::Forbidden,
            TemplateError::AlreadyExists => ErrorKind::Conflict,
            TemplateError::NoItems | TemplateError::NothingToChange | TemplateError::Invalid(_) => {
                ErrorKind::Validation
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    author_id: Option<Uuid>,
    featured: bool,
    deleted: bool,
}

impl Template {
    pub fn author_id(&self) -> Option<Uuid> {
        self.author_id
    }
    pub fn is_featured(&self) -> bool {
        self.featured
    }
}

/// The template of an itinerary as it is: each item's times as offsets from 00:00 UTC of
/// the trip's first day.
fn details_of(
    source: &Itinerary,
    category: TripCategory,
    description: Option<String>,
) -> Option<TemplateDetails> {
    let details = source.details()?;
    let day_one = details.start_date.and_time(NaiveTime::MIN).and_utc();
    let items = source
        .items()
        .map(|(_, item)| TemplateItem {
            title: item.title.clone(),
            description: item.description.clone(),
            start_offset_minutes: (item.start_time - day_one).num_minutes(),
            duration_minutes: (item.end_time - item.start_time).num_minutes(),
            location: item.location.clone(),
            category: item.category,
            estimated_cost: item.estimated_cost.clone(),
        })
        .collect();
    Some(TemplateDetails {
        title: details.title.clone(),
        description,
        category,
        days: ((details.end_date - details.start_date).num_days() + 1) as u32,
        base_currency: details.base_currency.clone(),
        items,
    })
}

impl Template {
    fn live(&self) -> Result<(), TemplateError> {
        if self.author_id.is_none() || self.deleted {
            return Err(TemplateError::NotFound);
        }
        Ok(())
    }

    fn decide_save(
        &self,
        context: TemplateContext,
        template_id: Uuid,
        source: &Itinerary,
        category: TripCategory,
        description: Option<String>,
    ) -> Result<TemplateEvent, TemplateError> {
        if self.author_id.is_some() {
            return Err(TemplateError::AlreadyExists);
        }
        let (Some(details), Some(source_id)) = (source.details(), source.id()) else {
            return Err(TemplateError::ItineraryNotFound);
        };
        match source.standing_of(context.actor) {
            _ if source.is_deleted() => return Err(TemplateError::ItineraryNotFound),
            Standing::Owner => {}
            Standing::Outsider if details.visibility == Visibility::Private => {
                return Err(TemplateError::ItineraryNotFound)
            }
            _ => return Err(TemplateError::Forbidden),
        }
        if source.item_ids().is_empty() {
            return Err(TemplateError::NoItems);
        }
        let description =
            Description::parse_optional(description.as_deref())?.map(Description::into_inner);
        let details =
            details_of(source, category, description).ok_or(TemplateError::ItineraryNotFound)?;
        Ok(TemplateEvent::TemplateSaved {
            template_id,
            source_itinerary_id: source_id,
            author_id: context.actor,
            details,
            saved_at: context.now,
        })
    }

    fn decide_feature(
        &self,
        context: TemplateContext,
        featured: bool,
    ) -> Result<TemplateEvent, TemplateError> {
        self.live()?;
        if !context.actor_is_admin {
            return Err(TemplateError::Forbidden);
        }
        if self.featured == featured {
            return Err(TemplateError::NothingToChange);
        }
        Ok(if featured {
            TemplateEvent::TemplateFeatured {
                featured_by: context.actor,
                featured_at: context.now,
            }
        } else {
            TemplateEvent::TemplateUnfeatured {
                unfeatured_by: context.actor,
                unfeatured_at: context.now,
            }
        })
    }

    fn decide_delete(&self, context: TemplateContext) -> Result<TemplateEvent, TemplateError> {
        self.live()?;
        if self.author_id != Some(context.actor) && !context.actor_is_admin {
            return Err(TemplateError::Forbidden);
        }
        Ok(TemplateEvent::TemplateDeleted {
            deleted_at: context.now,
        })
    }
}

impl Aggregate for Template {
    const TYPE: &'static str = wayfarer_schemas::template::AGGREGATE_TYPE;
    type Command = TemplateCommand;
    type Event = TemplateEvent;
    type Error = TemplateError;

    fn decide(&self, command: TemplateCommand) -> Result<Vec<TemplateEvent>, TemplateError> {
        let event = match command {
            TemplateCommand::Save {
                context,
                template_id,
                source,
                category,
                description,
            } => self.decide_save(context, template_id, &source, category, description),
            TemplateCommand::Feature { context } => self.decide_feature(context, true),
            TemplateCommand::Unfeature { context } => self.decide_feature(context, false),
            TemplateCommand::Delete { context } => self.decide_delete(context),
        }?;
        Ok(vec![event])
    }

    fn apply(&mut self, event: &TemplateEvent) {
        match event {
            TemplateEvent::TemplateSaved { author_id, .. } => self.author_id = Some(*author_id),
            TemplateEvent::TemplateFeatured { .. } => self.featured = true,
            TemplateEvent::TemplateUnfeatured { .. } => self.featured = false,
            TemplateEvent::TemplateDeleted { .. } => self.deleted = true,
        }
    }

    fn expected_version(_command: &TemplateCommand) -> Option<u64> {
        None
    }

    fn creates_new(command: &TemplateCommand) -> bool {
        matches!(command, TemplateCommand::Save { .. })
    }
}
