//! Comparing offers across suppliers (`searchFlights`, `searchHotels`, `searchActivities`):
//! every supplier is asked at once, each within its own timeout, so a slow or failing one
//! never holds up the answer; what it did not answer is marked, and the answer is partial.
//! Offers are ordered cheapest first by their price converted into one currency at today's
//! reference rate (each offer keeps its own price and currency).

use std::future::Future;

use chrono::NaiveDate;
use wayfarer_domain::expenses::rates::RateTable;
use wayfarer_suppliers::api::Money;
use wayfarer_suppliers::client::ClientError;

use crate::error::ApiError;

/// How one supplier answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupplierOutcome {
    Answered,
    /// No answer within the supplier's timeout.
    TimedOut,
    /// Unreachable, in an outage, or failing inside.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierAnswer {
    pub supplier: String,
    pub outcome: SupplierOutcome,
    pub offers: usize,
}

/// An offer with its price in the comparison currency (`None` when the rate table cannot
/// convert it: such offers come last).
#[derive(Debug, Clone)]
pub struct Compared<T> {
    pub offer: T,
    pub comparable_minor: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Comparison<T> {
    pub offers: Vec<Compared<T>>,
    pub suppliers: Vec<SupplierAnswer>,
    /// Some supplier did not answer.
    pub partial: bool,
}

/// Asks every supplier with `search` at once and compares the offers by `price` in
/// `currency` on `day`. A supplier refusing the search itself (an unknown airport, a bad
/// date: [`SEARCH_REFUSALS`]) refuses it for all of them: the first such refusal is the
/// answer. Any other refusal (a supplier that does not know its own name, an endpoint it
/// lacks) is that supplier failing: it is left out like one that does not answer.
pub async fn compare<T, F, Fut>(
    suppliers: &[String],
    search: F,
    price: impl Fn(&T) -> &Money,
    rates: &RateTable,
    currency: &str,
    day: NaiveDate,
) -> Result<Comparison<T>, ApiError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ClientError>>,
{
    let answers =
        futures::future::join_all(suppliers.iter().map(|supplier| search(supplier.clone()))).await;
    let mut offers = Vec::new();
    let mut report = Vec::new();
    for (supplier, answer) in suppliers.iter().zip(answers) {
        let (outcome, count) = match answer {
            Ok(found) => {
                let count = found.len();
                offers.extend(found);
                (SupplierOutcome::Answered, count)
            }
            Err(ClientError::Rejected { code, message, .. })
                if SEARCH_REFUSALS.contains(&code.as_str()) =>
            {
                return Err(refusal(&code, message));
            }
            Err(ClientError::Timeout { .. }) => (SupplierOutcome::TimedOut, 0),
            Err(error) => {
                tracing::warn!(%supplier, %error, "a supplier did not answer a search");
                (SupplierOutcome::Unavailable, 0)
            }
        };
        report.push(SupplierAnswer {
            supplier: supplier.clone(),
            outcome,
            offers: count,
        });
    }
    let mut compared: Vec<Compared<T>> = offers
        .into_iter()
        .map(|offer| {
            let money = price(&offer);
            let comparable_minor = rates
                .convert(money.amount_minor, money.currency.as_str(), currency, day)
                .ok()
                .map(|(amount, _)| amount);
            Compared {
                offer,
                comparable_minor,
            }
        })
        .collect();
    // Cheapest first; unconvertible last; ties keep the suppliers' order.
    compared.sort_by_key(|c| c.comparable_minor.unwrap_or(i64::MAX));
    let partial = report
        .iter()
        .any(|answer| answer.outcome != SupplierOutcome::Answered);
    Ok(Comparison {
        offers: compared,
        suppliers: report,
        partial,
    })
}

/// The codes with which a supplier refuses the search itself (the same for every supplier).
pub const SEARCH_REFUSALS: &[&str] = &[
    "UNKNOWN_AIRPORT",
    "UNKNOWN_CITY",
    "INVALID_DATE",
    "INVALID_REQUEST",
];

/// A supplier's refusal of the search, as the API's error.
fn refusal(code: &str, message: String) -> ApiError {
    match code {
        "UNKNOWN_AIRPORT" | "UNKNOWN_CITY" => ApiError::NotFound(message),
        _ => ApiError::Validation(message),
    }
}
