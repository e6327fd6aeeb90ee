//! Credit hours (学时), held exactly in tenths: the notice allows one decimal place.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Largest value accepted from input, in tenths (9999.9 学时): anything larger is a typo.
const MAX_INPUT_TENTHS: i64 = 99_999;

/// Credit hours (学时) as a whole number of tenths, never negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hours(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum HoursError {
    #[error("学时须为数字")]
    NotANumber,
    #[error("学时须为正数，最多一位小数")]
    NotPositive,
    #[error("学时不能为负数")]
    Negative,
    #[error("学时最多一位小数")]
    TooPrecise,
    #[error("学时不能超过9999.9")]
    TooLarge,
}

impl Hours {
    pub const ZERO: Hours = Hours(0);

    /// # Panics
    /// On a negative value: hours are never negative, so that is a bug in the caller.
    pub const fn from_tenths(tenths: i64) -> Self {
        assert!(tenths >= 0, "hours are never negative");
        Self(tenths)
    }

    /// # Panics
    /// On a negative value, as [`Hours::from_tenths`].
    pub const fn from_whole(hours: i64) -> Self {
        Self::from_tenths(hours * 10)
    }

    pub const fn tenths(self) -> i64 {
        self.0
    }

    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 10.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Hours from a JSON number in a request: positive, at most one decimal place.
    pub fn parse_positive(value: f64) -> Result<Self, HoursError> {
        match Self::parse_non_negative(value) {
            Ok(hours) if hours.is_zero() => Err(HoursError::NotPositive),
            Err(HoursError::Negative) => Err(HoursError::NotPositive),
            other => other,
        }
    }

    /// Hours that may be zero, such as a policy's minimum for a category.
    pub fn parse_non_negative(value: f64) -> Result<Self, HoursError> {
        if !value.is_finite() {
            return Err(HoursError::NotANumber);
        }
        if value < 0.0 {
            return Err(HoursError::Negative);
        }
        // Compare before scaling so absurd values cannot overflow the conversion.
        if value > MAX_INPUT_TENTHS as f64 / 10.0 + 1e-6 {
            return Err(HoursError::TooLarge);
        }
        let scaled = value * 10.0;
        let tenths = scaled.round();
        // Binary floats: 1.1 * 10 is 11.000000000000002, still one decimal place.
        if (scaled - tenths).abs() > 1e-6 {
            return Err(HoursError::TooPrecise);
        }
        Ok(Self(tenths as i64))
    }

    /// Positive hours from a spreadsheet or CSV cell, e.g. `"7.5"` or `" 8 "`.
    /// Trailing zeros after the first decimal (`"7.50"`) are accepted, as Excel writes them.
    pub fn parse_str(s: &str) -> Result<Self, HoursError> {
        let s = s.trim();
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(HoursError::NotANumber);
        }
        if s.ends_with('.') {
            return Err(HoursError::NotANumber);
        }
        if fraction.bytes().skip(1).any(|b| b != b'0') {
            return Err(HoursError::TooPrecise);
        }
        let whole: i64 = match whole.trim_start_matches('0') {
            "" => 0,
            w if w.len() > 5 => return Err(HoursError::TooLarge),
            w => w.parse().map_err(|_| HoursError::NotANumber)?,
        };
        let tenth = fraction.bytes().next().map_or(0, |b| i64::from(b - b'0'));
        let tenths = whole * 10 + tenth;
        if tenths == 0 {
            Err(HoursError::NotPositive)
        } else if tenths > MAX_INPUT_TENTHS {
            Err(HoursError::TooLarge)
        } else {
            Ok(Self(tenths))
        }
    }

    /// `None` when `other` is larger: hours never go negative.
    pub fn checked_sub(self, other: Hours) -> Option<Hours> {
        (self.0 >= other.0).then(|| Self(self.0 - other.0))
    }

    pub fn saturating_sub(self, other: Hours) -> Hours {
        Self((self.0 - other.0).max(0))
    }
}

/// Guangdong's conversion (学时折算): 8 学时 per full day of training, and for part of a day
/// 1 学时 per full 45 minutes. The part of a day never earns more than a full day.
pub fn hours_for_days_and_minutes(full_days: u32, extra_minutes: u32) -> Hours {
    let partial = (extra_minutes / 45).min(8);
    Hours::from_whole(i64::from(full_days) * 8 + i64::from(partial))
}

/// 超学时?: the most an activity attended day by day can earn over `days` calendar days,
/// 8 学时 a day under the conversion; `None` for activities not counted in days (a degree,
/// a role, a paper or a project), which no such ceiling bounds. Declaring more is no offence
/// (the dates may be wrong), but it is worth the reviewer's second look.
pub fn attended_hours_cap(activity: crate::ActivityType, days: u32) -> Option<Hours> {
    use crate::ActivityType::*;
    match activity {
        RemoteTraining | TeachingResearch | TrainingCourse | Practice | AcademicEvent => {
            Some(hours_for_days_and_minutes(days, 0))
        }
        DegreeEducation | TrainerRole | ResearchOutput | Other => None,
    }
}

impl Add for Hours {
    type Output = Hours;

    fn add(self, other: Hours) -> Hours {
        Self(self.0 + other.0)
    }
}

impl AddAssign for Hours {
    fn add_assign(&mut self, other: Hours) {
        self.0 += other.0;
    }
}

impl Sum for Hours {
    fn sum<I: Iterator<Item = Hours>>(iter: I) -> Hours {
        iter.fold(Hours::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Hours> for Hours {
    fn sum<I: Iterator<Item = &'a Hours>>(iter: I) -> Hours {
        iter.copied().sum()
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 % 10 {
            0 => write!(f, "{}", self.0 / 10),
            tenth => write!(f, "{}.{}", self.0 / 10, tenth),
        }
    }
}

impl Serialize for Hours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Whole hours print as `30`, not `30.0`.
        if self.0 % 10 == 0 {
            serializer.serialize_i64(self.0 / 10)
        } else {
            serializer.serialize_f64(self.to_f64())
        }
    }
}

/// Reads back anything this crate writes, zero included; requests check positivity themselves.
impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Hours::parse_non_negative(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Hours {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .minimum(Some(0))
            .multiple_of(Some(0.1))
            .description(Some("学时，最多一位小数"))
            .examples([serde_json::json!(7.5)])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Hours {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActivityType;

    #[test]
    fn attended_activities_earn_at_most_eight_hours_a_day() {
        let cases = [
            (ActivityType::TrainingCourse, 3, Some(24)),
            (ActivityType::RemoteTraining, 1, Some(8)),
            (ActivityType::TeachingResearch, 10, Some(80)),
            (ActivityType::Practice, 30, Some(240)),
            (ActivityType::AcademicEvent, 2, Some(16)),
            (ActivityType::DegreeEducation, 1, None),
            (ActivityType::TrainerRole, 1, None),
            (ActivityType::ResearchOutput, 1, None),
            (ActivityType::Other, 1, None),
        ];
        for (activity, days, cap) in cases {
            assert_eq!(
                attended_hours_cap(activity, days),
                cap.map(Hours::from_whole),
                "{activity:?} over {days} days"
            );
        }
    }

    fn h(tenths: i64) -> Hours {
        Hours::from_tenths(tenths)
    }

    #[test]
    fn request_hours_are_positive_with_at_most_one_decimal() {
        let cases: [(f64, Result<Hours, HoursError>); 13] = [
            (7.5, Ok(h(75))),
            (30.0, Ok(h(300))),
            (0.1, Ok(h(1))),
            (1.1, Ok(h(11))),
            (9999.9, Ok(h(99_999))),
            (7.55, Err(HoursError::TooPrecise)),
            (0.05, Err(HoursError::TooPrecise)),
            (0.0, Err(HoursError::NotPositive)),
            (-1.0, Err(HoursError::NotPositive)),
            (10_000.0, Err(HoursError::TooLarge)),
            (1e300, Err(HoursError::TooLarge)),
            (f64::NAN, Err(HoursError::NotANumber)),
            (f64::INFINITY, Err(HoursError::NotANumber)),
        ];
        for (value, expected) in cases {
            assert_eq!(Hours::parse_positive(value), expected, "{value}");
        }
    }

    #[test]
    fn policy_minimums_may_be_zero_but_never_negative() {
        let cases = [
            (0.0, Ok(Hours::ZERO)),
            (-0.0, Ok(Hours::ZERO)),
            (42.0, Ok(h(420))),
            (-0.5, Err(HoursError::Negative)),
            (12.25, Err(HoursError::TooPrecise)),
        ];
        for (value, expected) in cases {
            assert_eq!(Hours::parse_non_negative(value), expected, "{value}");
        }
    }

    #[test]
    fn spreadsheet_cells_parse_as_exact_decimal_hours() {
        let cases = [
            ("7.5", Ok(h(75))),
            (" 8 ", Ok(h(80))),
            ("8.0", Ok(h(80))),
            ("7.50", Ok(h(75))),
            ("007", Ok(h(70))),
            ("0.5", Ok(h(5))),
            ("9999.9", Ok(h(99_999))),
            ("7.55", Err(HoursError::TooPrecise)),
            ("0", Err(HoursError::NotPositive)),
            ("0.0", Err(HoursError::NotPositive)),
            ("10000", Err(HoursError::TooLarge)),
            ("99999999999999999999", Err(HoursError::TooLarge)),
            ("", Err(HoursError::NotANumber)),
            ("-1", Err(HoursError::NotANumber)),
            ("7.", Err(HoursError::NotANumber)),
            (".5", Err(HoursError::NotANumber)),
            ("1e1", Err(HoursError::NotANumber)),
            ("七", Err(HoursError::NotANumber)),
            ("7.5h", Err(HoursError::NotANumber)),
        ];
        for (cell, expected) in cases {
            assert_eq!(Hours::parse_str(cell), expected, "{cell:?}");
        }
    }

    #[test]
    fn every_hours_error_has_a_chinese_message() {
        assert_eq!(
            HoursError::NotPositive.to_string(),
            "学时须为正数，最多一位小数"
        );
        for error in [
            HoursError::NotANumber,
            HoursError::NotPositive,
            HoursError::Negative,
            HoursError::TooPrecise,
            HoursError::TooLarge,
        ] {
            assert!(error.to_string().starts_with("学时"), "{error:?}");
        }
    }

    #[test]
    fn hours_add_and_subtract_exactly_without_going_negative() {
        assert_eq!(h(1) + h(2), h(3)); // 0.1 + 0.2 is exactly 0.3
        let mut total = h(75);
        total += h(5);
        assert_eq!(total, Hours::from_whole(8));
        assert_eq!([h(1), h(2), h(3)].iter().sum::<Hours>(), h(6));
        assert_eq!([h(1), h(2)].into_iter().sum::<Hours>(), h(3));
        assert_eq!(h(50).checked_sub(h(20)), Some(h(30)));
        assert_eq!(h(20).checked_sub(h(50)), None);
        assert_eq!(h(20).saturating_sub(h(50)), Hours::ZERO);
        assert_eq!(h(20).max(h(50)), h(50));
        assert_eq!(h(75).to_f64(), 7.5);
    }

    #[test]
    #[should_panic(expected = "never negative")]
    fn negative_tenths_are_a_bug() {
        Hours::from_tenths(-1);
    }

    #[test]
    fn hours_display_and_serialise_whole_hours_without_a_decimal() {
        let cases = [(h(75), "7.5"), (h(300), "30"), (h(0), "0"), (h(1), "0.1")];
        for (hours, text) in cases {
            assert_eq!(hours.to_string(), text);
            assert_eq!(serde_json::to_string(&hours).unwrap(), text);
        }
    }

    #[test]
    fn hours_deserialise_from_json_numbers_zero_included() {
        let cases = [
            ("7.5", Some(h(75))),
            ("30", Some(h(300))),
            ("0", Some(Hours::ZERO)),
        ];
        for (json, expected) in cases {
            assert_eq!(serde_json::from_str::<Hours>(json).ok(), expected, "{json}");
        }
        for json in ["-1", "7.55", "\"7.5\"", "null"] {
            assert!(serde_json::from_str::<Hours>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn a_full_day_is_eight_hours_and_part_of_a_day_one_hour_per_45_minutes() {
        let cases = [
            (2, 90, 18),
            (0, 44, 0),
            (0, 45, 1),
            (1, 0, 8),
            (0, 359, 7),
            (0, 360, 8),
            (0, 600, 8), // part of a day never exceeds a full day
            (3, 135, 27),
        ];
        for (days, minutes, hours) in cases {
            assert_eq!(
                hours_for_days_and_minutes(days, minutes),
                Hours::from_whole(hours),
                "{days} days {minutes} min"
            );
        }
    }
}
