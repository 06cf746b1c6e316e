//! Activities: tours and tickets in every known city, in fixed daily time slots.
//!
//! An activity's id is `<geonameid>-<n>` like a hotel's. Tours run twice a day for three
//! hours, tickets three times a day for two hours, in the city's local time.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

use super::{local_to_utc, near, utc_to_local, Coordinates};
use crate::api::ActivityCategory;
use crate::data::{City, ReferenceData};
use crate::hashing::StableHash;

struct Template {
    title: &'static str,
    category: ActivityCategory,
}

const TEMPLATES: [Template; 4] = [
    Template {
        title: "{city} old town walking tour",
        category: ActivityCategory::Tour,
    },
    Template {
        title: "{city} city museum pass",
        category: ActivityCategory::Ticket,
    },
    Template {
        title: "{city} street food tour",
        category: ActivityCategory::Tour,
    },
    Template {
        title: "{city} skyline observation deck",
        category: ActivityCategory::Ticket,
    },
];

/// Local start times of each category's sessions.
const TOUR_STARTS: [NaiveTime; 2] = [
    NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
    NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
];
const TICKET_STARTS: [NaiveTime; 3] = [
    NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
    NaiveTime::from_hms_opt(13, 0, 0).unwrap(),
    NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
];

#[derive(Debug, Clone, PartialEq)]
pub struct Activity<'a> {
    pub id: String,
    pub title: String,
    pub category: ActivityCategory,
    pub city: &'a City,
    pub location: Coordinates,
}

/// One session of an activity.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivitySlot {
    pub slot: u8,
    pub starts_local: NaiveDateTime,
    pub ends_local: NaiveDateTime,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

pub fn activities_in(city: &City) -> Vec<Activity<'_>> {
    (1..=TEMPLATES.len() as u32)
        .map(|number| activity(city, number))
        .collect()
}

pub fn activity_by_id<'a>(reference: &'a ReferenceData, activity_id: &str) -> Option<Activity<'a>> {
    let (geonameid, number) = activity_id.split_once('-')?;
    let city = reference.city(geonameid.parse().ok()?)?;
    let number: u32 = number.parse().ok()?;
    if !(1..=TEMPLATES.len() as u32).contains(&number) {
        return None;
    }
    let activity = activity(city, number);
    (activity.id == activity_id).then_some(activity)
}

fn activity(city: &City, number: u32) -> Activity<'_> {
    let template = &TEMPLATES[number as usize - 1];
    let id = format!("{}-{number}", city.geonameid);
    let place = StableHash::new("activity-place").str(&id).finish();
    let centre = Coordinates {
        latitude: city.latitude,
        longitude: city.longitude,
    };
    Activity {
        title: template.title.replace("{city}", &city.name),
        category: template.category,
        location: near(centre, place),
        city,
        id,
    }
}

fn starts(category: ActivityCategory) -> &'static [NaiveTime] {
    match category {
        ActivityCategory::Tour => &TOUR_STARTS,
        ActivityCategory::Ticket => &TICKET_STARTS,
    }
}

fn length(category: ActivityCategory) -> TimeDelta {
    match category {
        ActivityCategory::Tour => TimeDelta::hours(3),
        ActivityCategory::Ticket => TimeDelta::hours(2),
    }
}

/// The session of `slot` on a local date, or `None` past the last slot.
pub fn slot_on(activity: &Activity<'_>, date: NaiveDate, slot: u8) -> Option<ActivitySlot> {
    let start = *starts(activity.category).get(usize::from(slot))?;
    let timezone = activity.city.timezone;
    let starts_at = local_to_utc(timezone, date.and_time(start));
    let ends_at = starts_at + length(activity.category);
    Some(ActivitySlot {
        slot,
        starts_local: utc_to_local(timezone, starts_at),
        ends_local: utc_to_local(timezone, ends_at),
        starts_at,
        ends_at,
    })
}

/// Every session on a local date, earliest first.
pub fn slots_on(activity: &Activity<'_>, date: NaiveDate) -> Vec<ActivitySlot> {
    (0..starts(activity.category).len() as u8)
        .filter_map(|slot| slot_on(activity, date, slot))
        .collect()
}

/// Places a supplier has in one session (tours are smaller than tickets).
pub fn places_per_slot(
    seed: u64,
    supplier: &str,
    activity: &Activity<'_>,
    date: NaiveDate,
    slot: u8,
) -> u32 {
    let (low, high) = match activity.category {
        ActivityCategory::Tour => (6, 15),
        ActivityCategory::Ticket => (10, 30),
    };
    StableHash::new("activity-places")
        .u64(seed)
        .str(supplier)
        .str(&activity.id)
        .date(date)
        .u64(u64::from(slot))
        .pick(low, high) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tours_run_twice_a_day_and_tickets_three_times_in_local_time() {
        let data = ReferenceData::bundled();
        let tokyo = data.city(1850147).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        for activity in activities_in(tokyo) {
            let slots = slots_on(&activity, date);
            let expected = match activity.category {
                ActivityCategory::Tour => 2,
                ActivityCategory::Ticket => 3,
            };
            assert_eq!(slots.len(), expected, "{}", activity.title);
            for slot in slots {
                assert_eq!(slot.starts_local.date(), date);
                // Tokyo is UTC+9 all year.
                assert_eq!(
                    slot.starts_local - slot.starts_at.naive_utc(),
                    TimeDelta::hours(9)
                );
            }
        }
    }

    #[test]
    fn an_activity_id_is_looked_up_exactly() {
        let data = ReferenceData::bundled();
        assert!(activity_by_id(data, "1850147-4").is_some());
        assert!(activity_by_id(data, "1850147-5").is_none());
        assert!(activity_by_id(data, "1850147-x").is_none());
    }
}
