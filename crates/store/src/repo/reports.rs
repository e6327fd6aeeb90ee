//! Reports of a year (SPEC §7), computed set-based: every query reads one relation `facts`
//! (teacher, school, hours per category, total, passed), taken from the stored verification
//! results when the year has been verified, or else from live progress summed in SQL over the
//! effective records with the same rules as the verification run (activity caps, carried
//! hours). A test checks that the live facts of a year equal its verified results.

use sqlx::{AnyConnection, Row};
use xueshi_domain::authz::Scope;
use xueshi_domain::{
    Category, DeclarationStatus, Hours, OrgKind, OrgStatus, Policy, TeacherStatus,
};

use super::scope::Placement;
use super::sql::Sql;
use crate::StoreResult;
use crate::models::{ORG_COLUMNS, Org, read};

/// Where the facts come from.
#[derive(Clone, Copy, Debug)]
pub enum Basis<'a> {
    /// The stored results of the year's verification run.
    Verified(i32),
    /// Provisional progress under the year's policy.
    Live(&'a Policy),
}

/// Which schools a report covers: the caller's scope, optionally narrowed.
#[derive(Clone, Debug)]
pub struct Reach<'a> {
    pub scope: &'a Scope,
    /// A district's own schools (city-affiliated ones excepted, as in its scope).
    pub district_id: Option<&'a str>,
    pub school_id: Option<&'a str>,
}

/// Restricts a query to rows whose school (`column`) is within `reach`.
pub fn push_reach(q: &mut Sql, column: &str, reach: &Reach<'_>) {
    let own_district = |q: &mut Sql, d: &str| {
        q.push(&format!(
            " AND {column} IN (SELECT id FROM orgs WHERE district_id = "
        ));
        q.bind(d).push(" AND city_affiliated = 0)");
    };
    super::scope::push_scope(q, reach.scope, &[Placement::of_org(column)]);
    if let Some(d) = reach.district_id {
        own_district(q, d);
    }
    if let Some(s) = reach.school_id {
        q.push(&format!(" AND {column} = ")).bind(s);
    }
}

/// Starts `q` with `WITH … facts AS (…)`: one row per teacher of the basis within `reach`,
/// with columns teacher_id, school_id, pub, prof (carried hours included), elec, carried,
/// total, passed (0/1), all BIGINT.
pub fn push_facts(q: &mut Sql, basis: Basis<'_>, reach: &Reach<'_>) {
    match basis {
        Basis::Verified(year) => {
            q.push(
                "WITH facts AS (SELECT teacher_id, school_id, CAST(public_hours AS BIGINT) AS pub, \
                 CAST(professional_hours AS BIGINT) AS prof, CAST(elective_hours AS BIGINT) AS elec, \
                 CAST(carried_in AS BIGINT) AS carried, CAST(total_hours AS BIGINT) AS total, \
                 CAST(passed AS BIGINT) AS passed FROM verification_results WHERE year = ",
            );
            q.bind(year as i64);
            push_reach(q, "school_id", reach);
            q.push(")");
        }
        Basis::Live(policy) => {
            push_live(q, policy, reach);
            q.push(
                ", facts AS (SELECT teacher_id, school_id, CAST(pub AS BIGINT) AS pub, \
                 CAST(prof AS BIGINT) AS prof, CAST(elec AS BIGINT) AS elec, \
                 CAST(carried AS BIGINT) AS carried, CAST(pub + prof + elec AS BIGINT) AS total, \
                 CAST(passed AS BIGINT) AS passed FROM judged)",
            );
        }
    }
}

/// The verification's rules over the teachers whose current school is within `reach`,
/// ending in `judged` (see `verification::push_judged`).
fn push_live(q: &mut Sql, policy: &Policy, reach: &Reach<'_>) {
    q.push("WITH ");
    let restrict = |q: &mut Sql| push_reach(q, "t.school_id", reach);
    super::verification::push_judged(q, policy, Some(&restrict));
}

/// Hours per category and in all, of one teacher or summed over a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct CategoryHours {
    #[sqlx(rename = "pub")]
    pub public: Hours,
    /// Includes carried hours.
    #[sqlx(rename = "prof")]
    pub professional: Hours,
    #[sqlx(rename = "elec")]
    pub elective: Hours,
    pub total: Hours,
}

/// One school's teachers in the facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchoolTally {
    pub school_id: String,
    pub teachers: i64,
    pub passed: i64,
    pub hours: CategoryHours,
}

/// Teachers, passed and summed hours per school.
pub async fn tallies(
    c: &mut AnyConnection,
    basis: Basis<'_>,
    reach: &Reach<'_>,
) -> StoreResult<Vec<SchoolTally>> {
    let mut q = Sql::new("");
    push_facts(&mut q, basis, reach);
    q.push(
        " SELECT school_id, COUNT(*) AS teachers, CAST(SUM(passed) AS BIGINT) AS passed, \
         CAST(SUM(pub) AS BIGINT) AS pub, CAST(SUM(prof) AS BIGINT) AS prof, \
         CAST(SUM(elec) AS BIGINT) AS elec, CAST(SUM(total) AS BIGINT) AS total \
         FROM facts GROUP BY school_id",
    );
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            Ok(SchoolTally {
                school_id: row.try_get("school_id")?,
                teachers: row.try_get("teachers")?,
                passed: row.try_get("passed")?,
                hours: read::<CategoryHours>(row)?,
            })
        })
        .collect()
}

/// Declarations waiting for review, per school (the teacher's current school).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingTally {
    pub school_id: String,
    /// `submitted`: waiting for the school (学校初审).
    pub school: i64,
    /// `school_approved`: waiting for the district or the city (二级审核).
    pub second: i64,
}

/// The columns `school` (待初审) and `second` (待复审) summed from the declaration counts
/// aliased by `alias` (`"d."`, or `""` for none).
pub(crate) fn push_pending_sums(q: &mut Sql, alias: &str) {
    q.push(&format!("CAST(SUM(CASE WHEN {alias}status = "))
        .bind_code(DeclarationStatus::Submitted)
        .push(&format!(
            " THEN {alias}n ELSE 0 END) AS BIGINT) AS school, "
        ))
        .push(&format!("CAST(SUM(CASE WHEN {alias}status = "))
        .bind_code(DeclarationStatus::SchoolApproved)
        .push(&format!(" THEN {alias}n ELSE 0 END) AS BIGINT) AS second"));
}

pub async fn pending(
    c: &mut AnyConnection,
    year: i32,
    reach: &Reach<'_>,
) -> StoreResult<Vec<PendingTally>> {
    let mut q = Sql::new("SELECT d.school_id, ");
    push_pending_sums(&mut q, "d.");
    q.push(" FROM declaration_counts d WHERE d.status IN ")
        .bind_codes(DeclarationStatus::IN_REVIEW)
        .push(" AND d.year = ")
        .bind(year as i64);
    push_reach(&mut q, "d.school_id", reach);
    q.push(" GROUP BY d.school_id");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            Ok(PendingTally {
                school_id: row.try_get("school_id")?,
                school: row.try_get("school")?,
                second: row.try_get("second")?,
            })
        })
        .collect()
}

/// The schools within `reach` (active ones, and archived ones when `archived` is set).
pub async fn schools(
    c: &mut AnyConnection,
    reach: &Reach<'_>,
    archived: bool,
) -> StoreResult<Vec<Org>> {
    let mut q = Sql::new(format!("SELECT {ORG_COLUMNS} FROM orgs WHERE kind = "));
    q.bind_code(OrgKind::School);
    if !archived {
        q.push(" AND status = ").bind_code(OrgStatus::Active);
    }
    push_reach(&mut q, "id", reach);
    q.push(" ORDER BY name, id");
    q.fetch_all(c).await?.iter().map(read::<Org>).collect()
}

/// Every district, in the official order ([`xueshi_domain::district_order`]).
pub async fn districts(c: &mut AnyConnection) -> StoreResult<Vec<Org>> {
    let mut q = Sql::new(format!("SELECT {ORG_COLUMNS} FROM orgs WHERE kind = "));
    q.bind_code(OrgKind::District).push(" ORDER BY name, id");
    let mut found = q
        .fetch_all(c)
        .await?
        .iter()
        .map(read::<Org>)
        .collect::<StoreResult<Vec<_>>>()?;
    found.sort_by_cached_key(|d| xueshi_domain::district_order(&d.name));
    Ok(found)
}

/// A teacher still short of a minimum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub teacher_id: String,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub status: String,
    pub user_id: Option<String>,
    pub school_id: String,
    pub school_name: String,
    pub hours: CategoryHours,
}

#[derive(Clone, Debug, Default)]
pub struct ShortfallFilter {
    /// Only those short in this category; `None` for any shortfall (the total included).
    pub category: Option<Category>,
    /// Only the total short (every category met).
    pub total_only: bool,
    /// Leave out departed teachers.
    pub active_only: bool,
    pub cursor: Option<String>,
    /// `None`: every row.
    pub limit: Option<i64>,
}

/// Teachers who do not meet the minimums of `policy`, by teacher id.
pub async fn shortfalls(
    c: &mut AnyConnection,
    v: &xueshi_vault::Vault,
    basis: Basis<'_>,
    policy: &Policy,
    reach: &Reach<'_>,
    f: &ShortfallFilter,
) -> StoreResult<Vec<Shortfall>> {
    let m = &policy.minimums;
    let mut q = Sql::new("");
    push_facts(&mut q, basis, reach);
    q.push(
        " SELECT f.*, t.name, t.id_number, t.phone, t.status, s.name AS school_name, \
         (SELECT u.id FROM users u WHERE u.teacher_id = t.id) AS user_id \
         FROM facts f JOIN teachers t ON t.id = f.teacher_id JOIN orgs s ON s.id = f.school_id \
         WHERE (f.pub < ",
    );
    q.bind(m.public.tenths())
        .push(" OR f.prof < ")
        .bind(m.professional.tenths());
    q.push(" OR f.elec < ")
        .bind(m.elective.tenths())
        .push(" OR f.total < ")
        .bind(m.total.tenths())
        .push(")");
    match f.category {
        Some(Category::Public) => q.push(" AND f.pub < ").bind(m.public.tenths()),
        Some(Category::Professional) => q.push(" AND f.prof < ").bind(m.professional.tenths()),
        Some(Category::Elective) => q.push(" AND f.elec < ").bind(m.elective.tenths()),
        None => &mut q,
    };
    if f.total_only {
        q.push(" AND f.total < ").bind(m.total.tenths());
    }
    if f.active_only {
        q.push(" AND t.status = ").bind_code(TeacherStatus::Active);
    }
    if let Some(cursor) = &f.cursor {
        q.push(" AND f.teacher_id > ").bind(cursor.as_str());
    }
    q.push(" ORDER BY f.teacher_id");
    if let Some(limit) = f.limit {
        q.push(" LIMIT ").bind(limit);
    }
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            let teacher_id: String = row.try_get("teacher_id")?;
            let open = |field: &str, sealed: String| {
                crate::sealed::open_field(v, &teacher_id, field, &sealed)
            };
            Ok(Shortfall {
                id_number: open("id_number", row.try_get("id_number")?)?,
                phone: row
                    .try_get::<Option<String>, _>("phone")?
                    .map(|p| open("phone", p))
                    .transpose()?,
                teacher_id: teacher_id.clone(),
                name: row.try_get("name")?,
                status: row.try_get("status")?,
                user_id: row.try_get("user_id")?,
                school_id: row.try_get("school_id")?,
                school_name: row.try_get("school_name")?,
                hours: read::<CategoryHours>(row)?,
            })
        })
        .collect()
}
