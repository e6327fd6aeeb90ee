//! Carry-over records (结转学时), derived rather than stored: the `carry_out` of a teacher's
//! verification result of year Y is their `carry_over` record of Y + 1. Writing them into
//! `records` made a first verification run insert 890,000 rows into the ledger's widest,
//! most indexed table; read from the results instead, they cost nothing to write and follow
//! every re-run by construction. Readers of the ledger add them with the helpers here.

use sqlx::AnyConnection;
use xueshi_domain::{ActivityType, Category, RecordStatus, Source};

use super::sql::Sql;
use crate::StoreResult;
use crate::models::{Record, read};

/// Appends the carry-over records as rows of `records` (the columns of `RECORD_COLUMNS`, in
/// order), from the results aliased `v`. `created_at` is when the figure was last computed.
fn push_select(q: &mut Sql) {
    q.push(
        "SELECT 'carry-' || CAST(v.year + 1 AS TEXT) || '-' || v.teacher_id AS id, \
         v.teacher_id, v.year + 1 AS year, CAST(",
    )
    .bind_code(Category::Professional)
    .push(" AS TEXT) AS category, CAST(")
    .bind_code(ActivityType::Other)
    .push(
        " AS TEXT) AS activity_type, \
         CAST(v.year AS TEXT) || '年度专业科目结转学时' AS title, v.carry_out AS hours, CAST(",
    )
    .bind_code(Source::CarryOver)
    .push(" AS TEXT) AS source, CAST(")
    .bind_code(RecordStatus::Approved)
    .push(
        " AS TEXT) AS status, CAST(NULL AS TEXT) AS course_id, \
         CAST(NULL AS TEXT) AS training_id, CAST(NULL AS TEXT) AS declaration_id, \
         CAST(NULL AS TEXT) AS start_date, CAST(NULL AS TEXT) AS end_date, \
         CAST(NULL AS TEXT) AS created_by, v.computed_at AS created_at, \
         CAST(NULL AS TEXT) AS revoke_reason \
         FROM verification_results v WHERE v.carry_out > 0",
    );
}

/// The id of a teacher's carry-over record into `year`: the same on every run, and the one
/// the records stored before migration 0006 had.
pub fn id(teacher_id: &str, year: i32) -> String {
    format!("carry-{year}-{teacher_id}")
}

/// The teacher and credit year a carry-over record id names.
fn parse_id(id: &str) -> Option<(&str, i32)> {
    let (year, teacher_id) = id.strip_prefix("carry-")?.split_once('-')?;
    Some((teacher_id, year.parse().ok()?))
}

/// The carry-over record `id` names, if it is one and it exists.
pub(crate) async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Record>> {
    let Some((teacher_id, year)) = parse_id(id) else {
        return Ok(None);
    };
    let mut q = Sql::default();
    push_select(&mut q);
    q.push(" AND v.teacher_id = ")
        .bind(teacher_id)
        .push(" AND v.year = ")
        .bind(year as i64 - 1);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Record>(&r))
        .transpose()
}

/// Appends `UNION ALL` the carry-over records of one teacher into the credit years `years`
/// (one year, from a year on, or all). Results are keyed by year first, so a range is
/// written as the few years that have a policy, which the key then finds one by one.
pub(crate) fn push_union_for_teacher(q: &mut Sql, teacher_id: &str, years: Years) {
    q.push(" UNION ALL ");
    push_select(q);
    q.push(" AND v.teacher_id = ").bind(teacher_id);
    match years {
        Years::One(y) => {
            q.push(" AND v.year = ").bind(y as i64 - 1);
        }
        Years::From(y) => {
            q.push(" AND v.year IN (SELECT year FROM policies WHERE year >= ")
                .bind(y as i64 - 1)
                .push(")");
        }
        Years::All => {
            q.push(" AND v.year IN (SELECT year FROM policies)");
        }
    }
}

/// Credit years of the records asked for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Years {
    One(i32),
    From(i32),
    All,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carry_over_id_names_its_teacher_and_year() {
        let teacher = "0191c3a2-7b7e-7000-8000-000000000001";
        assert_eq!(parse_id(&id(teacher, 2031)), Some((teacher, 2031)));
        assert_eq!(parse_id("0191c3a2-7b7e-7000-8000-000000000001"), None);
        assert_eq!(parse_id("carry-20x1-abc"), None);
    }
}
