//! Latency samples and their summaries.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Summary {
    /// Summarises latencies given in microseconds (nearest-rank percentiles).
    pub fn of_micros(mut samples: Vec<u64>) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let count = samples.len();
        let rank = |p: f64| {
            let index = ((p * count as f64).ceil() as usize).clamp(1, count) - 1;
            samples[index] as f64 / 1000.0
        };
        let total: u64 = samples.iter().sum();
        Self {
            count,
            p50_ms: rank(0.50),
            p99_ms: rank(0.99),
            max_ms: samples[count - 1] as f64 / 1000.0,
            mean_ms: total as f64 / count as f64 / 1000.0,
        }
    }

    pub fn to_json(self) -> Value {
        json!({
            "count": self.count,
            "p50_ms": round3(self.p50_ms),
            "p99_ms": round3(self.p99_ms),
            "max_ms": round3(self.max_ms),
            "mean_ms": round3(self.mean_ms),
        })
    }
}

pub fn micros(duration: Duration) -> u64 {
    duration.as_micros().min(u128::from(u64::MAX)) as u64
}

pub fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// What one load-generating task counted.
#[derive(Debug)]
pub struct Tally {
    pub latencies: Vec<u64>,
    pub ok: u64,
    pub errors: u64,
    pub error_samples: ErrorSamples,
    pub last_done: Instant,
}

impl Tally {
    pub fn new(start: Instant) -> Self {
        Self {
            latencies: Vec::new(),
            ok: 0,
            errors: 0,
            error_samples: ErrorSamples::default(),
            last_done: start,
        }
    }

    /// Waits for every task and adds up what they counted.
    pub async fn join(
        start: Instant,
        tasks: Vec<tokio::task::JoinHandle<Tally>>,
    ) -> Result<Tally, tokio::task::JoinError> {
        let mut total = Tally::new(start);
        for task in tasks {
            total.merge(task.await?);
        }
        Ok(total)
    }

    /// Counts one finished operation if it started inside the measured window (after
    /// `warm_end`); returns whether it failed, so a caller can back off.
    pub fn record<T, E: std::fmt::Display>(
        &mut self,
        warm_end: Instant,
        started: Instant,
        outcome: &Result<T, E>,
    ) -> bool {
        let done = Instant::now();
        if started >= warm_end {
            self.last_done = self.last_done.max(done);
            match outcome {
                Ok(_) => {
                    self.ok += 1;
                    self.latencies.push(micros(done - started));
                }
                Err(error) => {
                    self.errors += 1;
                    self.error_samples.add(&error.to_string());
                }
            }
        }
        outcome.is_err()
    }

    /// Adds another task's counts to these.
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        self.errors += other.errors;
        self.error_samples.merge(&other.error_samples);
        self.last_done = self.last_done.max(other.last_done);
    }
}

/// Keeps the first few distinct error messages, shortened.
#[derive(Debug, Default, Clone)]
pub struct ErrorSamples(pub Vec<String>);

impl ErrorSamples {
    const KEEP: usize = 3;

    pub fn add(&mut self, message: &str) {
        let short: String = message.chars().take(300).collect();
        if self.0.len() < Self::KEEP && !self.0.contains(&short) {
            self.0.push(short);
        }
    }

    pub fn merge(&mut self, other: &ErrorSamples) {
        for message in &other.0 {
            self.add(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let summary = Summary::of_micros((1..=100).map(|ms| ms * 1000).collect());
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50_ms, 50.0);
        assert_eq!(summary.p99_ms, 99.0);
        assert_eq!(summary.max_ms, 100.0);
        assert_eq!(Summary::of_micros(vec![7000]).p99_ms, 7.0);
        assert_eq!(Summary::of_micros(Vec::new()).count, 0);
    }
}
