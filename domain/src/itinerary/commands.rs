//! What a caller may ask of an itinerary, as unvalidated input.
//!
//! Commands carry plain strings and numbers as they arrive from the API; `Itinerary::handle`
//! turns them into value objects and reports the first invalid field as an `ItineraryError`.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;
use wayfarer_schemas::{
    AccessLevel, Category, ItemDetails, ItineraryDetails, ItineraryStatus, MoneyAmount, Visibility,
};

use super::expenses::ExpenseInput;
use super::Itinerary;

/// Every command carries its context: who, when, and an optional optimistic-concurrency check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandContext {
    /// The authenticated user issuing the command.
    pub actor: Uuid,
    /// The moment the command is issued; the domain never reads a clock.
    pub now: DateTime<Utc>,
    /// When given, the command is refused unless the itinerary is at exactly this version.
    pub expected_version: Option<u64>,
}

impl CommandContext {
    /// A context without a version check.
    pub fn new(actor: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            actor,
            now,
            expected_version: None,
        }
    }

    /// The same context, refused unless the itinerary is at `version`.
    pub fn expecting_version(self, version: u64) -> Self {
        Self {
            expected_version: Some(version),
            ..self
        }
    }
}

/// Everything a caller may ask of an itinerary. Each accepted command emits one event, but for
/// `ShareItinerary` (one invitation per person) and `RestoreVersion` (the changes that bring
/// the version back).
#[derive(Debug, Clone, PartialEq)]
pub enum ItineraryCommand {
    /// Create the itinerary, owned by `context.actor`.
    Create {
        context: CommandContext,
        itinerary_id: Uuid,
        details: NewItineraryDetails,
    },
    /// Create the itinerary with its items at once (from a template), owned by
    /// `context.actor`: one commit of its creation and every item.
    CreateWithItems {
        context: CommandContext,
        itinerary_id: Uuid,
        details: NewItineraryDetails,
        items: Vec<(Uuid, NewItemDetails)>,
    },
    /// Change some of the itinerary's details.
    Update {
        context: CommandContext,
        details: ItineraryPatch,
    },
    /// Delete the itinerary; it accepts no further commands.
    Delete { context: CommandContext },
    /// Append an item after the existing ones.
    AddItem {
        context: CommandContext,
        item_id: Uuid,
        details: NewItemDetails,
    },
    /// Change some of an item's details.
    UpdateItem {
        context: CommandContext,
        item_id: Uuid,
        details: ItemPatch,
    },
    /// Delete an item; its id can never be used again in this itinerary.
    DeleteItem {
        context: CommandContext,
        item_id: Uuid,
    },
    /// Put the items in a new order; `item_ids` must list every current item exactly once.
    ReorderItems {
        context: CommandContext,
        item_ids: Vec<Uuid>,
    },
    /// Move the itinerary along its life (see [`super::status`]).
    ChangeStatus {
        context: CommandContext,
        status: ItineraryStatus,
    },
    InviteCollaborator {
        context: CommandContext,
        user_id: Uuid,
        access_level: AccessLevel,
    },
    /// VIEW invitations for everyone named who neither collaborates nor is invited yet.
    ShareItinerary {
        context: CommandContext,
        user_ids: Vec<Uuid>,
    },
    /// The actor accepts their pending invitation.
    AcceptInvitation { context: CommandContext },
    /// The actor declines their pending invitation.
    DeclineInvitation { context: CommandContext },
    UpdateCollaboratorAccess {
        context: CommandContext,
        user_id: Uuid,
        access_level: AccessLevel,
    },
    /// Remove a collaborator, or withdraw a pending invitation.
    RemoveCollaborator {
        context: CommandContext,
        user_id: Uuid,
    },
    /// The actor stops collaborating.
    LeaveItinerary { context: CommandContext },
    TransferOwnership {
        context: CommandContext,
        new_owner_id: Uuid,
    },
    AddItemComment {
        context: CommandContext,
        comment_id: Uuid,
        item_id: Uuid,
        parent_comment_id: Option<Uuid>,
        text: String,
    },
    EditItemComment {
        context: CommandContext,
        comment_id: Uuid,
        text: String,
    },
    DeleteItemComment {
        context: CommandContext,
        comment_id: Uuid,
    },
    AddExpense {
        context: CommandContext,
        expense_id: Uuid,
        item_id: Uuid,
        input: ExpenseInput,
    },
    /// Replace an expense's details.
    UpdateExpense {
        context: CommandContext,
        expense_id: Uuid,
        input: ExpenseInput,
    },
    DeleteExpense {
        context: CommandContext,
        expense_id: Uuid,
    },
    /// Set (or, with `None`, clear) a category's budget, in the base currency's minor units.
    SetBudget {
        context: CommandContext,
        category: Category,
        amount_minor: Option<i64>,
    },
    /// Bring back the content (details but the visibility, items and their order) of an
    /// earlier version, as new events. `past` is the itinerary as it was at `version`, folded
    /// from the log by the caller.
    RestoreVersion {
        context: CommandContext,
        version: u64,
        past: Box<Itinerary>,
    },
}

impl ItineraryCommand {
    pub fn context(&self) -> &CommandContext {
        match self {
            ItineraryCommand::Create { context, .. }
            | ItineraryCommand::CreateWithItems { context, .. }
            | ItineraryCommand::Update { context, .. }
            | ItineraryCommand::Delete { context }
            | ItineraryCommand::AddItem { context, .. }
            | ItineraryCommand::UpdateItem { context, .. }
            | ItineraryCommand::DeleteItem { context, .. }
            | ItineraryCommand::ReorderItems { context, .. }
            | ItineraryCommand::ChangeStatus { context, .. }
            | ItineraryCommand::InviteCollaborator { context, .. }
            | ItineraryCommand::ShareItinerary { context, .. }
            | ItineraryCommand::AcceptInvitation { context }
            | ItineraryCommand::DeclineInvitation { context }
            | ItineraryCommand::UpdateCollaboratorAccess { context, .. }
            | ItineraryCommand::RemoveCollaborator { context, .. }
            | ItineraryCommand::LeaveItinerary { context }
            | ItineraryCommand::TransferOwnership { context, .. }
            | ItineraryCommand::AddItemComment { context, .. }
            | ItineraryCommand::EditItemComment { context, .. }
            | ItineraryCommand::DeleteItemComment { context, .. }
            | ItineraryCommand::RestoreVersion { context, .. }
            | ItineraryCommand::AddExpense { context, .. }
            | ItineraryCommand::UpdateExpense { context, .. }
            | ItineraryCommand::DeleteExpense { context, .. }
            | ItineraryCommand::SetBudget { context, .. } => context,
        }
    }
}

/// The details of a new itinerary, unvalidated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItineraryDetails {
    pub title: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub visibility: Visibility,
    pub base_currency: String,
}

/// Which itinerary details to change; `None` leaves a detail as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItineraryPatch {
    pub title: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub visibility: Option<Visibility>,
    pub base_currency: Option<String>,
}

/// The details of a new item, unvalidated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItemDetails {
    pub title: String,
    /// Blank counts as no description.
    pub description: Option<String>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub location: Option<LocationInput>,
    pub category: Category,
    pub estimated_cost: Option<MoneyInput>,
}

/// A named place, unvalidated.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationInput {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

/// An amount of money in minor units, unvalidated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyInput {
    pub amount_minor: i64,
    pub currency: String,
}

/// Which item details to change. For `Option<Option<T>>` fields, `None` leaves the detail as
/// it is and `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub location: Option<Option<LocationInput>>,
    pub category: Option<Category>,
    pub estimated_cost: Option<Option<MoneyInput>>,
}

impl ItineraryPatch {
    /// The current details with this patch laid over them, still unvalidated.
    pub(crate) fn merge_into(self, current: NewItineraryDetails) -> NewItineraryDetails {
        NewItineraryDetails {
            title: self.title.unwrap_or(current.title),
            start_date: self.start_date.unwrap_or(current.start_date),
            end_date: self.end_date.unwrap_or(current.end_date),
            visibility: self.visibility.unwrap_or(current.visibility),
            base_currency: self.base_currency.unwrap_or(current.base_currency),
        }
    }
}

impl ItemPatch {
    /// The current details with this patch laid over them, still unvalidated.
    pub(crate) fn merge_into(self, current: NewItemDetails) -> NewItemDetails {
        NewItemDetails {
            title: self.title.unwrap_or(current.title),
            description: self.description.unwrap_or(current.description),
            start_time: self.start_time.unwrap_or(current.start_time),
            end_time: self.end_time.unwrap_or(current.end_time),
            location: self.location.unwrap_or(current.location),
            category: self.category.unwrap_or(current.category),
            estimated_cost: self.estimated_cost.unwrap_or(current.estimated_cost),
        }
    }
}

impl From<ItineraryDetails> for NewItineraryDetails {
    fn from(details: ItineraryDetails) -> Self {
        Self {
            title: details.title,
            start_date: details.start_date,
            end_date: details.end_date,
            visibility: details.visibility,
            base_currency: details.base_currency,
        }
    }
}

impl From<ItemDetails> for NewItemDetails {
    fn from(details: ItemDetails) -> Self {
        Self {
            title: details.title,
            description: details.description,
            start_time: details.start_time,
            end_time: details.end_time,
            location: details.location.map(LocationInput::from),
            category: details.category,
            estimated_cost: details.estimated_cost.map(MoneyInput::from),
        }
    }
}

impl From<wayfarer_schemas::Location> for LocationInput {
    fn from(location: wayfarer_schemas::Location) -> Self {
        Self {
            name: location.name,
            lat: location.lat,
            lon: location.lon,
        }
    }
}

impl From<MoneyAmount> for MoneyInput {
    fn from(amount: MoneyAmount) -> Self {
        Self {
            amount_minor: amount.amount_minor,
            currency: amount.currency,
        }
    }
}
