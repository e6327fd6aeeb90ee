//! The year policy (年度政策): minimums, deadlines, carry-over and activity caps.
//! Everything that changes by year is data, so the rules read it from here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::date;

use crate::enums::ActivityType;
use crate::field_error::FieldError;
use crate::hours::{Hours, HoursError};
use crate::time_rules::parse_date;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    pub year: i32,
    pub minimums: Minimums,
    pub deadlines: Deadlines,
    pub carry_over: CarryOver,
    /// Most hours per activity type counted in a year (e.g. papers at most 28).
    #[serde(default)]
    pub activity_caps: BTreeMap<ActivityType, Hours>,
}

/// Minimum hours (最低学时) per category and in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Minimums {
    pub public: Hours,
    pub professional: Hours,
    pub elective: Hours,
    pub total: Hours,
}

/// Last days (inclusive, Shanghai time) of each stage of the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadlines {
    /// 教师个人申报
    #[serde(with = "crate::date_format")]
    pub declaration: Date,
    /// 主办单位学时登记
    #[serde(with = "crate::date_format")]
    pub registration: Date,
    /// 学校初审
    #[serde(with = "crate::date_format")]
    pub school_review: Date,
    /// 区（市）复审
    #[serde(with = "crate::date_format")]
    pub district_review: Date,
}

/// 结转: professional hours above the minimum carry into the next year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarryOver {
    pub enabled: bool,
    pub cap: Option<Hours>,
}

impl Default for CarryOver {
    fn default() -> Self {
        Self {
            enabled: true,
            cap: None,
        }
    }
}

impl Policy {
    /// The 2021 verification notice of the Guangzhou Education Bureau.
    pub fn guangzhou_2021() -> Self {
        Self {
            year: 2021,
            minimums: Minimums {
                public: Hours::from_whole(30),
                professional: Hours::from_whole(42),
                elective: Hours::from_whole(18),
                total: Hours::from_whole(90),
            },
            deadlines: Deadlines {
                declaration: date!(2021 - 12 - 31),
                registration: date!(2021 - 12 - 31),
                school_review: date!(2022 - 01 - 09),
                district_review: date!(2022 - 01 - 13),
            },
            carry_over: CarryOver::default(),
            activity_caps: BTreeMap::new(),
        }
    }
}

/// A policy as sent by the city administrator, before validation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyInput {
    pub minimums: MinimumsInput,
    pub deadlines: DeadlinesInput,
    pub carry_over: Option<CarryOverInput>,
    pub activity_caps: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MinimumsInput {
    pub public: f64,
    pub professional: f64,
    pub elective: f64,
    pub total: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlinesInput {
    pub declaration: String,
    pub registration: String,
    pub school_review: String,
    pub district_review: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarryOverInput {
    pub enabled: bool,
    pub cap: Option<f64>,
}

/// Collects field errors so that one answer lists every problem.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    fn hours(&mut self, field: &str, parsed: Result<Hours, HoursError>) -> Hours {
        parsed.unwrap_or_else(|error| {
            self.add(field, error.to_string());
            Hours::ZERO
        })
    }

    fn date(&mut self, field: &str, text: &str) -> Option<Date> {
        let date = parse_date(text);
        if date.is_none() {
            self.add(field, "日期格式应为YYYY-MM-DD");
        }
        date
    }
}

impl PolicyInput {
    /// Checks every field and reports all problems at once, with dotted field names.
    pub fn validate(self, year: i32) -> Result<Policy, Vec<FieldError>> {
        let mut errors = Errors::default();
        if !(2000..=2100).contains(&year) {
            errors.add("year", "年度须在2000至2100之间");
        }

        let m = &self.minimums;
        let minimums = Minimums {
            public: errors.hours("minimums.public", Hours::parse_non_negative(m.public)),
            professional: errors.hours(
                "minimums.professional",
                Hours::parse_non_negative(m.professional),
            ),
            elective: errors.hours("minimums.elective", Hours::parse_non_negative(m.elective)),
            total: errors.hours("minimums.total", Hours::parse_non_negative(m.total)),
        };

        let d = &self.deadlines;
        let declaration = errors.date("deadlines.declaration", &d.declaration);
        let registration = errors.date("deadlines.registration", &d.registration);
        let school_review = errors.date("deadlines.school_review", &d.school_review);
        let district_review = errors.date("deadlines.district_review", &d.district_review);
        let deadlines = match (declaration, registration, school_review, district_review) {
            (Some(declaration), Some(registration), Some(school_review), Some(district_review)) => {
                Some(Deadlines {
                    declaration,
                    registration,
                    school_review,
                    district_review,
                })
            }
            _ => None,
        };
        if let Some(d) = &deadlines {
            check_deadline_order(d, year, &mut errors);
        }

        let carry_over = match self.carry_over {
            None => CarryOver::default(),
            Some(input) => CarryOver {
                enabled: input.enabled,
                cap: input
                    .cap
                    .map(|cap| errors.hours("carry_over.cap", Hours::parse_positive(cap))),
            },
        };

        let mut activity_caps = BTreeMap::new();
        for (key, value) in self.activity_caps.unwrap_or_default() {
            let field = format!("activity_caps.{key}");
            match key.parse::<ActivityType>() {
                Ok(activity) => {
                    let cap = errors.hours(&field, Hours::parse_positive(value));
                    activity_caps.insert(activity, cap);
                }
                Err(error) => errors.add(field, error.to_string()),
            }
        }

        match deadlines {
            Some(deadlines) if errors.0.is_empty() => Ok(Policy {
                year,
                minimums,
                deadlines,
                carry_over,
                activity_caps,
            }),
            _ => Err(errors.0),
        }
    }
}

/// Reviews follow declarations, and a declaration deadline belongs to its year.
fn check_deadline_order(d: &Deadlines, year: i32, errors: &mut Errors) {
    if d.school_review < d.declaration {
        errors.add(
            "deadlines.school_review",
            "学校初审截止日期不得早于申报截止日期",
        );
    }
    if d.district_review < d.school_review {
        errors.add(
            "deadlines.district_review",
            "复审截止日期不得早于学校初审截止日期",
        );
    }
    if d.registration > d.district_review {
        errors.add(
            "deadlines.registration",
            "学时登记截止日期不得晚于复审截止日期",
        );
    }
    let year_start = Date::from_ordinal_date(year, 1).ok();
    if year_start.is_some_and(|start| d.declaration < start) {
        errors.add("deadlines.declaration", "申报截止日期不得早于本年度1月1日");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOTICE_2021: &str = r#"{"year":2021,"minimums":{"public":30,"professional":42,"elective":18,"total":90},"deadlines":{"declaration":"2021-12-31","registration":"2021-12-31","school_review":"2022-01-09","district_review":"2022-01-13"},"carry_over":{"enabled":true,"cap":null},"activity_caps":{}}"#;

    fn input(value: serde_json::Value) -> PolicyInput {
        serde_json::from_value(value).unwrap()
    }

    fn valid_input() -> serde_json::Value {
        let mut value: serde_json::Value = serde_json::from_str(NOTICE_2021).unwrap();
        value.as_object_mut().unwrap().remove("year");
        value
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn the_2021_policy_has_the_notices_json_shape() {
        let policy = Policy::guangzhou_2021();
        assert_eq!(serde_json::to_string(&policy).unwrap(), NOTICE_2021);
        assert_eq!(serde_json::from_str::<Policy>(NOTICE_2021).unwrap(), policy);
    }

    #[test]
    fn a_valid_input_becomes_the_policy_of_its_year() {
        assert_eq!(
            input(valid_input()).validate(2021),
            Ok(Policy::guangzhou_2021())
        );
    }

    #[test]
    fn missing_carry_over_means_enabled_without_cap() {
        let mut value = valid_input();
        let object = value.as_object_mut().unwrap();
        object.remove("carry_over");
        object.remove("activity_caps");
        let policy = input(value).validate(2021).unwrap();
        assert_eq!(
            policy.carry_over,
            CarryOver {
                enabled: true,
                cap: None
            }
        );
        assert!(policy.activity_caps.is_empty());
    }

    #[test]
    fn thresholds_and_caps_change_by_year() {
        let mut value = valid_input();
        value["minimums"] = json!({"public": 30, "professional": 42, "elective": 12, "total": 84});
        value["carry_over"] = json!({"enabled": true, "cap": 20});
        value["activity_caps"] = json!({"research_output": 28, "academic_event": 7.5});
        value["deadlines"] = json!({"declaration": "2020-12-31", "registration": "2020-12-31",
            "school_review": "2021-01-09", "district_review": "2021-01-13"});
        let policy = input(value).validate(2020).unwrap();
        assert_eq!(policy.minimums.elective, Hours::from_whole(12));
        assert_eq!(policy.minimums.total, Hours::from_whole(84));
        assert_eq!(policy.carry_over.cap, Some(Hours::from_whole(20)));
        assert_eq!(
            policy.activity_caps,
            BTreeMap::from([
                (ActivityType::AcademicEvent, Hours::from_tenths(75)),
                (ActivityType::ResearchOutput, Hours::from_whole(28)),
            ])
        );
        let json = serde_json::to_value(&policy).unwrap();
        assert_eq!(
            json["activity_caps"],
            json!({"academic_event": 7.5, "research_output": 28})
        );
        assert_eq!(serde_json::from_value::<Policy>(json).unwrap(), policy);
    }

    #[test]
    fn every_invalid_field_is_reported_at_once_with_its_dotted_name() {
        let value = json!({
            "minimums": {"public": -1, "professional": 42.25, "elective": 0, "total": 90},
            "deadlines": {"declaration": "2021-12-31", "registration": "2021/12/31",
                "school_review": "2022-02-30", "district_review": "2022-01-13"},
            "carry_over": {"enabled": true, "cap": 0},
            "activity_caps": {"papers": 28, "research_output": -5}
        });
        let errors = input(value).validate(1999).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "year",
                "minimums.public",
                "minimums.professional",
                "deadlines.registration",
                "deadlines.school_review",
                "carry_over.cap",
                "activity_caps.papers",
                "activity_caps.research_output",
            ]
        );
        assert!(errors.iter().all(|e| !e.message.is_ascii()), "{errors:?}");
        assert_eq!(errors[0].message, "年度须在2000至2100之间");
        assert_eq!(errors[3].message, "日期格式应为YYYY-MM-DD");
    }

    #[test]
    fn deadlines_run_declaration_then_school_review_then_second_review() {
        let cases = [
            (
                ["2021-12-31", "2021-12-31", "2021-12-30", "2022-01-13"],
                "deadlines.school_review",
            ),
            (
                ["2021-12-31", "2021-12-31", "2022-01-09", "2022-01-08"],
                "deadlines.district_review",
            ),
            (
                ["2021-12-31", "2022-01-14", "2022-01-09", "2022-01-13"],
                "deadlines.registration",
            ),
            (
                ["2020-12-31", "2020-12-31", "2022-01-09", "2022-01-13"],
                "deadlines.declaration",
            ),
        ];
        for ([declaration, registration, school_review, district_review], field) in cases {
            let mut value = valid_input();
            value["deadlines"] = json!({"declaration": declaration, "registration": registration,
                "school_review": school_review, "district_review": district_review});
            let errors = input(value).validate(2021).unwrap_err();
            assert_eq!(fields(&errors), [field]);
        }
    }

    #[test]
    fn all_deadlines_on_one_day_are_allowed() {
        let mut value = valid_input();
        value["deadlines"] = json!({"declaration": "2021-12-31", "registration": "2021-12-31",
            "school_review": "2021-12-31", "district_review": "2021-12-31"});
        assert!(input(value).validate(2021).is_ok());
    }
}

#[cfg(all(test, feature = "openapi"))]
mod openapi_tests {
    use super::*;
    use utoipa::PartialSchema;

    #[test]
    fn the_policy_schema_describes_hours_as_numbers_and_dates_as_strings() {
        let hours = serde_json::to_value(Hours::schema()).unwrap();
        assert_eq!(hours["type"], "number");
        let deadlines = serde_json::to_value(Deadlines::schema()).unwrap();
        assert_eq!(deadlines["properties"]["declaration"]["format"], "date");
        let policy = serde_json::to_value(Policy::schema()).unwrap();
        assert_eq!(
            policy["properties"]["activity_caps"]["additionalProperties"]["$ref"],
            "#/components/schemas/Hours"
        );
    }
}
