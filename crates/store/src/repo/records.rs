use std::collections::HashSet;

use sqlx::{AnyConnection, Row};
use xueshi_domain::RecordStatus;

use super::carry_over::{self, Years};
use super::sql::Sql;
use crate::db::Backend;
use crate::models::{RECORD_COLUMNS, Record, read};
use crate::{StoreError, StoreResult, now_ms};

/// Rows per multi-row INSERT: 17 parameters each stays far below SQLite's 32766 limit.
const BATCH: usize = 1000;

fn push_values(q: &mut Sql, r: &Record, now: i64) {
    q.push("(")
        .bind(r.id.as_str())
        .push(", ")
        .bind(r.teacher_id.as_str())
        .push(", ");
    q.bind(r.year as i64)
        .push(", ")
        .bind(r.category.as_str())
        .push(", ");
    q.bind(r.activity_type.as_str())
        .push(", ")
        .bind(r.title.as_str())
        .push(", ");
    q.bind(r.hours.tenths())
        .push(", ")
        .bind(r.source.as_str())
        .push(", ");
    q.bind(r.status.as_str())
        .push(", ")
        .bind(r.course_id.clone())
        .push(", ");
    q.bind(r.training_id.clone())
        .push(", ")
        .bind(r.declaration_id.clone())
        .push(", ");
    q.bind(r.start_date.clone())
        .push(", ")
        .bind(r.end_date.clone())
        .push(", ");
    q.bind(r.created_by.clone())
        .push(", ")
        .bind(r.created_at)
        .push(", ")
        .bind(now)
        .push(")");
}

const INSERT: &str = "INSERT INTO records (id, teacher_id, year, category, activity_type, title, \
    hours, source, status, course_id, training_id, declaration_id, start_date, end_date, \
    created_by, created_at, updated_at) VALUES ";

pub async fn insert(c: &mut AnyConnection, r: &Record) -> StoreResult<()> {
    let mut q = Sql::new(INSERT);
    push_values(&mut q, r, now_ms());
    q.execute(c).await?;
    Ok(())
}

/// Records a course completion. A repeat keeps the one record and the larger hours (the
/// caller has already capped them at the course's hours); the comparison is in SQL so two
/// concurrent reports cannot lower it.
pub async fn upsert_completion(c: &mut AnyConnection, r: &Record) -> StoreResult<Record> {
    let mut q = Sql::new(INSERT);
    push_values(&mut q, r, now_ms());
    q.push(
        " ON CONFLICT (teacher_id, course_id) WHERE course_id IS NOT NULL DO UPDATE SET \
         hours = CASE WHEN excluded.hours > records.hours THEN excluded.hours ELSE records.hours END, \
         updated_at = excluded.updated_at",
    );
    q.push(&format!(" RETURNING {RECORD_COLUMNS}"));
    let row = q.query().fetch_one(c).await?;
    read::<Record>(&row)
}

/// Registers attendance: one record per teacher and event, re-registration updates it.
pub async fn upsert_attendance(c: &mut AnyConnection, rows: &[Record]) -> StoreResult<()> {
    let now = now_ms();
    // SQLite runs a small prepared statement many times faster than one with thousands of
    // parameters (which sqlx binds one by one by name); PostgreSQL prefers fewer round trips.
    let batch = if Backend::of(c) == Backend::Sqlite {
        1
    } else {
        BATCH
    };
    for chunk in rows.chunks(batch) {
        let mut q = Sql::new(INSERT);
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            push_values(&mut q, r, now);
        }
        q.push(
            " ON CONFLICT (teacher_id, training_id) WHERE training_id IS NOT NULL DO UPDATE SET \
             hours = excluded.hours, title = excluded.title, updated_at = excluded.updated_at",
        );
        q.execute(c).await?;
    }
    Ok(())
}

pub async fn registered_for(
    c: &mut AnyConnection,
    training_id: &str,
) -> StoreResult<HashSet<String>> {
    let mut q = Sql::new("SELECT teacher_id FROM records WHERE training_id = ");
    q.bind(training_id);
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("teacher_id")?))
        .collect()
}

/// A record by id, a carry-over included.
pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Record>> {
    if let Some(carried) = carry_over::get(c, id).await? {
        return Ok(Some(carried));
    }
    let mut q = Sql::new(format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = "));
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Record>(&r))
        .transpose()
}

/// A teacher's records, of one year or all, carry-overs included, oldest first.
pub async fn for_teacher(
    c: &mut AnyConnection,
    teacher_id: &str,
    year: Option<i32>,
) -> StoreResult<Vec<Record>> {
    let mut q = Sql::new(format!(
        "SELECT {RECORD_COLUMNS} FROM records WHERE teacher_id = "
    ));
    q.bind(teacher_id);
    if let Some(y) = year {
        q.push(" AND year = ").bind(y as i64);
    }
    let years = year.map_or(Years::All, Years::One);
    carry_over::push_union_for_teacher(&mut q, teacher_id, years);
    q.push(" ORDER BY year, created_at, id");
    q.fetch_all(c).await?.iter().map(read::<Record>).collect()
}

pub async fn revoke(c: &mut AnyConnection, id: &str, by: &str, reason: &str) -> StoreResult<()> {
    let now = now_ms();
    let mut q = Sql::new("UPDATE records SET status = ");
    q.bind_code(RecordStatus::Revoked)
        .push(", revoked_at = ")
        .bind(now)
        .push(", revoked_by = ")
        .bind(by)
        .push(", revoke_reason = ")
        .bind(reason);
    q.push(", updated_at = ")
        .bind(now)
        .push(" WHERE status = ")
        .bind_code(RecordStatus::Approved)
        .push(" AND id = ")
        .bind(id);
    match q.execute(c).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}
