//! What keeps the booking process going across crashes: its persisted tasks (when to look
//! at each booking next, for how long a step may keep trying) and the pauses between tries.

pub mod backoff;
pub mod tasks;
