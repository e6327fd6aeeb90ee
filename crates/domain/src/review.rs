//! The declaration review state machine (申报两级审核): school first, then district or city.

use thiserror::Error;

use crate::enums::DeclarationStatus;
use crate::hours::Hours;

domain_enum! {
    /// Which review a declaration awaits.
    ReviewLevel, "审核级别" {
        /// 学校初审
        School = "school", "学校初审";
        /// 区（市）复审: the district, or the city for city-affiliated schools.
        Second = "second", "复审";
    }
}

/// 学校初审 by the school review deadline, 区（市）复审 by the district review deadline: the
/// one place a level finds its last day.
impl crate::policy::Deadlines {
    pub fn for_level(&self, level: ReviewLevel) -> time::Date {
        match level {
            ReviewLevel::School => self.school_review,
            ReviewLevel::Second => self.district_review,
        }
    }
}

domain_enum! {
    /// A reviewer's decision.
    Decision, "审核结论" {
        /// 通过 (optionally lowering the hours: 核定学时)
        Approve = "approve", "审核通过";
        /// 退回修改
        Return = "return", "退回修改";
        /// 驳回 (不予通过), with a reason code
        Reject = "reject", "驳回";
    }
}

impl Decision {
    /// A rejection must say why, with a reason code.
    pub const fn requires_reason(&self) -> bool {
        matches!(self, Self::Reject)
    }

    /// A return must tell the teacher what to correct (退回修改须说明修改内容).
    pub const fn requires_comment(&self) -> bool {
        matches!(self, Self::Return)
    }

    /// Only an approval sets hours (核定学时); a return or rejection credits nothing.
    pub const fn may_set_hours(&self) -> bool {
        matches!(self, Self::Approve)
    }
}

/// A decision the declaration's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("“{}”状态的申报不能{}", .from.label_zh(), .decision.label_zh())]
pub struct TransitionError {
    pub from: DeclarationStatus,
    pub decision: Decision,
}

/// The review a declaration in `status` awaits, if any.
pub fn level_for(status: DeclarationStatus) -> Option<ReviewLevel> {
    match status {
        DeclarationStatus::Submitted => Some(ReviewLevel::School),
        DeclarationStatus::SchoolApproved => Some(ReviewLevel::Second),
        _ => None,
    }
}

/// The status after a review; approval at the second level makes the hours effective.
pub fn next_status(
    status: DeclarationStatus,
    decision: Decision,
) -> Result<DeclarationStatus, TransitionError> {
    use DeclarationStatus as S;
    match (level_for(status), decision) {
        (Some(ReviewLevel::School), Decision::Approve) => Ok(S::SchoolApproved),
        (Some(ReviewLevel::Second), Decision::Approve) => Ok(S::Approved),
        (Some(_), Decision::Return) => Ok(S::Returned),
        (Some(_), Decision::Reject) => Ok(S::Rejected),
        (None, _) => Err(TransitionError {
            from: status,
            decision,
        }),
    }
}

/// The statuses in which the teacher may change a declaration and its files: a draft, or one
/// returned for correction.
pub const EDITABLE: [DeclarationStatus; 2] =
    [DeclarationStatus::Draft, DeclarationStatus::Returned];

pub fn can_edit(status: DeclarationStatus) -> bool {
    EDITABLE.contains(&status)
}

/// The teacher may submit a draft, or resubmit one returned for correction.
pub fn can_submit(status: DeclarationStatus) -> bool {
    matches!(
        status,
        DeclarationStatus::Draft | DeclarationStatus::Returned
    )
}

/// A teacher may withdraw a declaration until the school has reviewed it.
pub fn can_withdraw(status: DeclarationStatus) -> bool {
    status == DeclarationStatus::Submitted
}

/// A reviewer may lower the hours (核定学时) but never raise them, nor set them to zero.
pub fn approved_hours_valid(requested: Hours, approved: Hours) -> bool {
    Hours::ZERO < approved && approved <= requested
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeclarationStatus::*;

    #[test]
    fn the_school_reviews_first_and_the_district_or_city_second() {
        for status in DeclarationStatus::ALL {
            let expected = match status {
                Submitted => Some(ReviewLevel::School),
                SchoolApproved => Some(ReviewLevel::Second),
                _ => None,
            };
            assert_eq!(level_for(*status), expected, "{status}");
        }
    }

    #[test]
    fn each_decision_asks_for_what_the_teacher_needs_to_know() {
        // (decision, reason code, comment, may set hours)
        let table = [
            (Decision::Approve, false, false, true),
            (Decision::Return, false, true, false),
            (Decision::Reject, true, false, false),
        ];
        for (decision, reason, comment, hours) in table {
            assert_eq!(decision.requires_reason(), reason, "{decision:?}");
            assert_eq!(decision.requires_comment(), comment, "{decision:?}");
            assert_eq!(decision.may_set_hours(), hours, "{decision:?}");
        }
    }

    #[test]
    fn each_review_level_has_its_own_deadline() {
        let day = |d| time::Date::from_calendar_date(2031, time::Month::January, d).unwrap();
        let deadlines = crate::policy::Deadlines {
            declaration: day(5),
            registration: day(6),
            school_review: day(10),
            district_review: day(15),
        };
        for (level, expected) in [
            (ReviewLevel::School, day(10)),
            (ReviewLevel::Second, day(15)),
        ] {
            assert_eq!(deadlines.for_level(level), expected, "{level:?}");
        }
    }

    #[test]
    fn a_review_moves_a_declaration_to_its_next_status() {
        let cases = [
            (Submitted, Decision::Approve, SchoolApproved),
            (SchoolApproved, Decision::Approve, Approved),
            (Submitted, Decision::Return, Returned),
            (SchoolApproved, Decision::Return, Returned),
            (Submitted, Decision::Reject, Rejected),
            (SchoolApproved, Decision::Reject, Rejected),
        ];
        for (from, decision, to) in cases {
            assert_eq!(next_status(from, decision), Ok(to), "{from} {decision:?}");
        }
    }

    #[test]
    fn only_declarations_awaiting_review_can_be_reviewed() {
        for from in [Draft, Approved, Returned, Rejected, Withdrawn] {
            for decision in [Decision::Approve, Decision::Return, Decision::Reject] {
                assert_eq!(
                    next_status(from, decision),
                    Err(TransitionError { from, decision }),
                    "{from} {decision:?}"
                );
            }
        }
        let error = next_status(Approved, Decision::Reject).unwrap_err();
        assert_eq!(error.to_string(), "“复审通过”状态的申报不能驳回");
        let error = next_status(Draft, Decision::Approve).unwrap_err();
        assert_eq!(error.to_string(), "“草稿”状态的申报不能审核通过");
    }

    #[test]
    fn a_teacher_edits_and_submits_drafts_and_returned_declarations_only() {
        for status in DeclarationStatus::ALL {
            let expected = matches!(status, Draft | Returned);
            assert_eq!(can_edit(*status), expected, "{status}");
            assert_eq!(can_submit(*status), expected, "{status}");
        }
    }

    #[test]
    fn a_teacher_may_withdraw_until_the_school_has_reviewed() {
        for status in DeclarationStatus::ALL {
            assert_eq!(can_withdraw(*status), *status == Submitted, "{status}");
        }
    }

    #[test]
    fn a_reviewer_may_lower_approved_hours_but_never_raise_them() {
        let h = Hours::from_tenths;
        let cases = [
            (h(300), h(300), true),
            (h(300), h(275), true),
            (h(300), h(1), true),
            (h(300), h(301), false),
            (h(300), Hours::ZERO, false),
        ];
        for (requested, approved, valid) in cases {
            assert_eq!(
                approved_hours_valid(requested, approved),
                valid,
                "{approved}"
            );
        }
    }

    #[test]
    fn only_a_rejection_requires_a_reason_code() {
        assert!(Decision::Reject.requires_reason());
        assert!(!Decision::Approve.requires_reason());
        assert!(!Decision::Return.requires_reason());
    }

    #[test]
    fn levels_and_decisions_use_the_api_codes() {
        for level in [ReviewLevel::School, ReviewLevel::Second] {
            assert_eq!(serde_json::to_value(level).unwrap(), level.as_str());
        }
        for decision in [Decision::Approve, Decision::Return, Decision::Reject] {
            assert_eq!(serde_json::to_value(decision).unwrap(), decision.as_str());
            let back: Decision = serde_json::from_value(decision.as_str().into()).unwrap();
            assert_eq!(back, decision);
        }
    }
}
