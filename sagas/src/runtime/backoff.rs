//! The pause before a step's next try: exponential from one second, doubling, at most a
//! minute, with random jitter so that steps failing together do not retry together
//! (backon's exponential backoff). The pause is persisted as the task's next attempt time, so
//! it survives the worker.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// The first pause.
pub const FIRST_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause.
pub const LONGEST_PAUSE: Duration = Duration::from_secs(60);

/// The pause after the `attempts`th failed try of a step (1 for the first failure).
pub fn pause_after(attempts: u32) -> Duration {
    let nth = attempts.saturating_sub(1) as usize;
    ExponentialBuilder::default()
        .with_min_delay(FIRST_PAUSE)
        .with_max_delay(LONGEST_PAUSE)
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(nth + 1)
        .build()
        .nth(nth)
        .unwrap_or(LONGEST_PAUSE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_from_a_second_to_at_most_a_minute_with_jitter() {
        for _ in 0..50 {
            let first = pause_after(1);
            assert!(first >= FIRST_PAUSE && first < FIRST_PAUSE * 2, "{first:?}");
            let third = pause_after(3);
            assert!(
                third >= Duration::from_secs(4) && third < Duration::from_secs(8),
                "{third:?}"
            );
            // Capped (jitter may add up to the capped delay again).
            let late = pause_after(30);
            assert!(
                late >= LONGEST_PAUSE / 2 && late <= LONGEST_PAUSE * 2,
                "{late:?}"
            );
        }
    }

    #[test]
    fn pauses_are_spread_so_failures_do_not_retry_together() {
        let pauses: std::collections::BTreeSet<Duration> =
            (0..20).map(|_| pause_after(4)).collect();
        assert!(pauses.len() > 1, "jittered");
    }
}
