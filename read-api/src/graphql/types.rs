//! Output types.

use async_graphql::{Enum, ErrorExtensions, Object, Scalar, ScalarType, SimpleObject, Value};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wayfarer_projections::itinerary::{
    ChangeView, CollaboratorView, ItemView, ItineraryView, Membership,
};

/// A position in the event store, as returned by mutations and accepted by queries'
/// `after`/`afterPosition` to read your own writes. Serialised as a string (it is 64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position(pub i64);

#[Scalar]
impl ScalarType for Position {
    fn parse(value: Value) -> async_graphql::InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .parse::<i64>()
                .map(Position)
                .map_err(|_| async_graphql::InputValueError::custom("position must be digits")),
            Value::Number(number) => number.as_i64().map(Position).ok_or_else(|| {
                async_graphql::InputValueError::custom("position must be an integer")
            }),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::Visibility")]
pub enum Visibility {
    Public,
    Private,
}

/// Where an itinerary stands in its life.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::ItineraryStatus")]
pub enum ItineraryStatus {
    Draft,
    Planned,
    Ongoing,
    Completed,
    Cancelled,
}

/// What a collaborator may do: VIEW reads, COMMENT also comments on items, EDIT also changes
/// the itinerary and its items.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::AccessLevel")]
pub enum AccessLevel {
    View,
    Comment,
    Edit,
}

/// How the caller stands towards an itinerary.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MyAccess {
    Owner,
    Edit,
    Comment,
    View,
    /// Invited, not answered yet: reads it, may accept or decline.
    Invited,
    /// Not a member: reads it only when it is public.
    None,
}

impl From<Membership> for MyAccess {
    fn from(membership: Membership) -> Self {
        match membership {
            Membership::Owner => MyAccess::Owner,
            Membership::Collaborator(wayfarer_schemas::AccessLevel::Edit) => MyAccess::Edit,
            Membership::Collaborator(wayfarer_schemas::AccessLevel::Comment) => MyAccess::Comment,
            Membership::Collaborator(wayfarer_schemas::AccessLevel::View) => MyAccess::View,
            Membership::Invited(_) => MyAccess::Invited,
            Membership::Outsider => MyAccess::None,
        }
    }
}

/// A collaborator of an itinerary, or a pending invitee.
#[derive(SimpleObject, Clone, Debug)]
pub struct Collaborator {
    pub user_id: Uuid,
    pub access_level: AccessLevel,
    /// False while the invitation is pending.
    pub accepted: bool,
    pub invited_by: Uuid,
    pub invited_at: DateTime<Utc>,
}

impl From<&CollaboratorView> for Collaborator {
    fn from(view: &CollaboratorView) -> Self {
        Self {
            user_id: view.user_id,
            access_level: view.access_level.into(),
            accepted: view.accepted,
            invited_by: view.invited_by,
            invited_at: view.invited_at,
        }
    }
}

/// One change to an itinerary: who made it, when, and what it was.
#[derive(SimpleObject, Clone, Debug)]
pub struct ItineraryChange {
    /// The version this change made.
    pub version: u64,
    /// Who made it (`null` for the system).
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
    /// The event's type, as published (`ItineraryItemAdded`).
    pub event_type: String,
    /// What it did, in words ("added “Tram 28”").
    pub description: String,
    /// Whom it concerned, if a person (an invitee, a new owner).
    pub subject_user_id: Option<Uuid>,
}

impl From<&ChangeView> for ItineraryChange {
    fn from(change: &ChangeView) -> Self {
        Self {
            version: change.version,
            changed_by: change.changed_by,
            changed_at: change.changed_at,
            event_type: change.event_type.clone(),
            description: change.description.clone(),
            subject_user_id: change.subject_user_id,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "wayfarer_schemas::Category")]
pub enum Category {
    Sightseeing,
    Dining,
    Shopping,
    Accommodation,
    Transport,
    Activity,
    Other,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct GeoLocation {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

/// Money as integer minor units (cents) of an ISO 4217 currency.
#[derive(SimpleObject, Clone, Debug)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

pub struct Itinerary(pub ItineraryView);

#[Object]
impl Itinerary {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn owner_id(&self) -> Uuid {
        self.0.owner_id
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn start_date(&self) -> NaiveDate {
        self.0.start_date
    }
    async fn end_date(&self) -> NaiveDate {
        self.0.end_date
    }
    async fn visibility(&self) -> Visibility {
        self.0.visibility.into()
    }
    async fn base_currency(&self) -> &str {
        &self.0.base_currency
    }
    async fn status(&self) -> ItineraryStatus {
        self.0.status.into()
    }
    /// How the caller stands towards this itinerary.
    async fn my_access(&self, ctx: &async_graphql::Context<'_>) -> MyAccess {
        self.0.membership(super::context::caller(ctx)).into()
    }
    /// Collaborators and pending invitees, in the order they were invited; shown to members
    /// only (empty for anyone else).
    async fn collaborators(&self, ctx: &async_graphql::Context<'_>) -> Vec<Collaborator> {
        if !self.0.membership(super::context::caller(ctx)).is_member() {
            return Vec::new();
        }
        self.0.collaborators.iter().map(Into::into).collect()
    }
    /// The last change: who made it and what it was (what `itineraryChanged` delivers).
    /// Shown to members only, like the history it comes from (`null` for anyone else).
    async fn last_change(&self, ctx: &async_graphql::Context<'_>) -> Option<ItineraryChange> {
        if !self.0.membership(super::context::caller(ctx)).is_member() {
            return None;
        }
        self.0.last_change.as_ref().map(Into::into)
    }
    /// Number of changes applied; pass it as `expectedVersion` to guard against lost updates.
    async fn version(&self) -> u64 {
        self.0.version
    }
    /// Store position of the last change this view includes.
    async fn position(&self) -> Position {
        Position(self.0.last_position)
    }
    async fn deleted(&self) -> bool {
        self.0.deleted
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Items in the owner's order.
    async fn items(&self) -> Vec<ItineraryItem> {
        self.0.items.iter().cloned().map(ItineraryItem).collect()
    }
    /// Sum of the items' estimated costs in the base currency (other currencies left out).
    /// Amounts are bounded when recorded; the sum is checked all the same, so no stored data
    /// can make a read fail other than with a typed error.
    async fn estimated_total(&self) -> async_graphql::Result<Money> {
        let amount_minor = self
            .0
            .items
            .iter()
            .filter_map(|item| item.estimated_cost.as_ref())
            .filter(|cost| cost.currency == self.0.base_currency)
            .try_fold(0i64, |total, cost| total.checked_add(cost.amount_minor));
        let Some(amount_minor) = amount_minor else {
            return Err(crate::error::ApiError::Validation(
                "the estimated total is too large to represent".to_owned(),
            )
            .extend());
        };
        Ok(Money {
            amount_minor,
            currency: self.0.base_currency.clone(),
        })
    }
}

pub struct ItineraryItem(pub ItemView);

#[Object]
impl ItineraryItem {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn start_time(&self) -> DateTime<Utc> {
        self.0.start_time
    }
    async fn end_time(&self) -> DateTime<Utc> {
        self.0.end_time
    }
    async fn location(&self) -> Option<GeoLocation> {
        self.0.location.as_ref().map(|l| GeoLocation {
            name: l.name.clone(),
            lat: l.lat,
            lon: l.lon,
        })
    }
    async fn category(&self) -> Category {
        self.0.category.into()
    }
    async fn estimated_cost(&self) -> Option<Money> {
        self.0.estimated_cost.as_ref().map(|c| Money {
            amount_minor: c.amount_minor,
            currency: c.currency.clone(),
        })
    }
}

/// The account a sign-in is for (the profile is `me`).
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(name = "Account")]
pub struct AccountInfo {
    pub id: Uuid,
    pub user_name: String,
    pub email: String,
}

/// A secret for an authenticator app.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// `otpauth://totp/...`: show it as a QR code.
    pub otpauth_uri: String,
    /// The same secret in base32, to type in by hand.
    pub secret: String,
}

#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct AuthPayload {
    pub access_token: String,
    pub refresh_token: String,
    /// Lifetime of the access token.
    pub expires_in_seconds: u64,
    pub user: AccountInfo,
    /// For a registration: the position of the new person's first event (pass it as `after`
    /// to `me` to read the profile at once).
    pub position: Option<Position>,
}

impl From<crate::auth::accounts::IssuedTokens> for AuthPayload {
    fn from(issued: crate::auth::accounts::IssuedTokens) -> Self {
        Self {
            access_token: issued.access_token,
            refresh_token: issued.refresh_token,
            expires_in_seconds: issued.expires_in_seconds,
            user: issued.account.into(),
            position: None,
        }
    }
}

impl From<crate::auth::accounts::Account> for AccountInfo {
    fn from(account: crate::auth::accounts::Account) -> Self {
        Self {
            id: account.user_id,
            user_name: account.user_name,
            email: account.email,
        }
    }
}
