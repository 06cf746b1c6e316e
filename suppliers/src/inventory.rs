//! What is left to sell: seats, room nights and activity places, per supplier.
//!
//! Capacities are not stored: the catalogue derives each from the seed (so an untouched
//! flight needs no memory), and this module records only what live reservations have
//! taken. A reservation takes all of its units at once or none (a three-night stay needs
//! all three nights), and gives them back when its hold lapses or it is cancelled.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::api::RoomType;

/// One countable thing a supplier sells.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InventoryUnit {
    FlightSeats {
        supplier: String,
        origin: String,
        destination: String,
        date: NaiveDate,
        slot: u8,
    },
    HotelRoomNight {
        supplier: String,
        hotel_id: String,
        room_type: RoomType,
        night: NaiveDate,
    },
    ActivityPlaces {
        supplier: String,
        activity_id: String,
        date: NaiveDate,
        slot: u8,
    },
}

/// `quantity` of a unit whose total is `capacity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub unit: InventoryUnit,
    pub quantity: u32,
    pub capacity: u32,
}

/// Not enough of some unit is left. Nothing was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not enough inventory left")]
pub struct SoldOut;

#[derive(Debug, Default)]
pub struct Inventory {
    taken: HashMap<InventoryUnit, u32>,
}

impl Inventory {
    pub fn available(&self, unit: &InventoryUnit, capacity: u32) -> u32 {
        capacity.saturating_sub(self.taken.get(unit).copied().unwrap_or(0))
    }

    /// Takes every claim, or none if any cannot be met.
    pub fn take(&mut self, claims: &[Claim]) -> Result<(), SoldOut> {
        // Claims on the same unit (never made today) would each have to fit on their own.
        debug_assert!(claims
            .iter()
            .enumerate()
            .all(|(at, claim)| claims[..at].iter().all(|other| other.unit != claim.unit)));
        if claims
            .iter()
            .any(|claim| self.available(&claim.unit, claim.capacity) < claim.quantity)
        {
            return Err(SoldOut);
        }
        for claim in claims {
            *self.taken.entry(claim.unit.clone()).or_insert(0) += claim.quantity;
        }
        Ok(())
    }

    /// Gives back what [`Inventory::take`] took for these claims.
    pub fn give_back(&mut self, claims: &[Claim]) {
        for claim in claims {
            if let Some(taken) = self.taken.get_mut(&claim.unit) {
                *taken = taken.saturating_sub(claim.quantity);
                if *taken == 0 {
                    self.taken.remove(&claim.unit);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night(day: u32, quantity: u32, capacity: u32) -> Claim {
        Claim {
            unit: InventoryUnit::HotelRoomNight {
                supplier: "skyhop".into(),
                hotel_id: "2643743-1".into(),
                room_type: RoomType::Suite,
                night: NaiveDate::from_ymd_opt(2026, 12, day).unwrap(),
            },
            quantity,
            capacity,
        }
    }

    #[test]
    fn taking_reduces_what_is_available_until_sold_out() {
        let mut inventory = Inventory::default();
        let claim = night(10, 1, 2);
        inventory.take(std::slice::from_ref(&claim)).unwrap();
        assert_eq!(inventory.available(&claim.unit, 2), 1);
        inventory.take(std::slice::from_ref(&claim)).unwrap();
        assert_eq!(inventory.take(std::slice::from_ref(&claim)), Err(SoldOut));
        assert_eq!(inventory.available(&claim.unit, 2), 0);
    }

    #[test]
    fn a_claim_on_several_units_takes_all_or_nothing() {
        let mut inventory = Inventory::default();
        inventory.take(&[night(11, 1, 1)]).unwrap();
        let stay = [night(10, 1, 1), night(11, 1, 1), night(12, 1, 1)];
        assert_eq!(inventory.take(&stay), Err(SoldOut));
        assert_eq!(
            inventory.available(&stay[0].unit, 1),
            1,
            "night 10 untouched"
        );
        assert_eq!(
            inventory.available(&stay[2].unit, 1),
            1,
            "night 12 untouched"
        );
    }

    #[test]
    fn giving_back_makes_units_available_again() {
        let mut inventory = Inventory::default();
        let stay = [night(10, 1, 1), night(11, 1, 1)];
        inventory.take(&stay).unwrap();
        inventory.give_back(&stay);
        assert_eq!(inventory.available(&stay[0].unit, 1), 1);
        inventory.take(&stay).expect("available again");
    }
}
