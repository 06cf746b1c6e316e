//! Money shared among travellers, exactly: how an expense is split, what each person's
//! balance is, and the fewest transfers that settle everyone up. Integer minor units only;
//! nothing here uses floating point.
//!
//! **Rounding rule.** A split gives each person the floor of their exact share. The minor units
//! left over (fewer than the number of people) go one each to the people whose exact shares
//! had the largest fractional parts; between equal fractions, to the person who comes first in
//! id order. The result always sums to the amount and does not depend on the order the people
//! were listed in.

pub mod rates;
mod settle;
mod split;
pub mod summary;

pub use settle::{balances, settle_up, Balance, Transfer};
pub use split::{apportion, split, Split, SplitError};
