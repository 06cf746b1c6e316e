//! Splitting one amount among people: equally, by shares, or by exact amounts.

use std::collections::BTreeMap;

use uuid::Uuid;

/// How an expense is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// The same share each (up to the rounding rule).
    Equally(Vec<Uuid>),
    /// In proportion to whole-number shares (2 for a person who had twice as much).
    Shares(BTreeMap<Uuid, u32>),
    /// Exact minor units each; they must add up to the amount.
    Exact(BTreeMap<Uuid, i64>),
}

/// Why a split cannot be applied to an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("an expense is shared among at least one person")]
    NobodyToShare,
    #[error("the amount must not be negative")]
    NegativeAmount,
    #[error("{0} is listed more than once")]
    Duplicate(Uuid),
    #[error("shares must add up to more than zero")]
    ZeroShares,
    #[error("exact amounts must not be negative")]
    NegativeExactAmount,
    #[error("exact amounts add up to {sum}, not to the amount {amount}")]
    ExactSumMismatch { sum: i64, amount: i64 },
}

/// Each person's part of `amount` (minor units) under `split`, by person id.
pub fn split(amount: i64, split: &Split) -> Result<BTreeMap<Uuid, i64>, SplitError> {
    if amount < 0 {
        return Err(SplitError::NegativeAmount);
    }
    match split {
        Split::Equally(people) => {
            let mut shares = BTreeMap::new();
            for person in people {
                if shares.insert(*person, 1u32).is_some() {
                    return Err(SplitError::Duplicate(*person));
                }
            }
            by_shares(amount, &shares)
        }
        Split::Shares(shares) => by_shares(amount, shares),
        Split::Exact(parts) => {
            if parts.is_empty() {
                return Err(SplitError::NobodyToShare);
            }
            if parts.values().any(|part| *part < 0) {
                return Err(SplitError::NegativeExactAmount);
            }
            let sum = parts
                .values()
                .try_fold(0i64, |sum, part| sum.checked_add(*part));
            match sum {
                Some(sum) if sum == amount => Ok(parts.clone()),
                sum => Err(SplitError::ExactSumMismatch {
                    sum: sum.unwrap_or(i64::MAX),
                    amount,
                }),
            }
        }
    }
}

/// Largest-remainder apportionment (see the module's rounding rule), in 128-bit arithmetic so
/// that no amount a `Money` allows can overflow.
fn by_shares(amount: i64, shares: &BTreeMap<Uuid, u32>) -> Result<BTreeMap<Uuid, i64>, SplitError> {
    if shares.is_empty() {
        return Err(SplitError::NobodyToShare);
    }
    let weights: BTreeMap<Uuid, u128> = shares.iter().map(|(p, s)| (*p, u128::from(*s))).collect();
    largest_remainders(amount as u128, &weights).ok_or(SplitError::ZeroShares)
}

/// Shares `total` (minor units, not negative) in proportion to `weights` (not negative, not
/// all zero) by the module's rounding rule: for re-expressing split parts in another
/// currency, so that the converted parts add up exactly to the converted amount. `None` when
/// there is no weight to share by.
pub fn apportion(total: i64, weights: &BTreeMap<Uuid, i64>) -> Option<BTreeMap<Uuid, i64>> {
    if total < 0 || weights.values().any(|w| *w < 0) {
        return None;
    }
    let weights: BTreeMap<Uuid, u128> = weights.iter().map(|(p, w)| (*p, *w as u128)).collect();
    largest_remainders(total as u128, &weights)
}

fn largest_remainders(amount: u128, weights: &BTreeMap<Uuid, u128>) -> Option<BTreeMap<Uuid, i64>> {
    let total: u128 = weights.values().sum();
    if total == 0 {
        return None;
    }
    let mut parts = BTreeMap::new();
    let mut remainders = Vec::with_capacity(weights.len());
    let mut given = 0u128;
    for (person, weight) in weights {
        let exact = amount * weight;
        let floor = exact / total;
        given += floor;
        parts.insert(*person, floor as i64);
        remainders.push((exact % total, *person));
    }
    // Largest fraction first; equal fractions in id order (the map's order, kept by a stable
    // sort).
    remainders.sort_by_key(|(remainder, _)| std::cmp::Reverse(*remainder));
    let leftover = (amount - given) as usize;
    for (_, person) in remainders.into_iter().take(leftover) {
        *parts.get_mut(&person).expect("every person has a part") += 1;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    #[test]
    fn an_equal_split_gives_the_leftover_cents_to_the_first_people_in_id_order() {
        let parts = split(1000, &Split::Equally(vec![id(3), id(1), id(2)])).unwrap();
        assert_eq!(
            parts,
            BTreeMap::from([(id(1), 334), (id(2), 333), (id(3), 333)])
        );
    }

    #[test]
    fn shares_follow_the_largest_remainders() {
        // 1001 in shares 1:2: exact 333.67 and 667.33 → 334 and 667.
        let shares = BTreeMap::from([(id(1), 1), (id(2), 2)]);
        assert_eq!(
            split(1001, &Split::Shares(shares)).unwrap(),
            BTreeMap::from([(id(1), 334), (id(2), 667)])
        );
    }

    #[test]
    fn exact_amounts_must_add_up() {
        let parts = BTreeMap::from([(id(1), 600), (id(2), 300)]);
        assert_eq!(
            split(1000, &Split::Exact(parts.clone())),
            Err(SplitError::ExactSumMismatch {
                sum: 900,
                amount: 1000
            })
        );
        assert_eq!(split(900, &Split::Exact(parts.clone())), Ok(parts));
    }

    #[test]
    fn invalid_splits_are_refused() {
        assert_eq!(
            split(100, &Split::Equally(vec![])),
            Err(SplitError::NobodyToShare)
        );
        assert_eq!(
            split(100, &Split::Equally(vec![id(1), id(1)])),
            Err(SplitError::Duplicate(id(1)))
        );
        assert_eq!(
            split(100, &Split::Shares(BTreeMap::from([(id(1), 0)]))),
            Err(SplitError::ZeroShares)
        );
        assert_eq!(
            split(-1, &Split::Equally(vec![id(1)])),
            Err(SplitError::NegativeAmount)
        );
        assert_eq!(
            split(0, &Split::Exact(BTreeMap::from([(id(1), -5), (id(2), 5)]))),
            Err(SplitError::NegativeExactAmount)
        );
    }

    proptest! {
        #[test]
        fn parts_always_sum_to_the_amount_and_differ_by_at_most_one_unit_when_equal(
            amount in 0i64..=1_000_000_000_000,
            people in 1usize..12,
        ) {
            let ids: Vec<Uuid> = (0..people as u8).map(id).collect();
            let parts = split(amount, &Split::Equally(ids)).unwrap();
            prop_assert_eq!(parts.values().sum::<i64>(), amount);
            let (min, max) = (parts.values().min().unwrap(), parts.values().max().unwrap());
            prop_assert!(max - min <= 1);
        }

        #[test]
        fn shares_sum_to_the_amount_and_stay_within_one_unit_of_the_exact_share(
            amount in 0i64..=1_000_000_000_000,
            shares in proptest::collection::vec(0u32..50, 1..10),
        ) {
            prop_assume!(shares.iter().any(|s| *s > 0));
            let map: BTreeMap<Uuid, u32> =
                shares.iter().enumerate().map(|(n, s)| (id(n as u8), *s)).collect();
            let total: i128 = shares.iter().map(|s| i128::from(*s)).sum();
            let parts = split(amount, &Split::Shares(map.clone())).unwrap();
            prop_assert_eq!(parts.values().sum::<i64>(), amount);
            for (person, share) in map {
                let exact_floor = i128::from(amount) * i128::from(share) / total;
                let part = i128::from(parts[&person]);
                prop_assert!(part == exact_floor || part == exact_floor + 1);
            }
        }
    }
}
