//! The booking saga.

pub mod plan;
pub mod refunds;
pub mod wording;
