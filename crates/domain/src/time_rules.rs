//! Business time: Asia/Shanghai, which is UTC+8 all year (China has no daylight saving).

use time::macros::offset;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// Asia/Shanghai (北京时间).
pub const SHANGHAI: UtcOffset = offset!(+8);

/// The calendar day in Shanghai at `now`.
pub fn business_date(now: OffsetDateTime) -> Date {
    now.to_offset(SHANGHAI).date()
}

/// Whether `deadline` is over: the deadline day itself counts, to 23:59:59 Shanghai time.
pub fn deadline_passed(deadline: Date, now: OffsetDateTime) -> bool {
    business_date(now) > deadline
}

/// The credit year the reviews are about at `now`: the current one, except in January, when
/// the year just ended is still being reviewed (学校初审 to 9 January, 复审 to 13 January).
pub fn year_under_review(now: OffsetDateTime) -> i32 {
    let today = business_date(now);
    today.year() - i32::from(today.month() == Month::January)
}

/// Whole days from today (Shanghai) to `deadline`: 0 on the deadline day itself, negative once
/// it has passed (“距截止 N 天”).
pub fn days_left(deadline: Date, now: OffsetDateTime) -> i64 {
    (deadline - business_date(now)).whole_days()
}

/// Whether a year's verification (年度验证) would be run early: until the end of the district
/// review deadline (二级审核) declarations can still be approved, so a result computed before
/// then may tell a teacher who will pass that they failed. An early run must be forced.
pub fn verification_is_early(district_review_deadline: Date, now: OffsetDateTime) -> bool {
    !deadline_passed(district_review_deadline, now)
}

/// The credit year (学时年度) of an activity: the natural year of its end date.
pub fn credit_year(end_date: Date) -> i32 {
    end_date.year()
}

/// A date in exactly the form `YYYY-MM-DD`, and a real calendar date.
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) {
        return None;
    }
    if !digits(8..10) {
        return None;
    }
    let year: i32 = s[0..4].parse().ok()?;
    let month: u8 = s[5..7].parse().ok()?;
    let day: u8 = s[8..10].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A date as Chinese pages and notices write it: `2021年12月31日`.
pub fn format_date_zh(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// A moment in Shanghai time as pages show it: `2021年12月31日 09:05`, with `:07` seconds
/// when asked (the audit log).
pub fn format_datetime_zh(t: OffsetDateTime, seconds: bool) -> String {
    let t = t.to_offset(SHANGHAI);
    let mut text = format!(
        "{} {:02}:{:02}",
        format_date_zh(t.date()),
        t.hour(),
        t.minute()
    );
    if seconds {
        text.push_str(&format!(":{:02}", t.second()));
    }
    text
}

/// RFC 3339 in Shanghai time to the second, e.g. `2021-12-31T23:59:59+08:00`.
pub fn format_rfc3339_shanghai(t: OffsetDateTime) -> String {
    let t = t.to_offset(SHANGHAI);
    format!(
        "{}T{:02}:{:02}:{:02}+08:00",
        format_date(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn pages_write_dates_and_times_the_chinese_way_in_shanghai_time() {
        assert_eq!(format_date_zh(date!(2021 - 12 - 31)), "2021年12月31日");
        assert_eq!(format_date_zh(date!(2022 - 01 - 09)), "2022年1月9日");
        let cases = [
            (
                datetime!(2021-12-31 15:59:07 UTC),
                false,
                "2021年12月31日 23:59",
            ),
            (
                datetime!(2021-12-31 16:00:00 UTC),
                false,
                "2022年1月1日 00:00",
            ),
            (
                datetime!(2022-01-09 01:05:07 UTC),
                true,
                "2022年1月9日 09:05:07",
            ),
        ];
        for (t, seconds, shown) in cases {
            assert_eq!(format_datetime_zh(t, seconds), shown, "{t}");
        }
    }

    #[test]
    fn the_business_date_is_the_shanghai_calendar_day() {
        let cases = [
            (datetime!(2021-12-31 15:59:59 UTC), date!(2021 - 12 - 31)),
            (datetime!(2021-12-31 16:00:00 UTC), date!(2022 - 01 - 01)),
            (datetime!(2022-01-01 00:30 +08:00), date!(2022 - 01 - 01)),
            (datetime!(2021-12-31 12:00 -05:00), date!(2022 - 01 - 01)),
        ];
        for (now, day) in cases {
            assert_eq!(business_date(now), day, "{now}");
        }
    }

    #[test]
    fn january_still_reviews_the_year_just_ended() {
        let cases = [
            (datetime!(2027-01-13 12:00 +08:00), 2026),
            (datetime!(2027-01-31 23:59 +08:00), 2026),
            (datetime!(2027-01-31 16:00 UTC), 2027),
            (datetime!(2026-12-31 16:00 UTC), 2026),
            (datetime!(2026-12-31 15:59 UTC), 2026),
            (datetime!(2026-06-01 09:00 +08:00), 2026),
        ];
        for (now, year) in cases {
            assert_eq!(year_under_review(now), year, "{now}");
        }
    }

    #[test]
    fn days_left_count_to_the_deadline_day_in_shanghai() {
        let deadline = date!(2027 - 01 - 09);
        let cases = [
            (datetime!(2027-01-01 10:00 +08:00), 8),
            (datetime!(2027-01-08 16:00 UTC), 0),
            (datetime!(2027-01-09 23:59 +08:00), 0),
            (datetime!(2027-01-10 00:01 +08:00), -1),
            (datetime!(2026-12-31 16:30 UTC), 8),
        ];
        for (now, left) in cases {
            assert_eq!(days_left(deadline, now), left, "{now}");
        }
    }

    #[test]
    fn verification_is_early_until_the_district_review_deadline_is_over() {
        let deadline = date!(2027 - 01 - 15);
        let cases = [
            (datetime!(2026-12-02 10:00 +08:00), true),
            (datetime!(2027-01-15 23:59:59 +08:00), true),
            (datetime!(2027-01-15 16:00 UTC), false),
            (datetime!(2027-01-16 00:00 +08:00), false),
            (datetime!(2027-03-01 09:00 +08:00), false),
        ];
        for (now, early) in cases {
            assert_eq!(verification_is_early(deadline, now), early, "{now}");
        }
    }

    #[test]
    fn a_deadline_lasts_until_the_end_of_its_day_in_shanghai() {
        let deadline = date!(2021 - 12 - 31);
        let cases = [
            (datetime!(2021-12-30 12:00 +08:00), false),
            (datetime!(2021-12-31 23:59:59.999 +08:00), false),
            (datetime!(2021-12-31 15:59:59 UTC), false),
            (datetime!(2022-01-01 00:00 +08:00), true),
            (datetime!(2021-12-31 16:00 UTC), true),
        ];
        for (now, passed) in cases {
            assert_eq!(deadline_passed(deadline, now), passed, "{now}");
        }
    }

    #[test]
    fn the_credit_year_is_the_natural_year_of_the_end_date() {
        assert_eq!(credit_year(date!(2021 - 12 - 31)), 2021);
        assert_eq!(credit_year(date!(2022 - 01 - 01)), 2022);
    }

    #[test]
    fn dates_are_strictly_yyyy_mm_dd() {
        assert_eq!(parse_date("2021-12-31"), Some(date!(2021 - 12 - 31)));
        assert_eq!(parse_date("2020-02-29"), Some(date!(2020 - 02 - 29)));
        for bad in [
            "2021-02-29",
            "2021-13-01",
            "2021-00-10",
            "2021-1-1",
            "2021/12/31",
            " 2021-12-31",
            "2021-12-31T00:00",
            "+2021-12-31",
            "20211231",
            "２０２１-12-31",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_and_times_format_in_the_api_shape() {
        assert_eq!(format_date(date!(2022 - 01 - 09)), "2022-01-09");
        assert_eq!(
            format_rfc3339_shanghai(datetime!(2021-12-31 15:59:59.5 UTC)),
            "2021-12-31T23:59:59+08:00"
        );
        assert_eq!(
            format_rfc3339_shanghai(datetime!(2022-01-01 08:05:09 +08:00)),
            "2022-01-01T08:05:09+08:00"
        );
    }
}
