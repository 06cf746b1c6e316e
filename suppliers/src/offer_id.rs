//! Offer ids that describe themselves, so reserving needs no stored search results.
//!
//! An offer id carries everything needed to re-derive the product and its price: the
//! supplier, the kind, the product (route and slot, hotel and room, activity and session),
//! the party size and the day it was quoted. A search can therefore be answered by any
//! simulator instance, even one restarted in between, and the same search on the same day
//! gives the same ids.
//!
//! Format: dot-separated fields and a check value, e.g.
//! `fl.aerolux.LHR.JFK.20261210.1.2.20261130.3f9c0a1b2c4d`:
//!
//! | kind | fields after the supplier |
//! | --- | --- |
//! | `fl` | origin, destination, date, slot, travellers, quoted-on |
//! | `ht` | hotel id, room type, check-in, check-out, guests, quoted-on |
//! | `ac` | activity id, date, slot, participants, quoted-on |
//!
//! The check value (48 bits of SHA-256 over a fixed label and the fields) catches altered
//! or mistyped ids; it is tamper evidence, not security. Only canonical ids decode: an id
//! must re-encode to exactly itself.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::api::RoomType;
use crate::hashing::to_hex;

const CHECK_LABEL: &[u8] = b"wayfarer-suppliers offer id v1\n";
const DATE_FORMAT: &str = "%Y%m%d";

/// The product and party an offer sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferProduct {
    Flight {
        origin: String,
        destination: String,
        date: NaiveDate,
        slot: u8,
        travellers: u8,
    },
    Hotel {
        hotel_id: String,
        room_type: RoomType,
        check_in: NaiveDate,
        check_out: NaiveDate,
        guests: u8,
    },
    Activity {
        activity_id: String,
        date: NaiveDate,
        slot: u8,
        participants: u8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferId {
    pub supplier: String,
    pub product: OfferProduct,
    /// The UTC day the price was quoted; reserving prices as of that day.
    pub quoted_on: NaiveDate,
}

/// Not an id this simulator issued: malformed, altered or non-canonical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid offer id")]
pub struct InvalidOfferId;

impl OfferId {
    pub fn encode(&self) -> String {
        let body = self.body();
        format!("{body}.{}", check_value(&body))
    }

    pub fn decode(text: &str) -> Result<Self, InvalidOfferId> {
        let (body, check) = text.rsplit_once('.').ok_or(InvalidOfferId)?;
        if check != check_value(body) {
            return Err(InvalidOfferId);
        }
        let fields: Vec<&str> = body.split('.').collect();
        let decoded = Self::from_fields(&fields).ok_or(InvalidOfferId)?;
        if decoded.encode() != text {
            return Err(InvalidOfferId);
        }
        Ok(decoded)
    }

    fn body(&self) -> String {
        let date = |day: &NaiveDate| day.format(DATE_FORMAT).to_string();
        let product = match &self.product {
            OfferProduct::Flight {
                origin,
                destination,
                date: day,
                slot,
                travellers,
            } => format!(
                "fl.{}.{origin}.{destination}.{}.{slot}.{travellers}",
                self.supplier,
                date(day)
            ),
            OfferProduct::Hotel {
                hotel_id,
                room_type,
                check_in,
                check_out,
                guests,
            } => format!(
                "ht.{}.{hotel_id}.{}.{}.{}.{guests}",
                self.supplier,
                room_type.as_str(),
                date(check_in),
                date(check_out)
            ),
            OfferProduct::Activity {
                activity_id,
                date: day,
                slot,
                participants,
            } => format!(
                "ac.{}.{activity_id}.{}.{slot}.{participants}",
                self.supplier,
                date(day)
            ),
        };
        format!("{product}.{}", date(&self.quoted_on))
    }

    fn from_fields(fields: &[&str]) -> Option<Self> {
        let date = |text: &str| NaiveDate::parse_from_str(text, DATE_FORMAT).ok();
        let (quoted_on, fields) = fields.split_last()?;
        let product = match fields {
            ["fl", _, origin, destination, day, slot, travellers] => OfferProduct::Flight {
                origin: (*origin).to_owned(),
                destination: (*destination).to_owned(),
                date: date(day)?,
                slot: slot.parse().ok()?,
                travellers: travellers.parse().ok()?,
            },
            ["ht", _, hotel_id, room_type, check_in, check_out, guests] => OfferProduct::Hotel {
                hotel_id: (*hotel_id).to_owned(),
                room_type: RoomType::parse(room_type)?,
                check_in: date(check_in)?,
                check_out: date(check_out)?,
                guests: guests.parse().ok()?,
            },
            ["ac", _, activity_id, day, slot, participants] => OfferProduct::Activity {
                activity_id: (*activity_id).to_owned(),
                date: date(day)?,
                slot: slot.parse().ok()?,
                participants: participants.parse().ok()?,
            },
            _ => return None,
        };
        Some(Self {
            supplier: (*fields.get(1)?).to_owned(),
            product,
            quoted_on: date(quoted_on)?,
        })
    }
}

fn check_value(body: &str) -> String {
    let digest = Sha256::new()
        .chain_update(CHECK_LABEL)
        .chain_update(body.as_bytes())
        .finalize();
    to_hex(&digest[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn flight_offer() -> OfferId {
        OfferId {
            supplier: "aerolux".into(),
            product: OfferProduct::Flight {
                origin: "LHR".into(),
                destination: "JFK".into(),
                date: day(2026, 12, 10),
                slot: 1,
                travellers: 2,
            },
            quoted_on: day(2026, 11, 30),
        }
    }

    #[test]
    fn every_kind_of_offer_id_round_trips() {
        let hotel = OfferId {
            supplier: "skyhop".into(),
            product: OfferProduct::Hotel {
                hotel_id: "2643743-3".into(),
                room_type: RoomType::Deluxe,
                check_in: day(2026, 12, 10),
                check_out: day(2026, 12, 13),
                guests: 2,
            },
            quoted_on: day(2026, 11, 30),
        };
        let activity = OfferId {
            supplier: "farefox".into(),
            product: OfferProduct::Activity {
                activity_id: "1850147-2".into(),
                date: day(2026, 12, 11),
                slot: 2,
                participants: 4,
            },
            quoted_on: day(2026, 11, 30),
        };
        for offer in [flight_offer(), hotel, activity] {
            let text = offer.encode();
            assert_eq!(OfferId::decode(&text), Ok(offer), "{text}");
        }
    }

    #[test]
    fn an_offer_id_is_readable_and_deterministic() {
        let text = flight_offer().encode();
        assert!(
            text.starts_with("fl.aerolux.LHR.JFK.20261210.1.2.20261130."),
            "{text}"
        );
        assert_eq!(text, flight_offer().encode());
    }

    #[test]
    fn an_altered_offer_id_is_refused() {
        let text = flight_offer().encode();
        let cheaper_party = text.replace(".1.2.", ".1.1.");
        assert_eq!(OfferId::decode(&cheaper_party), Err(InvalidOfferId));
        let other_supplier = text.replace("aerolux", "farefox");
        assert_eq!(OfferId::decode(&other_supplier), Err(InvalidOfferId));
        let mut wrong_check = text.clone();
        wrong_check.pop();
        wrong_check.push(if text.ends_with('0') { '1' } else { '0' });
        assert_eq!(OfferId::decode(&wrong_check), Err(InvalidOfferId));
    }

    #[test]
    fn garbage_and_non_canonical_ids_are_refused() {
        for text in ["", "fl", "fl.aerolux", "nonsense.with.dots.abcdef123456"] {
            assert_eq!(OfferId::decode(text), Err(InvalidOfferId), "{text:?}");
        }
        // A correctly checked id whose slot is written "01" instead of "1".
        let body = "fl.aerolux.LHR.JFK.20261210.01.2.20261130";
        let padded = format!("{body}.{}", check_value(body));
        assert_eq!(OfferId::decode(&padded), Err(InvalidOfferId));
    }
}
