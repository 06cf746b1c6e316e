//! The booking and payment process managers (sagas): they take a booking from request to
//! confirmation across the supplier, the wallet and the itinerary, and undo what was done
//! when a step fails. What to do next is decided from the booking's recorded state alone
//! ([`booking::plan`]), so a process that restarts after a crash picks up where the log
//! says it stands.

pub mod booking;
pub mod runtime;
pub mod wakes;
