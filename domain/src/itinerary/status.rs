//! Where an itinerary may go from where it stands (the seed's `Itinerary.status`).
//!
//! ```text
//! DRAFT ⇄ PLANNED → ONGOING → COMPLETED
//!   └───────┴──────────┴──→ CANCELLED → DRAFT (reopened)
//! ```

use wayfarer_schemas::ItineraryStatus;

/// Whether an itinerary that is `from` may become `to`.
pub fn may_become(from: ItineraryStatus, to: ItineraryStatus) -> bool {
    use ItineraryStatus::*;
    matches!(
        (from, to),
        (Draft, Planned)
            | (Draft, Cancelled)
            | (Planned, Draft)
            | (Planned, Ongoing)
            | (Planned, Cancelled)
            | (Ongoing, Completed)
            | (Ongoing, Cancelled)
            | (Cancelled, Draft)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ItineraryStatus::*;

    const ALL: [ItineraryStatus; 5] = [Draft, Planned, Ongoing, Completed, Cancelled];

    #[test]
    fn completed_is_final_and_nothing_becomes_itself() {
        for to in ALL {
            assert!(!may_become(Completed, to));
        }
        for status in ALL {
            assert!(!may_become(status, status));
        }
    }

    #[test]
    fn every_status_but_completed_can_be_cancelled_or_reached_again() {
        for from in [Draft, Planned, Ongoing] {
            assert!(may_become(from, Cancelled), "{from:?}");
        }
        assert!(may_become(Cancelled, Draft));
        assert!(
            !may_become(Draft, Ongoing),
            "a trip is planned before it starts"
        );
    }
}
