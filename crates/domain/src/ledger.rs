//! The arithmetic of the annual verification (年度验证) and carry-over (结转).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::enums::{ActivityType, Category, Source};
use crate::hours::Hours;
use crate::policy::Policy;

/// Hours credited for a public course (公需科目) after a new completion report.
///
/// Studying the same course again counts once: the larger report wins, never the sum,
/// and never more than the course's hours.
pub fn public_course_credit(
    reported: Hours,
    previous: Option<Hours>,
    course_hours: Hours,
) -> Hours {
    reported
        .max(previous.unwrap_or(Hours::ZERO))
        .min(course_hours)
}

/// One effective record of the year (有效学时): callers pass no revoked or pending ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLine {
    pub category: Category,
    pub activity_type: ActivityType,
    pub source: Source,
    pub hours: Hours,
}

/// A year's effective hours by category, after activity caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearTotals {
    pub public: Hours,
    /// Earned this year, excluding `carried_in`.
    pub professional: Hours,
    pub elective: Hours,
    /// Professional hours carried from the previous year (上年度结转).
    pub carried_in: Hours,
}

/// Sums a year's effective records by category.
///
/// `carry_over` lines count as `carried_in`, whatever their category. Each activity type
/// with a cap in the policy counts at most the cap across professional and elective hours
/// earned this year; the excess is taken from elective hours first, because professional
/// hours are the scarcer ones (they alone carry over). Public hours come from the year's
/// public courses, which the notice's activity list does not cover, and carried-in hours
/// were capped in their own year, so caps touch neither.
pub fn year_totals(lines: &[RecordLine], policy: &Policy) -> YearTotals {
    let mut totals = YearTotals::default();
    // Per activity type: (professional, elective) earned this year.
    let mut by_activity: BTreeMap<ActivityType, (Hours, Hours)> = BTreeMap::new();
    for line in lines {
        if line.source == Source::CarryOver {
            totals.carried_in += line.hours;
            continue;
        }
        let sums = by_activity.entry(line.activity_type).or_default();
        match line.category {
            Category::Public => totals.public += line.hours,
            Category::Professional => sums.0 += line.hours,
            Category::Elective => sums.1 += line.hours,
        }
    }
    for (activity, (mut professional, mut elective)) in by_activity {
        if let Some(&cap) = policy.activity_caps.get(&activity) {
            let excess = (professional + elective).saturating_sub(cap);
            let from_elective = excess.min(elective);
            elective = elective.saturating_sub(from_elective);
            professional = professional.saturating_sub(excess.saturating_sub(from_elective));
        }
        totals.professional += professional;
        totals.elective += elective;
    }
    totals
}

/// The result of a year's verification (年度验证结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    pub public: Hours,
    /// Including `carried_in`.
    pub professional: Hours,
    pub elective: Hours,
    pub carried_in: Hours,
    /// All categories, including `carried_in`.
    pub total: Hours,
    pub passed: bool,
    /// Professional hours that become a `carry_over` record of the next year.
    pub carry_out: Hours,
}

/// Verifies a year: every category and the total must meet their minimums.
///
/// Only professional hours above the professional minimum carry out (按最大可结转数量),
/// capped if the policy caps, and only from a passed year; public and elective never carry.
pub fn evaluate(totals: &YearTotals, policy: &Policy) -> Outcome {
    let min = &policy.minimums;
    let professional = totals.professional + totals.carried_in;
    let total = totals.public + professional + totals.elective;
    let passed = totals.public >= min.public
        && professional >= min.professional
        && totals.elective >= min.elective
        && total >= min.total;
    let carry_out = if passed && policy.carry_over.enabled {
        let surplus = professional.saturating_sub(min.professional);
        policy
            .carry_over
            .cap
            .map_or(surplus, |cap| surplus.min(cap))
    } else {
        Hours::ZERO
    };
    Outcome {
        public: totals.public,
        professional,
        elective: totals.elective,
        carried_in: totals.carried_in,
        total,
        passed,
        carry_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::ActivityType::*;
    use crate::enums::Category::*;
    use crate::policy::{CarryOver, Minimums};

    fn h(hours: f64) -> Hours {
        Hours::parse_non_negative(hours).unwrap()
    }

    fn line(
        category: Category,
        activity_type: ActivityType,
        source: Source,
        hours: f64,
    ) -> RecordLine {
        RecordLine {
            category,
            activity_type,
            source,
            hours: h(hours),
        }
    }

    fn totals(public: f64, professional: f64, elective: f64, carried_in: f64) -> YearTotals {
        YearTotals {
            public: h(public),
            professional: h(professional),
            elective: h(elective),
            carried_in: h(carried_in),
        }
    }

    fn policy_2020() -> Policy {
        Policy {
            year: 2020,
            minimums: Minimums {
                public: h(30.0),
                professional: h(42.0),
                elective: h(12.0),
                total: h(84.0),
            },
            ..Policy::guangzhou_2021()
        }
    }

    fn with_carry_over(enabled: bool, cap: Option<f64>) -> Policy {
        Policy {
            carry_over: CarryOver {
                enabled,
                cap: cap.map(h),
            },
            ..Policy::guangzhou_2021()
        }
    }

    #[test]
    fn repeating_a_public_course_counts_once() {
        // (reported, previous, course hours) → credited
        let cases = [
            (20.0, None, 30.0, 20.0),
            (30.0, Some(20.0), 30.0, 30.0),
            (20.0, Some(30.0), 30.0, 30.0),
            (15.0, Some(15.0), 30.0, 15.0),
            (45.0, None, 30.0, 30.0),
            (40.0, Some(35.0), 30.0, 30.0),
        ];
        for (reported, previous, course, credited) in cases {
            assert_eq!(
                public_course_credit(h(reported), previous.map(h), h(course)),
                h(credited),
                "{reported} after {previous:?}"
            );
        }
    }

    #[test]
    fn records_sum_by_category_and_carried_in_hours_stay_apart() {
        let lines = [
            line(Public, RemoteTraining, Source::PublicCourse, 30.0),
            line(Professional, RemoteTraining, Source::PlatformTraining, 20.0),
            line(Professional, TrainingCourse, Source::Organizer, 12.5),
            line(Professional, ResearchOutput, Source::Declaration, 10.0),
            line(Elective, AcademicEvent, Source::Declaration, 7.5),
            line(Professional, Other, Source::CarryOver, 18.0),
        ];
        assert_eq!(
            year_totals(&lines, &Policy::guangzhou_2021()),
            totals(30.0, 42.5, 7.5, 18.0)
        );
        assert_eq!(
            year_totals(&[], &Policy::guangzhou_2021()),
            YearTotals::default()
        );
    }

    #[test]
    fn an_activity_cap_drops_the_excess_taking_elective_hours_first() {
        let capped = |cap: f64| Policy {
            activity_caps: BTreeMap::from([(ResearchOutput, h(cap))]),
            ..Policy::guangzhou_2021()
        };
        let lines = [
            line(Professional, ResearchOutput, Source::Declaration, 20.0),
            line(Elective, ResearchOutput, Source::Declaration, 15.0),
            line(Professional, ResearchOutput, Source::Organizer, 5.0),
            line(Professional, TrainingCourse, Source::Organizer, 40.0),
            line(Elective, AcademicEvent, Source::Declaration, 10.0),
            line(Public, ResearchOutput, Source::PublicCourse, 30.0),
            line(Professional, ResearchOutput, Source::CarryOver, 50.0),
        ];
        // research_output earns 25 professional + 15 elective = 40 this year.
        let cases = [
            (40.0, totals(30.0, 65.0, 25.0, 50.0)), // at the cap: nothing dropped
            (28.0, totals(30.0, 65.0, 13.0, 50.0)), // 12 dropped from elective
            (20.0, totals(30.0, 60.0, 10.0, 50.0)), // all 15 elective, then 5 professional
            (0.5, totals(30.0, 40.5, 10.0, 50.0)),
        ];
        for (cap, expected) in cases {
            assert_eq!(year_totals(&lines, &capped(cap)), expected, "cap {cap}");
        }
    }

    #[test]
    fn a_teacher_passes_when_every_category_and_the_total_meet_their_minimums() {
        let y2021 = Policy::guangzhou_2021();
        let y2020 = policy_2020();
        // (policy, public, professional, elective, carried in) → (passed, total, carry out)
        let cases = [
            (&y2021, (30.0, 42.0, 18.0, 0.0), (true, 90.0, 0.0)),
            (&y2021, (30.0, 60.0, 18.0, 0.0), (true, 108.0, 18.0)),
            (&y2021, (60.0, 42.0, 0.0, 0.0), (false, 102.0, 0.0)), // elective short
            (&y2021, (30.0, 42.0, 17.5, 0.0), (false, 89.5, 0.0)),
            (&y2021, (29.9, 50.0, 20.0, 0.0), (false, 99.9, 0.0)),
            (&y2021, (30.0, 41.9, 30.0, 0.0), (false, 101.9, 0.0)),
            (&y2021, (30.0, 32.0, 18.0, 10.0), (true, 90.0, 0.0)), // carried in counts
            (&y2021, (30.0, 32.0, 18.0, 20.0), (true, 100.0, 10.0)),
            (&y2020, (30.0, 42.0, 12.0, 0.0), (true, 84.0, 0.0)),
            (&y2020, (30.0, 42.0, 11.5, 0.0), (false, 83.5, 0.0)),
            (&y2021, (30.0, 42.0, 12.0, 0.0), (false, 84.0, 0.0)),
        ];
        for (policy, (public, professional, elective, carried_in), (passed, total, carry)) in cases
        {
            let outcome = evaluate(&totals(public, professional, elective, carried_in), policy);
            let case = format!(
                "{}: {public}/{professional}+{carried_in}/{elective}",
                policy.year
            );
            assert_eq!(outcome.passed, passed, "{case}");
            assert_eq!(outcome.total, h(total), "{case}");
            assert_eq!(outcome.carry_out, h(carry), "{case}");
            assert_eq!(outcome.professional, h(professional + carried_in), "{case}");
            assert_eq!(outcome.carried_in, h(carried_in), "{case}");
        }
    }

    #[test]
    fn only_professional_hours_above_the_minimum_carry_over_from_a_passed_year() {
        let surplus = totals(60.0, 70.0, 40.0, 0.0); // 28 professional above 42
        let failed = totals(60.0, 70.0, 10.0, 0.0);
        let cases = [
            (with_carry_over(true, None), surplus, 28.0),
            (with_carry_over(true, Some(20.0)), surplus, 20.0), // the cap limits it
            (with_carry_over(true, Some(30.0)), surplus, 28.0),
            (with_carry_over(false, None), surplus, 0.0), // carry-over disabled
            (with_carry_over(true, None), failed, 0.0),   // a failed year carries nothing
        ];
        for (policy, totals, carry) in cases {
            assert_eq!(evaluate(&totals, &policy).carry_out, h(carry), "{policy:?}");
        }
    }

    #[test]
    fn an_outcome_serialises_hours_as_json_numbers() {
        let outcome = evaluate(&totals(30.0, 50.5, 18.0, 0.0), &Policy::guangzhou_2021());
        assert_eq!(
            serde_json::to_value(outcome).unwrap(),
            serde_json::json!({"public": 30, "professional": 50.5, "elective": 18,
                "carried_in": 0, "total": 98.5, "passed": true, "carry_out": 8.5})
        );
    }
}
