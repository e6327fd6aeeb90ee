//! The private-school teaching allowance (民办学校从教津贴, 穗教规字〔2020〕2号): a teacher of a
//! private (民办) compulsory-education school qualifies for year Y when their verification of
//! Y−1 passed.

use crate::enums::{Ownership, SchoolType};

/// School types of compulsory education (义务教育).
pub const COMPULSORY_SCHOOL_TYPES: [SchoolType; 3] = [
    SchoolType::Primary,
    SchoolType::Secondary,
    SchoolType::NineYear,
];

/// The allowance list covers teachers of private compulsory-education schools.
pub fn covers(ownership: Ownership, school_type: SchoolType) -> bool {
    ownership == Ownership::Private && COMPULSORY_SCHOOL_TYPES.contains(&school_type)
}

/// Whether a teacher of a school with `ownership` and `school_type` qualifies, given their
/// verification of the previous year (`None`: no result).
pub fn eligible(
    ownership: Ownership,
    school_type: SchoolType,
    previous_year_passed: Option<bool>,
) -> bool {
    covers(ownership, school_type) && previous_year_passed == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ownership::*;
    use SchoolType::*;

    #[test]
    fn private_compulsory_school_teachers_qualify_after_a_passed_year() {
        let table = [
            (Private, Primary, Some(true), true),
            (Private, Secondary, Some(true), true),
            (Private, NineYear, Some(true), true),
            (Private, Primary, Some(false), false),
            (Private, Primary, None, false),
            (Private, Kindergarten, Some(true), false),
            (Private, Vocational, Some(true), false),
            (Private, SpecialEducation, Some(true), false),
            (Public, Primary, Some(true), false),
        ];
        for (ownership, school_type, passed, expected) in table {
            assert_eq!(
                eligible(ownership, school_type, passed),
                expected,
                "{ownership} {school_type} {passed:?}"
            );
        }
    }
}
