//! What runs the booking process: its persisted tasks, retry pauses, circuit breakers and the
//! polling worker.

pub mod backoff;
pub mod breaker;
pub mod stall;
pub mod tasks;
pub mod worker;
