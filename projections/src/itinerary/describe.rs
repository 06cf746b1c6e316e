//! A readable sentence for each change, for the history, the live change feed and
//! notifications. Pure: the view before the change gives the names of what it touched.

use wayfarer_schemas::ItineraryEvent;

use super::view::ItineraryView;

/// What one event did, in words, and whom it concerned (an invitee, a collaborator, a new
/// owner), so a reader can show that person's name beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub description: String,
    pub subject_user_id: Option<uuid::Uuid>,
}

impl Described {
    fn text(description: String) -> Self {
        Self {
            description,
            subject_user_id: None,
        }
    }

    fn about(description: &str, user: uuid::Uuid) -> Self {
        Self {
            description: description.to_owned(),
            subject_user_id: Some(user),
        }
    }
}

/// Describes `event` as applied to `before` (the view just before it; `None` for the creation).
pub fn describe(before: Option<&ItineraryView>, event: &ItineraryEvent) -> Described {
    let item_title = |id: &uuid::Uuid| {
        before
            .and_then(|view| view.items.iter().find(|item| item.id == *id))
            .map(|item| format!("“{}”", item.title))
            .unwrap_or_else(|| "an item".to_owned())
    };
    use ItineraryEvent as E;
    match event {
        E::ItineraryCreated { details, .. } => {
            Described::text(format!("created the itinerary “{}”", details.title))
        }
        E::ItineraryUpdated { details, .. } => {
            let mut changed = Vec::new();
            if let Some(view) = before {
                if view.title != details.title {
                    changed.push(format!("renamed it “{}”", details.title));
                }
                if (view.start_date, view.end_date) != (details.start_date, details.end_date) {
                    changed.push(format!(
                        "moved the dates to {} – {}",
                        details.start_date, details.end_date
                    ));
                }
                if view.visibility != details.visibility {
                    changed.push(format!(
                        "made it {}",
                        details.visibility.as_str().to_lowercase()
                    ));
                }
                if view.base_currency != details.base_currency {
                    changed.push(format!("set the currency to {}", details.base_currency));
                }
            }
            if changed.is_empty() {
                changed.push("changed the details".to_owned());
            }
            Described::text(changed.join(", "))
        }
        E::ItineraryDeleted { .. } => Described::text("deleted the itinerary".to_owned()),
        E::ItineraryItemAdded { details, .. } => {
            Described::text(format!("added “{}”", details.title))
        }
        E::ItineraryItemUpdated {
            item_id, details, ..
        } => {
            let old = item_title(item_id);
            let new = format!("“{}”", details.title);
            Described::text(if old == new {
                format!("changed {old}")
            } else {
                format!("changed {old} (now {new})")
            })
        }
        E::ItineraryItemDeleted { item_id, .. } => {
            Described::text(format!("removed {}", item_title(item_id)))
        }
        E::ItineraryItemsReordered { .. } => Described::text("reordered the items".to_owned()),
        E::ItineraryStatusChanged { status, .. } => {
            Described::text(format!("marked it {}", status.as_str().to_lowercase()))
        }
        E::CollaboratorInvited {
            user_id,
            access_level,
            ..
        } => Described::about(
            &format!(
                "invited a collaborator with {} access",
                access_level.as_str()
            ),
            *user_id,
        ),
        E::InvitationAccepted { user_id, .. } => {
            Described::about("accepted the invitation", *user_id)
        }
        E::InvitationDeclined { user_id, .. } => {
            Described::about("declined the invitation", *user_id)
        }
        E::CollaboratorAccessUpdated {
            user_id,
            access_level,
            ..
        } => Described::about(
            &format!("gave a collaborator {} access", access_level.as_str()),
            *user_id,
        ),
        E::CollaboratorRemoved { user_id, .. } => {
            Described::about("removed a collaborator", *user_id)
        }
        E::CollaboratorLeft { user_id, .. } => Described::about("left the itinerary", *user_id),
        E::OwnershipTransferred { new_owner_id, .. } => {
            Described::about("handed ownership to a collaborator", *new_owner_id)
        }
        E::ItemCommentAdded {
            item_id,
            parent_comment_id,
            ..
        } => Described::text(match parent_comment_id {
            Some(_) => format!("replied to a comment on {}", item_title(item_id)),
            None => format!("commented on {}", item_title(item_id)),
        }),
        E::ItemCommentEdited { .. } => Described::text("edited a comment".to_owned()),
        E::ItemCommentDeleted { .. } => Described::text("deleted a comment".to_owned()),
        E::ItineraryVersionRestored { version, .. } => {
            Described::text(format!("restored version {version}"))
        }
        E::ExpenseAdded {
            item_id, details, ..
        } => Described::text(format!(
            "added an expense of {} on {}",
            details.amount.display(),
            item_title(item_id)
        )),
        E::ExpenseUpdated { details, .. } => Described::text(format!(
            "changed an expense (now {})",
            details.amount.display()
        )),
        E::ExpenseDeleted { .. } => Described::text("deleted an expense".to_owned()),
        E::BudgetSet {
            category, amount, ..
        } => Described::text(match amount {
            Some(amount) => format!(
                "set the {} budget to {}",
                category.as_str().to_lowercase(),
                amount.display()
            ),
            None => format!("cleared the {} budget", category.as_str().to_lowercase()),
        }),
    }
}
