/// What a successful command wrote: the store position of its last event (for
/// read-your-writes) and the aggregate version after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandOutcome {
    pub position: i64,
    pub version: u64,
    /// True when an idempotency key matched an earlier identical request: nothing new was
    /// stored and this is that request's outcome.
    pub replayed: bool,
}
