//! Balances and settling up: who owes whom, in the fewest transfers.

use std::collections::BTreeMap;

use uuid::Uuid;

/// What one person paid and was given (their parts of the expenses), in one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    pub paid: i64,
    pub owed: i64,
}

impl Balance {
    /// Positive: the others owe them; negative: they owe the others.
    pub fn net(&self) -> i64 {
        self.paid - self.owed
    }
}

/// One payment that settles (part of) a debt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub from: Uuid,
    pub to: Uuid,
    pub amount: i64,
}

/// Everyone's balance from expenses given as `(payer, amount, parts)`, where the parts are the
/// expense's split (they sum to the amount, so the nets always sum to zero).
pub fn balances<'a>(
    expenses: impl IntoIterator<Item = (Uuid, i64, &'a BTreeMap<Uuid, i64>)>,
) -> BTreeMap<Uuid, Balance> {
    let mut balances: BTreeMap<Uuid, Balance> = BTreeMap::new();
    for (payer, amount, parts) in expenses {
        balances.entry(payer).or_default().paid += amount;
        for (person, part) in parts {
            balances.entry(*person).or_default().owed += part;
        }
    }
    balances
}

/// Up to this many people with a balance, the plan is the fewest transfers possible (an exact
/// search over groups); beyond it, at most one transfer fewer than there are such people.
pub const EXACT_UP_TO: usize = 15;

/// The transfers that bring every net balance to zero (the nets must sum to zero).
///
/// The fewest transfers settle the largest number of groups of people whose balances sum to
/// zero on their own: a group of k people needs k − 1 transfers, so n people in g groups need
/// n − g. The groups are found exactly for up to [`EXACT_UP_TO`] people; within a group, the
/// largest debtor pays the largest creditor until all are even (ties in id order).
pub fn settle_up(nets: &BTreeMap<Uuid, i64>) -> Vec<Transfer> {
    let people: Vec<(Uuid, i64)> = nets
        .iter()
        .filter(|(_, net)| **net != 0)
        .map(|(person, net)| (*person, *net))
        .collect();
    debug_assert_eq!(people.iter().map(|(_, n)| i128::from(*n)).sum::<i128>(), 0);
    let groups = if people.len() <= EXACT_UP_TO {
        zero_sum_groups(&people)
    } else {
        vec![people]
    };
    groups.into_iter().flat_map(settle_group).collect()
}

/// The largest number of disjoint groups whose balances each sum to zero.
fn zero_sum_groups(people: &[(Uuid, i64)]) -> Vec<Vec<(Uuid, i64)>> {
    let n = people.len();
    if n == 0 {
        return Vec::new();
    }
    let full = (1usize << n) - 1;
    let mut sum = vec![0i128; full + 1];
    let mut best = vec![0u32; full + 1];
    let mut last = vec![0usize; full + 1];
    for mask in 1..=full {
        let low = mask.trailing_zeros() as usize;
        sum[mask] = sum[mask & (mask - 1)] + i128::from(people[low].1);
        // The best order of adding these people, ending with `i`: one more group whenever the
        // people added so far sum to zero.
        let (mut top, mut chosen) = (0u32, low);
        for i in 0..n {
            if mask & (1 << i) != 0 && best[mask ^ (1 << i)] > top {
                top = best[mask ^ (1 << i)];
                chosen = i;
            }
        }
        best[mask] = top + u32::from(sum[mask] == 0);
        last[mask] = chosen;
    }
    // Walk the best order back, then cut it wherever the running sum is zero.
    let mut order = Vec::with_capacity(n);
    let mut mask = full;
    while mask != 0 {
        order.push(last[mask]);
        mask ^= 1 << last[mask];
    }
    order.reverse();
    let mut groups = Vec::new();
    let mut group = Vec::new();
    let mut running = 0i128;
    for i in order {
        group.push(people[i]);
        running += i128::from(people[i].1);
        if running == 0 {
            groups.push(std::mem::take(&mut group));
        }
    }
    groups
}

/// Settles one zero-sum group: the largest debtor pays the largest creditor, repeatedly.
fn settle_group(mut group: Vec<(Uuid, i64)>) -> Vec<Transfer> {
    let mut transfers = Vec::new();
    loop {
        // Largest amounts first; equal amounts in id order.
        group.sort_by(|a, b| b.1.abs().cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        let creditor = group.iter().position(|(_, net)| *net > 0);
        let debtor = group.iter().position(|(_, net)| *net < 0);
        let (Some(c), Some(d)) = (creditor, debtor) else {
            return transfers;
        };
        let amount = group[c].1.min(-group[d].1);
        transfers.push(Transfer {
            from: group[d].0,
            to: group[c].0,
            amount,
        });
        group[c].1 -= amount;
        group[d].1 += amount;
        group.retain(|(_, net)| *net != 0);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::expenses::{split, Split};

    fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    fn apply(nets: &BTreeMap<Uuid, i64>, transfers: &[Transfer]) -> BTreeMap<Uuid, i64> {
        let mut after = nets.clone();
        for t in transfers {
            *after.get_mut(&t.from).unwrap() += t.amount;
            *after.get_mut(&t.to).unwrap() -= t.amount;
        }
        after
    }

    /// The most zero-sum groups, by trying every group that holds the first person.
    fn most_groups(people: &[i64]) -> usize {
        let Some((first, rest)) = people.split_first() else {
            return 0;
        };
        let mut best = 0;
        for mask in 0..(1usize << rest.len()) {
            let chosen: i64 = (0..rest.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| rest[i])
                .sum();
            if first + chosen == 0 {
                let others: Vec<i64> = (0..rest.len())
                    .filter(|i| mask & (1 << i) == 0)
                    .map(|i| rest[i])
                    .collect();
                best = best.max(1 + most_groups(&others));
            }
        }
        best
    }

    #[test]
    fn groups_that_settle_among_themselves_save_transfers_a_greedy_plan_would_not() {
        // Largest debtor to largest creditor would take five transfers here; {+3, −3} and
        // {+6, +4, −8, −2} settle apart in one and three.
        let nets = BTreeMap::from([
            (id(1), -8),
            (id(2), 6),
            (id(3), -2),
            (id(4), 3),
            (id(5), 4),
            (id(6), -3),
        ]);
        let plan = settle_up(&nets);
        assert_eq!(plan.len(), 4, "{plan:?}");
        assert!(apply(&nets, &plan).values().all(|n| *n == 0));
        assert_eq!(
            settle_group(nets.iter().map(|(p, n)| (*p, *n)).collect()).len(),
            5
        );
    }

    #[test]
    fn balances_come_from_who_paid_and_who_shared() {
        let dinner = split(9000, &Split::Equally(vec![id(1), id(2), id(3)])).unwrap();
        let taxi = split(3000, &Split::Equally(vec![id(2), id(3)])).unwrap();
        let balances = balances([(id(1), 9000, &dinner), (id(2), 3000, &taxi)]);
        let nets: BTreeMap<Uuid, i64> = balances.iter().map(|(p, b)| (*p, b.net())).collect();
        assert_eq!(
            nets,
            BTreeMap::from([(id(1), 6000), (id(2), -1500), (id(3), -4500)])
        );
        let plan = settle_up(&nets);
        assert_eq!(plan.len(), 2);
        assert!(apply(&nets, &plan).values().all(|n| *n == 0));
    }

    proptest! {
        #[test]
        fn balances_sum_to_zero_and_the_plan_settles_everything_in_the_fewest_transfers(
            expenses in proptest::collection::vec(
                (0u8..7, 0i64..1_000_000, proptest::collection::btree_set(0u8..7, 1..7)),
                1..12,
            ),
        ) {
            let parts: Vec<(Uuid, i64, BTreeMap<Uuid, i64>)> = expenses
                .iter()
                .map(|(payer, amount, sharers)| {
                    let ids = sharers.iter().map(|n| id(*n)).collect();
                    (id(*payer), *amount, split(*amount, &Split::Equally(ids)).unwrap())
                })
                .collect();
            let balances = balances(parts.iter().map(|(p, a, s)| (*p, *a, s)));
            let nets: BTreeMap<Uuid, i64> =
                balances.iter().map(|(p, b)| (*p, b.net())).collect();
            prop_assert_eq!(nets.values().sum::<i64>(), 0);
            let plan = settle_up(&nets);
            prop_assert!(apply(&nets, &plan).values().all(|n| *n == 0));
            prop_assert!(plan.iter().all(|t| t.amount > 0 && t.from != t.to));
            let owing: Vec<i64> = nets.values().copied().filter(|n| *n != 0).collect();
            prop_assert_eq!(plan.len(), owing.len() - most_groups(&owing));
        }
    }
}
