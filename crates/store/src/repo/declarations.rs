//! Declarations (个人申报): their rows, the review queues, and the candidates of a
//! duplicate check.

use sqlx::{AnyConnection, Row};
use xueshi_domain::authz::Scope;
use xueshi_domain::{DeclarationStatus, RecordStatus, duplicates, review};

use super::carry_over::{self, Years};
use super::clamp_limit;
use super::scope::{District, Placement, push_scope};
use super::sql::Sql;
use crate::db::Backend;
use crate::models::{DECLARATION_SELECT, Declaration, Page, RECORD_COLUMNS, Record, read};
use crate::{StoreError, StoreResult, now_ms};

pub async fn insert(c: &mut AnyConnection, d: &Declaration) -> StoreResult<()> {
    let mut q = insert_head();
    q.push("VALUES (");
    push_values(&mut q, d);
    q.push(")");
    q.execute(c).await?;
    Ok(())
}

/// Inserts `d` only if its teacher still belongs to `d.school_id` (the school was read before
/// the write transaction); `false` when the teacher has moved since.
pub async fn insert_if_at_school(c: &mut AnyConnection, d: &Declaration) -> StoreResult<bool> {
    let mut q = insert_head();
    q.push("SELECT ");
    push_values(&mut q, d);
    q.push(" WHERE EXISTS (SELECT 1 FROM teachers WHERE id = ");
    q.bind(d.teacher_id.as_str()).push(" AND school_id = ");
    q.bind(d.school_id.as_str()).push(")");
    Ok(q.execute(c).await? == 1)
}

fn insert_head() -> Sql {
    Sql::new(
        "INSERT INTO declarations (id, teacher_id, school_id, district_id, city_affiliated, \
         year, category, activity_type, title, title_normalized, organizer, start_date, \
         end_date, hours, approved_hours, status, foreign_certificate, certificate_states_hours, \
         submitted_at, queued_at, created_at, updated_at, record_id) ",
    )
}

fn push_values(q: &mut Sql, d: &Declaration) {
    q.bind(d.id.as_str()).push(", ");
    q.bind(d.teacher_id.as_str()).push(", ");
    q.bind(d.school_id.as_str()).push(", ");
    q.bind(d.district_id.clone()).push(", ");
    q.bind(d.city_affiliated).push(", ");
    q.bind(d.year as i64).push(", ");
    q.bind(d.category.as_str()).push(", ");
    q.bind(d.activity_type.as_str()).push(", ");
    q.bind(d.title.as_str()).push(", ");
    q.bind(d.title_normalized.as_str()).push(", ");
    q.bind(d.organizer.as_str()).push(", ");
    q.bind(d.start_date.as_str()).push(", ");
    q.bind(d.end_date.as_str()).push(", ");
    q.bind(d.hours.tenths()).push(", ");
    q.bind(d.approved_hours.map(|h| h.tenths())).push(", ");
    q.bind(d.status.as_str()).push(", ");
    q.bind(d.foreign_certificate).push(", ");
    q.bind(d.certificate_states_hours).push(", ");
    q.bind(d.submitted_at).push(", ");
    q.bind(d.queued_at).push(", ");
    q.bind(d.created_at).push(", ");
    q.bind(d.updated_at).push(", ");
    q.bind(d.record_id.clone());
}

pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Declaration>> {
    let mut q = Sql::new(format!("{DECLARATION_SELECT} WHERE d.id = "));
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Declaration>(&r))
        .transpose()
}

/// Declarations by id, fetched in chunks (for batch review).
pub async fn get_many(c: &mut AnyConnection, ids: &[String]) -> StoreResult<Vec<Declaration>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(format!("{DECLARATION_SELECT} WHERE d.id IN ("));
        q.bind_all(chunk.iter().map(|id| id.as_str()));
        q.push(")");
        for row in q.fetch_all(c).await? {
            found.push(read::<Declaration>(&row)?);
        }
    }
    Ok(found)
}

/// Writes what the teacher edits (the fields of the form and the derived year).
pub async fn update_content(c: &mut AnyConnection, d: &Declaration) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE declarations SET year = ");
    q.bind(d.year as i64).push(", category = ");
    q.bind(d.category.as_str()).push(", activity_type = ");
    q.bind(d.activity_type.as_str()).push(", title = ");
    q.bind(d.title.as_str()).push(", title_normalized = ");
    q.bind(d.title_normalized.as_str()).push(", organizer = ");
    q.bind(d.organizer.as_str()).push(", start_date = ");
    q.bind(d.start_date.as_str()).push(", end_date = ");
    q.bind(d.end_date.as_str()).push(", hours = ");
    q.bind(d.hours.tenths()).push(", foreign_certificate = ");
    q.bind(d.foreign_certificate)
        .push(", certificate_states_hours = ");
    q.bind(d.certificate_states_hours).push(", updated_at = ");
    q.bind(now_ms()).push(" WHERE id = ").bind(d.id.as_str());
    match q.execute(c).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Moves a declaration on from `from`, writing its status, approved hours, submission time
/// and record. `NotFound` when it is no longer in `from` (someone else acted first).
pub async fn set_status(
    c: &mut AnyConnection,
    d: &Declaration,
    from: DeclarationStatus,
) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE declarations SET status = ");
    q.bind(d.status.as_str()).push(", approved_hours = ");
    q.bind(d.approved_hours.map(|h| h.tenths()))
        .push(", submitted_at = ");
    q.bind(d.submitted_at).push(", queued_at = ");
    q.bind(d.queued_at).push(", record_id = ");
    q.bind(d.record_id.clone()).push(", updated_at = ");
    q.bind(now_ms()).push(" WHERE id = ").bind(d.id.as_str());
    q.push(" AND status = ").bind(from.as_str());
    match q.execute(c).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Marks the declaration changed (evidence added or removed).
/// Removes a draft (its evidence first removed by the caller); `false` when it is no longer
/// a draft.
pub async fn delete_draft(c: &mut AnyConnection, id: &str) -> StoreResult<bool> {
    let mut q = Sql::new("DELETE FROM declarations WHERE id = ");
    q.bind(id).push(" AND status = ");
    q.bind(xueshi_domain::DeclarationStatus::Draft.as_str());
    Ok(q.execute(c).await? == 1)
}

pub async fn touch(c: &mut AnyConnection, id: &str) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE declarations SET updated_at = ");
    q.bind(now_ms()).push(" WHERE id = ").bind(id);
    q.execute(c).await?;
    Ok(())
}

/// Marks `d` changed as a file is added to it, if it is still its teacher's, at the school
/// it was read at, editable, and holds fewer than `max_files` files; `false` otherwise (the
/// caller reads it again to say which). One statement for the upload's common case.
pub async fn touch_editable(
    c: &mut AnyConnection,
    d: &Declaration,
    max_files: usize,
) -> StoreResult<bool> {
    let mut q = Sql::new("UPDATE declarations SET updated_at = ");
    q.bind(now_ms()).push(" WHERE id = ").bind(d.id.as_str());
    q.push(" AND teacher_id = ").bind(d.teacher_id.as_str());
    q.push(" AND school_id = ").bind(d.school_id.as_str());
    q.push(" AND status IN (");
    q.bind_all(review::EDITABLE.iter().map(|status| status.as_str()));
    q.push(") AND (SELECT COUNT(*) FROM evidence WHERE declaration_id = ");
    q.bind(d.id.as_str()).push(") < ").bind(max_files as i64);
    Ok(q.execute(c).await? == 1)
}

#[derive(Clone, Debug, Default)]
pub struct DeclarationFilter {
    pub status: Option<DeclarationStatus>,
    pub year: Option<i32>,
    pub school_id: Option<String>,
    pub district_id: Option<String>,
    pub teacher_id: Option<String>,
    /// Only city-affiliated schools (`true`: the city's second-level queue) or only the
    /// others.
    pub city_affiliated: Option<bool>,
    /// 科目类别 (read from the declarations themselves: the tallies keep no category).
    pub category: Option<xueshi_domain::Category>,
    /// Latest in the queue first (a teacher's own list) instead of the queues' oldest first.
    pub newest_first: bool,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// A list cursor: the last row's queue time and id.
pub fn parse_cursor(cursor: &str) -> Option<(i64, String)> {
    let (at, id) = cursor.split_once('_')?;
    let at = at.parse().ok()?;
    (!id.is_empty()).then(|| (at, id.to_owned()))
}

fn push_scope_and_filter(q: &mut Sql, scope: &Scope, f: &DeclarationFilter) {
    let declared = Placement {
        school: Some("d.school_id"),
        district: District::Columns {
            district: "d.district_id",
            city_affiliated: "d.city_affiliated",
        },
        teacher: Some("d.teacher_id"),
        provider: None,
    };
    push_scope(q, scope, &[declared]);
    if let Some(year) = f.year {
        q.push(" AND d.year = ").bind(year as i64);
    }
    if let Some(school) = &f.school_id {
        q.push(" AND d.school_id = ").bind(school.as_str());
    }
    if let Some(district) = &f.district_id {
        q.push(" AND d.district_id = ").bind(district.as_str());
    }
    if let Some(teacher) = &f.teacher_id {
        q.push(" AND d.teacher_id = ").bind(teacher.as_str());
    }
    if let Some(category) = f.category {
        q.push(" AND d.category = ").bind(category.as_str());
    }
    // A literal, so that the city's partial queue index is seen to apply.
    if let Some(affiliated) = f.city_affiliated {
        q.push(if affiliated {
            " AND d.city_affiliated = 1"
        } else {
            " AND d.city_affiliated = 0"
        });
    }
}

/// The declarations in `scope`, oldest in the queue first, keyset-paginated.
pub async fn list(
    c: &mut AnyConnection,
    scope: &Scope,
    f: &DeclarationFilter,
) -> StoreResult<Page<Declaration>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new(format!("{DECLARATION_SELECT} WHERE 1 = 1"));
    push_scope_and_filter(&mut q, scope, f);
    if let Some(status) = f.status {
        q.push(" AND d.status = ").bind(status.as_str());
    }
    let (after, order) = if f.newest_first {
        ("<", " ORDER BY d.queued_at DESC, d.id DESC LIMIT ")
    } else {
        (">", " ORDER BY d.queued_at, d.id LIMIT ")
    };
    if let Some((at, id)) = f.cursor.as_deref().and_then(parse_cursor) {
        q.push(&format!(" AND (d.queued_at, d.id) {after} ("))
            .bind(at);
        q.push(", ").bind(id).push(")");
    }
    q.push(order).bind(limit + 1);
    let mut items = q
        .fetch_all(c)
        .await?
        .iter()
        .map(read::<Declaration>)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(super::orgs::page(&mut items, limit, |d| {
        format!("{}_{}", d.queued_at, d.id)
    }))
}

/// How many declarations of each status the scope and filter hold (the status filter aside).
/// Schools' and districts' figures come from the per-school tallies the database keeps
/// (`declaration_counts`), a teacher's from their own declarations.
pub async fn counts(
    c: &mut AnyConnection,
    scope: &Scope,
    f: &DeclarationFilter,
) -> StoreResult<Vec<(DeclarationStatus, i64)>> {
    let mut q = if matches!(scope, Scope::Teacher(_))
        || f.teacher_id.is_some()
        || f.category.is_some()
    {
        let mut q = Sql::new("SELECT d.status, COUNT(*) AS n FROM declarations d WHERE 1 = 1");
        push_scope_and_filter(&mut q, scope, f);
        q
    } else {
        // The tallies carry the same columns under the same names as the declarations.
        let mut q = Sql::new(
            "SELECT d.status, CAST(SUM(d.n) AS BIGINT) AS n FROM declaration_counts d WHERE d.n <> 0",
        );
        push_scope_and_filter(&mut q, scope, f);
        q
    };
    q.push(" GROUP BY d.status");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("status")?, row.try_get("n")?)))
        .collect()
}

/// Hours declared but not yet effective in a year: submitted or school-approved declarations
/// (at the school's approved figure once it has one), in tenths.
pub async fn pending_tenths(
    c: &mut AnyConnection,
    teacher_id: &str,
    year: i32,
) -> StoreResult<i64> {
    let mut q = Sql::new(
        "SELECT CAST(COALESCE(SUM(COALESCE(approved_hours, hours)), 0) AS BIGINT) AS pending \
         FROM declarations WHERE teacher_id = ",
    );
    q.bind(teacher_id).push(" AND year = ").bind(year as i64);
    q.push(" AND status IN ")
        .bind_codes(DeclarationStatus::IN_REVIEW);
    let row = q.query().fetch_one(c).await?;
    Ok(row.try_get("pending")?)
}

/// The teacher's other declarations that a duplicate check looks at (drafts and withdrawn
/// ones aside): those whose dates overlap `d`'s, and those holding a file identical to one of
/// `d`'s, whatever their dates, each with whether it does (`domain::duplicates` judges).
/// Submissions run it inside the write transaction.
pub async fn duplicate_candidates(
    c: &mut AnyConnection,
    d: &Declaration,
) -> StoreResult<Vec<(Declaration, bool)>> {
    let mut q = Sql::new(
        "SELECT * FROM (SELECT x.*, CASE WHEN EXISTS (SELECT 1 FROM evidence mine \
         JOIN evidence e ON e.original_sha256 = mine.original_sha256 \
         WHERE e.declaration_id = x.id AND mine.declaration_id = ",
    );
    q.bind(d.id.as_str());
    q.push(&format!(
        ") THEN 1 ELSE 0 END AS shares_a_file FROM ({DECLARATION_SELECT} WHERE d.teacher_id = "
    ));
    q.bind(d.teacher_id.as_str()).push(" AND d.id <> ");
    q.bind(d.id.as_str());
    q.push(" AND d.status NOT IN ")
        .bind_codes(duplicates::PASSED_OVER)
        .push(") x) y WHERE shares_a_file = 1 OR (start_date <= ");
    q.bind(d.end_date.as_str()).push(" AND end_date >= ");
    q.bind(d.start_date.as_str());
    // Bounded: a teacher's own declarations in one window are few.
    q.push(") ORDER BY id LIMIT 1000");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            let shares: i64 = row.try_get("shares_a_file")?;
            Ok((read::<Declaration>(row)?, shares == 1))
        })
        .collect()
}

/// The teacher's effective records, carry-overs included, that can overlap a period starting
/// in `from_year`.
pub async fn effective_records_from(
    c: &mut AnyConnection,
    teacher_id: &str,
    from_year: i32,
) -> StoreResult<Vec<Record>> {
    let mut q = Sql::new(format!(
        "SELECT {RECORD_COLUMNS} FROM records WHERE status = "
    ));
    q.bind_code(RecordStatus::Approved)
        .push(" AND teacher_id = ")
        .bind(teacher_id)
        .push(" AND year >= ")
        .bind(from_year as i64);
    carry_over::push_union_for_teacher(&mut q, teacher_id, Years::From(from_year));
    q.push(" ORDER BY year, created_at, id");
    q.fetch_all(c).await?.iter().map(read::<Record>).collect()
}

/// A declaration by id, holding its teacher's row until the transaction ends on PostgreSQL,
/// so that one teacher's submissions run one at a time (SQLite's write transaction already
/// holds the whole database). The lock does not block inserts that reference the teacher.
/// After waiting for it the declaration's row is as it was when the statement began: its
/// status may be stale, so the caller changes it only on condition of that status.
pub async fn get_locking_teacher(
    c: &mut AnyConnection,
    id: &str,
) -> StoreResult<Option<Declaration>> {
    let mut q = Sql::new(format!("{DECLARATION_SELECT} WHERE d.id = "));
    q.bind(id);
    if Backend::of(c) == Backend::Postgres {
        q.push(" FOR NO KEY UPDATE OF t");
    }
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Declaration>(&r))
        .transpose()
}
