use sqlx::{AnyConnection, Row};
use xueshi_domain::authz::Scope;
use xueshi_domain::{IdNumber, TeacherStatus};
use xueshi_vault::Vault;

use super::clamp_limit;
use super::orgs::page;
use super::scope::Placement;
use super::sql::Sql;
use crate::models::{Filing, Page, TEACHER_COLUMNS, Teacher};
use crate::sealed::{id_number_index, seal_field};
use crate::{StoreError, StoreResult, now_ms};

/// The teacher's ID number and phone as stored: sealed to the row, with the number's index.
fn sealed_fields(v: &Vault, t: &Teacher) -> (String, String, Option<String>) {
    (
        seal_field(v, &t.id, "id_number", &t.id_number),
        id_number_index(v, &t.id_number),
        t.phone.as_deref().map(|p| seal_field(v, &t.id, "phone", p)),
    )
}

pub async fn insert(c: &mut AnyConnection, v: &Vault, t: &Teacher) -> StoreResult<()> {
    let (number, index, phone) = sealed_fields(v, t);
    let mut q = Sql::new(
        "INSERT INTO teachers (id, name, id_number, id_number_index, school_id, phone, status, \
         departed_on, created_at, updated_at) VALUES (",
    );
    q.bind(t.id.as_str())
        .push(", ")
        .bind(t.name.as_str())
        .push(", ");
    q.bind(number).push(", ").bind(index).push(", ");
    q.bind(t.school_id.as_str()).push(", ");
    q.bind(phone).push(", ").bind(t.status.as_str()).push(", ");
    q.bind(t.departed_on.clone())
        .push(", ")
        .bind(t.created_at)
        .push(", ");
    q.bind(t.created_at).push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, v: &Vault, id: &str) -> StoreResult<Option<Teacher>> {
    let mut q = Sql::new(format!(
        "SELECT {TEACHER_COLUMNS} FROM teachers t WHERE t.id = "
    ));
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| Teacher::from_row(&r, v))
        .transpose()
}

/// Teachers by id (a page of a review queue), in no particular order.
pub async fn get_many(
    c: &mut AnyConnection,
    v: &Vault,
    ids: &[String],
) -> StoreResult<Vec<Teacher>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(format!(
            "SELECT {TEACHER_COLUMNS} FROM teachers t WHERE t.id IN ("
        ));
        q.bind_all(chunk.iter().map(|id| id.as_str()));
        q.push(")");
        for row in q.fetch_all(c).await? {
            found.push(Teacher::from_row(&row, v)?);
        }
    }
    Ok(found)
}

/// The teacher's name and current school, in one read, for a new declaration.
pub async fn filing(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Filing>> {
    let mut q = Sql::new(
        "SELECT t.name, t.school_id, o.district_id, o.city_affiliated FROM teachers t \
         JOIN orgs o ON o.id = t.school_id WHERE t.id = ",
    );
    q.bind(id);
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    Ok(Some(Filing {
        teacher_name: row.try_get("name")?,
        school_id: row.try_get("school_id")?,
        district_id: row.try_get("district_id")?,
        city_affiliated: row.try_get::<i64, _>("city_affiliated")? != 0,
    }))
}

/// The teacher registered under `id_number` (normalised), found through its blind index.
pub async fn by_id_number(
    c: &mut AnyConnection,
    v: &Vault,
    id_number: &str,
) -> StoreResult<Option<Teacher>> {
    let mut q = Sql::new(format!(
        "SELECT {TEACHER_COLUMNS} FROM teachers t WHERE t.id_number_index = "
    ));
    q.bind(id_number_index(v, id_number));
    q.fetch_optional(c)
        .await?
        .map(|r| Teacher::from_row(&r, v))
        .transpose()
}

#[derive(Clone, Debug, Default)]
pub struct TeacherFilter {
    pub school_id: Option<String>,
    pub district_id: Option<String>,
    /// A substring of the name, or a whole ID number.
    pub q: Option<String>,
    pub status: Option<TeacherStatus>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Restricts a query over `teachers t` to the scope.
pub fn push_scope(q: &mut Sql, scope: &Scope) {
    super::scope::push_scope(q, scope, &[Placement::teacher_at("t.id", "t.school_id")]);
}

pub async fn list(
    c: &mut AnyConnection,
    v: &Vault,
    scope: &Scope,
    f: &TeacherFilter,
) -> StoreResult<Page<Teacher>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new(format!(
        "SELECT {TEACHER_COLUMNS} FROM teachers t WHERE 1 = 1"
    ));
    push_scope(&mut q, scope);
    if let Some(school) = &f.school_id {
        q.push(" AND t.school_id = ").bind(school.as_str());
    }
    if let Some(district) = &f.district_id {
        q.push(" AND t.school_id IN (SELECT id FROM orgs WHERE district_id = ");
        q.bind(district.as_str()).push(")");
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND (t.name LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\'");
        // A whole ID number is matched exactly, through its index: sealed numbers have no
        // substrings to search.
        if let Ok(number) = IdNumber::parse(text) {
            q.push(" OR t.id_number_index = ")
                .bind(id_number_index(v, number.as_str()));
        }
        q.push(")");
    }
    if let Some(status) = f.status {
        q.push(" AND t.status = ").bind(status.as_str());
    }
    if let Some(cursor) = &f.cursor {
        q.push(" AND t.id > ").bind(cursor.as_str());
    }
    q.push(" ORDER BY t.id LIMIT ").bind(limit + 1);
    let rows = q.fetch_all(c).await?;
    let mut items = rows
        .iter()
        .map(|r| Teacher::from_row(r, v))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(&mut items, limit, |t| t.id.clone()))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Writes the teacher's mutable fields as given.
pub async fn update(c: &mut AnyConnection, v: &Vault, t: &Teacher) -> StoreResult<()> {
    let (number, index, phone) = sealed_fields(v, t);
    let mut q = Sql::new("UPDATE teachers SET name = ");
    q.bind(t.name.as_str())
        .push(", id_number = ")
        .bind(number)
        .push(", id_number_index = ")
        .bind(index);
    q.push(", school_id = ")
        .bind(t.school_id.as_str())
        .push(", phone = ")
        .bind(phone);
    q.push(", status = ")
        .bind(t.status.as_str())
        .push(", departed_on = ")
        .bind(t.departed_on.clone());
    q.push(", updated_at = ")
        .bind(now_ms())
        .push(" WHERE id = ")
        .bind(t.id.as_str());
    match q.execute(c).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Teachers whose id, or ID number (normalised), is one of `values`, fetched in chunks.
pub async fn find_many(
    c: &mut AnyConnection,
    v: &Vault,
    by_id_number: bool,
    values: &[String],
) -> StoreResult<Vec<Teacher>> {
    let column = if by_id_number {
        "t.id_number_index"
    } else {
        "t.id"
    };
    let mut found = Vec::with_capacity(values.len());
    for chunk in values.chunks(1000) {
        let mut q = Sql::new(format!(
            "SELECT {TEACHER_COLUMNS} FROM teachers t WHERE {column} IN ("
        ));
        q.bind_all(chunk.iter().map(|value| {
            if by_id_number {
                id_number_index(v, value)
            } else {
                value.clone()
            }
        }));
        q.push(")");
        for row in q.fetch_all(c).await? {
            found.push(Teacher::from_row(&row, v)?);
        }
    }
    Ok(found)
}

/// Active teachers in the scope.
pub async fn count_active(c: &mut AnyConnection, scope: &Scope) -> StoreResult<i64> {
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM teachers t WHERE t.status = ");
    q.bind_code(TeacherStatus::Active);
    push_scope(&mut q, scope);
    let row = q.query().fetch_one(c).await?;
    Ok(sqlx::Row::try_get(&row, "n")?)
}
