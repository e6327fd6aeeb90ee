//! Who a year's verification covers (API.md: "every teacher not departed before 1 January
//! of the year who either existed by 31 December of the year or holds a record in it"). The
//! set-based run in `store::repo::verification` states the same rule in SQL; a property test
//! (`crates/store/tests/verification_agrees.rs`) holds the two together.

use time::{Date, Month};

use crate::enums::TeacherStatus;

/// Whether a teacher is verified for `year`: registered by 31 December (Shanghai date of
/// the registration) or holding hours of the year (a record, or hours carried in), and not
/// departed before 1 January. A departed teacher without a departure date counts as long
/// gone.
pub fn is_verified(
    year: i32,
    status: TeacherStatus,
    departed_on: Option<Date>,
    registered_on: Date,
    holds_hours_of_year: bool,
) -> bool {
    let Ok(first_day) = Date::from_calendar_date(year, Month::January, 1) else {
        return false;
    };
    let still_there = match status {
        TeacherStatus::Active => true,
        TeacherStatus::Departed => departed_on.is_some_and(|d| d >= first_day),
    };
    still_there && (registered_on.year() <= year || holds_hours_of_year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TeacherStatus::*;

    fn day(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn the_cohort_is_those_there_during_the_year_or_holding_its_hours() {
        // (status, departed on, registered on, holds hours) → verified for 2030
        let table = [
            ((Active, None, day(2025, 3, 1), false), true),
            ((Active, None, day(2030, 12, 31), false), true),
            // Registered after the year: only with hours of it.
            ((Active, None, day(2031, 1, 1), false), false),
            ((Active, None, day(2031, 1, 1), true), true),
            // Departed during the year: still verified; before it: not, hours or not.
            (
                (Departed, Some(day(2030, 1, 1)), day(2025, 1, 1), false),
                true,
            ),
            (
                (Departed, Some(day(2030, 6, 30)), day(2025, 1, 1), false),
                true,
            ),
            (
                (Departed, Some(day(2029, 12, 31)), day(2025, 1, 1), true),
                false,
            ),
            ((Departed, None, day(2025, 1, 1), true), false),
        ];
        for ((status, departed, registered, holds), expected) in table {
            assert_eq!(
                is_verified(2030, status, departed, registered, holds),
                expected,
                "{status} {departed:?} {registered} {holds}"
            );
        }
    }
}
