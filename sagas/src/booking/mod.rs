//! The booking saga.

pub mod outcome;
pub mod plan;
pub mod process;
pub mod refunds;
pub mod steps;
pub mod wording;
