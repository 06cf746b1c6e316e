//! The booking saga.

#[cfg(test)]
mod conservation;
pub mod outcome;
pub mod plan;
pub mod process;
pub mod refunds;
pub mod steps;
pub mod wording;
