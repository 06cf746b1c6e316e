//! The template library (the seed's "save travel plans as templates" and its
//! community-curated library): save an itinerary as a template, browse the library, start a
//! new itinerary from a template, and, for admins, feature templates.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;
use wayfarer_commands::CommandOutcome;
use wayfarer_domain::itinerary::{ItineraryCommand, LocationInput, MoneyInput, NewItemDetails};
use wayfarer_domain::{TemplateCommand, TemplateContext};
use wayfarer_projections::template::{self, TemplateRow};
use wayfarer_schemas::Role;

use super::context::{caller, state};
use super::mutation::{forbidden_or_missing, run, ItineraryPayload};
use super::paging::{check_search_text, decode_offset, offset_cursor, page_size};
use super::resolve::{resolve, Invocation};
use super::types::{Category, GeoLocation, Money, Position};
use crate::error::{ApiError, ApiResult};
use crate::people::access::content_visible;
use crate::people::Viewer;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::TripCategory")]
pub enum TripCategory {
    CityBreak,
    Culture,
    FoodAndDrink,
    Nature,
    Adventure,
    Beach,
    RoadTrip,
    Family,
    Other,
}

/// An item of a template, timed from the trip's first day.
#[derive(SimpleObject)]
pub struct TemplateItem {
    pub title: String,
    pub description: Option<String>,
    /// Minutes from 00:00 UTC of the first day.
    pub start_offset_minutes: i64,
    pub duration_minutes: i64,
    pub location: Option<GeoLocation>,
    pub category: Category,
    pub estimated_cost: Option<Money>,
}

/// A template of the library.
#[derive(SimpleObject)]
pub struct Template {
    pub id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub category: TripCategory,
    pub days: u32,
    pub base_currency: String,
    pub featured: bool,
    pub saved_at: DateTime<Utc>,
    pub items: Vec<TemplateItem>,
}

impl From<TemplateRow> for Template {
    fn from(row: TemplateRow) -> Self {
        let details = row.details.0;
        Self {
            id: row.template_id,
            author_id: row.author_id,
            title: details.title,
            description: details.description,
            category: details.category.into(),
            days: details.days,
            base_currency: details.base_currency,
            featured: row.featured,
            saved_at: row.saved_at,
            items: details
                .items
                .into_iter()
                .map(|item| TemplateItem {
                    title: item.title,
                    description: item.description,
                    start_offset_minutes: item.start_offset_minutes,
                    duration_minutes: item.duration_minutes,
                    location: item.location.map(|l| GeoLocation {
                        name: l.name,
                        lat: l.lat,
                        lon: l.lon,
                    }),
                    category: item.category.into(),
                    estimated_cost: item.estimated_cost.map(|c| Money {
                        amount_minor: c.amount_minor,
                        currency: c.currency,
                    }),
                })
                .collect(),
        }
    }
}

/// What a template mutation wrote.
#[derive(SimpleObject)]
pub struct TemplatePayload {
    pub template_id: Uuid,
    /// Pass as `after` to `template` to read this write.
    pub position: Position,
    pub replayed: bool,
}

impl TemplatePayload {
    fn new(template_id: Uuid, outcome: CommandOutcome) -> Self {
        Self {
            template_id,
            position: Position(outcome.position),
            replayed: outcome.replayed,
        }
    }
}

/// A live template whose author the caller may see (a banned or closed author's templates
/// look missing).
async fn visible_template(
    ctx: &Context<'_>,
    id: Uuid,
    after: Option<Position>,
) -> ApiResult<Option<TemplateRow>> {
    let api = state(ctx);
    if let Some(position) = after {
        api.read_your_write(&[template::NAME], position.0).await?;
    }
    let Some(row) = template::find(&api.pool, id).await? else {
        return Ok(None);
    };
    let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
    let shown = content_visible(&api.pool, &[row.author_id], &viewer).await?;
    Ok(shown
        .get(&row.author_id)
        .copied()
        .unwrap_or(true)
        .then_some(row))
}

/// Runs one template command for the caller (an admin's role read from the people model).
async fn template_command(
    ctx: &Context<'_>,
    invocation: Invocation,
    template_id: Uuid,
    build: impl FnOnce(TemplateContext) -> TemplateCommand,
) -> ApiResult<TemplatePayload> {
    let api = state(ctx);
    let viewer = Viewer::of(&api.pool, Some(invocation.actor)).await?;
    let context = TemplateContext {
        actor: invocation.actor,
        actor_is_admin: viewer.role == Role::Admin,
        now: invocation.now,
    };
    let outcome = invocation
        .execute(&api.templates, template_id, build(context))
        .await?;
    Ok(TemplatePayload::new(template_id, outcome))
}

/// [`template_command`] as a whole resolver.
async fn template_mutation(
    ctx: &Context<'_>,
    template_id: Uuid,
    idempotency_key: Option<Uuid>,
    build: impl FnOnce(TemplateContext) -> TemplateCommand,
) -> async_graphql::Result<TemplatePayload> {
    resolve(async move {
        let invocation = Invocation::new(ctx, idempotency_key)?;
        template_command(ctx, invocation, template_id, build).await
    })
    .await
}

/// The items of a template as an itinerary starting on `start`.
fn items_from(
    row: &TemplateRow,
    start: NaiveDate,
    mint: impl Fn(usize) -> Uuid,
) -> Vec<(Uuid, NewItemDetails)> {
    let day_one = start.and_time(NaiveTime::MIN).and_utc();
    row.details
        .0
        .items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let start_time = day_one + Duration::minutes(item.start_offset_minutes);
            (
                mint(n),
                NewItemDetails {
                    title: item.title.clone(),
                    description: item.description.clone(),
                    start_time,
                    end_time: start_time + Duration::minutes(item.duration_minutes),
                    location: item.location.clone().map(LocationInput::from),
                    category: item.category,
                    estimated_cost: item.estimated_cost.clone().map(MoneyInput::from),
                },
            )
        })
        .collect()
}

#[derive(Default)]
pub struct TemplateMutation;

#[Object]
impl TemplateMutation {
    /// Publishes a copy of the caller's itinerary to the template library (items keep their
    /// times from the first day; expenses, comments and collaborators are not copied). Its
    /// owner only.
    async fn save_as_template(
        &self,
        ctx: &Context<'_>,
        itinerary_id: Uuid,
        category: TripCategory,
        description: Option<String>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<TemplatePayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let source = state(ctx)
                .itineraries
                .stored_state(&itinerary_id.to_string())
                .await
                .map_err(ApiError::internal)?;
            let template_id = invocation.mint_id("template");
            let actor = invocation.actor;
            let saved = template_command(ctx, invocation, template_id, |context| {
                TemplateCommand::Save {
                    context,
                    template_id,
                    source: Box::new(source),
                    category: category.into(),
                    description,
                }
            })
            .await;
            match saved {
                // Forbidden is said only of a public itinerary; one whose owner does not share
                // with the caller (privacy, ban) must look missing, as reads do.
                Err(ApiError::Forbidden(reason)) => {
                    Err(forbidden_or_missing(state(ctx), itinerary_id, actor, reason).await?)
                }
                other => other,
            }
        })
        .await
    }

    /// Starts a new private itinerary of the caller's from a template, on `startDate`: items
    /// keep their offsets from the first day; expenses are not copied.
    async fn clone_template(
        &self,
        ctx: &Context<'_>,
        template_id: Uuid,
        start_date: NaiveDate,
        title: Option<String>,
        after: Option<Position>,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<ItineraryPayload> {
        resolve(async move {
            let invocation = Invocation::new(ctx, idempotency_key)?;
            let Some(row) = visible_template(ctx, template_id, after).await? else {
                return Err(ApiError::NotFound("template not found".into()));
            };
            let days = u64::from(row.details.0.days.max(1)) - 1;
            let end_date = start_date
                .checked_add_days(Days::new(days))
                .ok_or_else(|| ApiError::Validation("startDate is too late".into()))?;
            let itinerary_id = invocation.mint_id("itinerary");
            let items = items_from(&row, start_date, |n| {
                invocation.mint_id(&format!("item-{n}"))
            });
            let details = wayfarer_domain::NewItineraryDetails {
                title: title.unwrap_or_else(|| row.details.0.title.clone()),
                start_date,
                end_date,
                visibility: wayfarer_schemas::Visibility::Private,
                base_currency: row.details.0.base_currency.clone(),
            };
            run(ctx, invocation, itinerary_id, None, None, |context| {
                ItineraryCommand::CreateWithItems {
                    context,
                    itinerary_id,
                    details,
                    items,
                }
            })
            .await
        })
        .await
    }

    /// Features a template in the library. Admins only.
    async fn feature_template(
        &self,
        ctx: &Context<'_>,
        template_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<TemplatePayload> {
        template_mutation(ctx, template_id, idempotency_key, |context| {
            TemplateCommand::Feature { context }
        })
        .await
    }

    /// Stops featuring a template. Admins only.
    async fn unfeature_template(
        &self,
        ctx: &Context<'_>,
        template_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<TemplatePayload> {
        template_mutation(ctx, template_id, idempotency_key, |context| {
            TemplateCommand::Unfeature { context }
        })
        .await
    }

    /// Takes a template out of the library. Its author or an admin.
    async fn delete_template(
        &self,
        ctx: &Context<'_>,
        template_id: Uuid,
        idempotency_key: Option<Uuid>,
    ) -> async_graphql::Result<TemplatePayload> {
        template_mutation(ctx, template_id, idempotency_key, |context| {
            TemplateCommand::Delete { context }
        })
        .await
    }
}

#[derive(Default)]
pub struct TemplateQuery;

#[Object]
impl TemplateQuery {
    /// The template library: featured first, then newest; narrowed by words of the title or
    /// description and by category.
    async fn templates(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        category: Option<TripCategory>,
        first: Option<i32>,
        after: Option<String>,
        after_position: Option<Position>,
    ) -> async_graphql::Result<Connection<String, Template, EmptyFields, EmptyFields>> {
        resolve(async move {
            let api = state(ctx);
            let size = page_size(first)?;
            let from = decode_offset(after)?;
            if let Some(text) = &query {
                check_search_text(text)?;
            }
            if let Some(position) = after_position {
                api.read_your_write(&[template::NAME], position.0).await?;
            }
            let category: Option<wayfarer_schemas::TripCategory> = category.map(Into::into);
            let mut rows = template::search(
                &api.pool,
                query.as_deref().map(str::trim).filter(|q| !q.is_empty()),
                category.map(|c| c.as_str()),
                from as i64,
                size as i64 + 1,
            )
            .await?;
            let has_next = rows.len() > size;
            rows.truncate(size);
            let authors: Vec<Uuid> = rows.iter().map(|r| r.author_id).collect();
            let viewer = Viewer::of(&api.pool, caller(ctx)).await?;
            let shown = content_visible(&api.pool, &authors, &viewer).await?;
            let mut connection = Connection::new(from > 0, has_next);
            connection.edges.extend(
                rows.into_iter()
                    .enumerate()
                    .filter(|(_, row)| shown.get(&row.author_id).copied().unwrap_or(true))
                    .map(|(n, row)| Edge::new(offset_cursor(from + n as u64), row.into())),
            );
            Ok(connection)
        })
        .await
    }

    /// One template, or `null` if it does not exist, was deleted, or its author is hidden.
    async fn template(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        after: Option<Position>,
    ) -> async_graphql::Result<Option<Template>> {
        resolve(async move { Ok(visible_template(ctx, id, after).await?.map(Into::into)) }).await
    }
}
