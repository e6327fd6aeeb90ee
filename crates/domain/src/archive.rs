//! Archived entities (SPEC §1): a departed teacher (已离职) keeps every record and result but
//! is assigned no new one — not by an organiser's registration, a course completion or a
//! review's approval.

use crate::enums::TeacherStatus;

/// What any path that would credit an archived teacher answers.
pub const DEPARTED_GETS_NO_RECORDS: &str = "该教师已离职，不能登记新的学时";

/// Whether a teacher in `status` may be assigned a new record.
pub fn may_receive_records(status: TeacherStatus) -> bool {
    match status {
        TeacherStatus::Active => true,
        TeacherStatus::Departed => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_teacher_in_post_is_assigned_new_records() {
        let table = [
            (TeacherStatus::Active, true),
            (TeacherStatus::Departed, false),
        ];
        for (status, expected) in table {
            assert_eq!(may_receive_records(status), expected, "{status}");
        }
    }
}
