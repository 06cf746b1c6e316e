//! The booking saga.

pub mod outcome;
pub mod plan;
pub mod refunds;
pub mod wording;
