//! Where exchange rates come from (the seed's CurrencyService): the ECB's reference rates,
//! either the table shipped with the project or the ECB's feed read from a URL in the same
//! XML format. The arithmetic is `wayfarer_domain::expenses::rates`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wayfarer_domain::expenses::rates::{self, RateTable};

use crate::error::{ApiError, ApiResult};

/// A table of reference rates.
#[async_trait::async_trait]
pub trait ExchangeRates: Send + Sync {
    async fn table(&self) -> ApiResult<Arc<RateTable>>;
    /// Where the rates come from, for people to read.
    fn source(&self) -> String;
}

/// The table shipped in the repository (`domain/data/eurofxref-hist.xml`).
pub struct ShippedRates(Arc<RateTable>);

impl ShippedRates {
    pub fn new() -> Self {
        Self(Arc::new(rates::shipped()))
    }
}

impl Default for ShippedRates {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl ExchangeRates for ShippedRates {
    async fn table(&self) -> ApiResult<Arc<RateTable>> {
        Ok(self.0.clone())
    }

    fn source(&self) -> String {
        "European Central Bank euro reference rates (table shipped with Wayfarer)".to_owned()
    }
}

/// How long a table read from the feed serves before it is read again (the ECB publishes
/// once a business day, around 16:00 CET).
const FEED_FRESH_FOR: Duration = Duration::from_secs(6 * 3600);
/// The longest a read of the feed may take.
const FEED_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed read, how long callers get the last table (or `UNAVAILABLE`) at once
/// rather than each waiting for another attempt.
const RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Default)]
struct FeedState {
    table: Option<(Instant, Arc<RateTable>)>,
    failed_at: Option<Instant>,
}

/// The ECB's feed (`eurofxref-hist-90d.xml`, say) at a URL, cached. When the feed cannot be
/// read, the last table read keeps serving; with none yet, rates are `UNAVAILABLE`. A failed
/// read is not tried again for a minute, so an outage costs callers no waiting.
pub struct EcbFeedRates {
    url: String,
    client: reqwest::Client,
    state: tokio::sync::Mutex<FeedState>,
}

impl EcbFeedRates {
    pub fn new(url: String) -> Result<Self, reqwest::Error> {
        Ok(Self {
            url,
            client: reqwest::Client::builder().timeout(FEED_TIMEOUT).build()?,
            state: tokio::sync::Mutex::new(FeedState::default()),
        })
    }

    async fn fetch(&self) -> Result<RateTable, String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let text = response.text().await.map_err(|e| e.to_string())?;
        RateTable::from_ecb_xml(&text).map_err(|e| e.to_string())
    }
}

#[async_trait::async_trait]
impl ExchangeRates for EcbFeedRates {
    async fn table(&self) -> ApiResult<Arc<RateTable>> {
        // One reader refreshes at a time; the others wait for its table.
        let mut state = self.state.lock().await;
        let stale = state.table.as_ref().map(|(_, table)| table.clone());
        if let Some((read_at, table)) = &state.table {
            if read_at.elapsed() < FEED_FRESH_FOR {
                return Ok(table.clone());
            }
        }
        let unavailable = |reason: &str| {
            ApiError::Unavailable(format!("exchange rates cannot be read: {reason}"))
        };
        if state.failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER) {
            return stale.ok_or_else(|| unavailable("the feed failed moments ago"));
        }
        match self.fetch().await {
            Ok(table) => {
                let table = Arc::new(table);
                state.table = Some((Instant::now(), table.clone()));
                state.failed_at = None;
                Ok(table)
            }
            Err(reason) => {
                state.failed_at = Some(Instant::now());
                match stale {
                    Some(stale) => {
                        tracing::warn!(url = %self.url, %reason, "exchange-rate feed unreadable; serving the last table");
                        Ok(stale)
                    }
                    None => Err(unavailable(&reason)),
                }
            }
        }
    }

    fn source(&self) -> String {
        format!("European Central Bank euro reference rates ({})", self.url)
    }
}
