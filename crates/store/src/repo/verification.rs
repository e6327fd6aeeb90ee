//! The annual verification (年度验证), computed set-based in the database: one statement
//! sums every teacher's effective records of the year by category (applying the policy's
//! activity caps) and the hours carried in from the previous year's results, judges them
//! against the minimums and stores the results. A result's carry-out is the teacher's
//! carry-over record of the next year (see `carry_over`). `xueshi_domain::ledger` holds the
//! same rules for one teacher; a test checks both agree.

use sqlx::{AnyConnection, Row};
use xueshi_domain::authz::Scope;
use xueshi_domain::{Category, Hours, Policy, RecordStatus, TeacherStatus};

use super::clamp_limit;
use super::orgs::page;
use super::sql::Sql;
use crate::db::Backend;
use crate::models::{Page, VerificationResult, read};
use crate::{StoreResult, now_ms};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub year: i32,
    pub teachers: i64,
    pub passed: i64,
    pub carried_over: Hours,
}

/// The last millisecond of 31 December of `year`, Shanghai time.
fn year_end_ms(year: i32) -> i64 {
    let next =
        time::Date::from_calendar_date(year + 1, time::Month::January, 1).expect("valid year");
    let midnight = next.midnight().assume_offset(xueshi_domain::SHANGHAI);
    (midnight.unix_timestamp_nanos() / 1_000_000) as i64 - 1
}

/// Serialises verification runs on PostgreSQL (SQLite's single writer already does) and sets
/// the planner up for bulk work.
async fn lock(c: &mut AnyConnection) -> StoreResult<()> {
    if Backend::of(c) == Backend::Postgres {
        Sql::new("LOCK TABLE verification_results IN EXCLUSIVE MODE")
            .execute(c)
            .await?;
    }
    plan_for_bulk(c).await
}

/// Every statement of a run joins a million rows: hash them in memory. A nested loop, which
/// stale or empty-table estimates can make PostgreSQL's planner pick, is quadratic here.
async fn plan_for_bulk(c: &mut AnyConnection) -> StoreResult<()> {
    if Backend::of(c) == Backend::Postgres {
        Sql::new("SET LOCAL work_mem = '256MB'").execute(c).await?;
        Sql::new("SET LOCAL enable_nestloop = off")
            .execute(c)
            .await?;
    }
    Ok(())
}

/// The `sums` CTE: per teacher, effective hours of the year's records by category. With
/// activity caps, a capped type loses its excess from elective hours first, then
/// professional; without caps (the usual case) one pass over the records suffices.
fn push_sums(q: &mut Sql, policy: &Policy, restrict: Restrict<'_>) {
    let from_records = |q: &mut Sql| {
        for (category, alias) in [
            (Category::Public, "pub, "),
            (Category::Professional, "prof, "),
            (Category::Elective, "elec"),
        ] {
            q.push("SUM(CASE WHEN r.category = ")
                .bind_code(category)
                .push(" THEN r.hours ELSE 0 END) AS ")
                .push(alias);
        }
        q.push(" FROM records r WHERE r.status = ")
            .bind_code(RecordStatus::Approved)
            .push(" AND r.year = ")
            .bind(policy.year as i64);
        if let Some(restrict) = restrict {
            q.push(" AND r.teacher_id IN (SELECT t.id FROM teachers t WHERE 1 = 1");
            restrict(q);
            q.push(")");
        }
    };
    if policy.activity_caps.is_empty() {
        q.push("sums AS (SELECT r.teacher_id, ");
        from_records(q);
        q.push(" GROUP BY r.teacher_id)");
        return;
    }
    q.push("caps (activity_type, cap) AS (VALUES ");
    for (i, (activity, cap)) in policy.activity_caps.iter().enumerate() {
        q.push(if i == 0 { "(CAST(" } else { ", (CAST(" });
        q.bind(activity.as_str())
            .push(" AS TEXT), CAST(")
            .bind(cap.tenths())
            .push(" AS BIGINT))");
    }
    q.push("), per_type AS (SELECT r.teacher_id, r.activity_type, ");
    from_records(q);
    q.push(
        " GROUP BY r.teacher_id, r.activity_type), \
         capped AS ( \
           SELECT p.teacher_id, p.pub, p.prof, p.elec, \
             CASE WHEN c.cap IS NULL OR p.prof + p.elec <= c.cap THEN 0 ELSE p.prof + p.elec - c.cap END AS excess \
           FROM per_type p LEFT JOIN caps c ON c.activity_type = p.activity_type), \
         sums AS ( \
           SELECT teacher_id, SUM(pub) AS pub, \
             SUM(prof - CASE WHEN excess > elec THEN excess - elec ELSE 0 END) AS prof, \
             SUM(elec - CASE WHEN excess > elec THEN elec ELSE excess END) AS elec \
           FROM capped GROUP BY teacher_id)",
    );
}

/// Appends conditions on the teachers aliased `t` (e.g. a report's scope).
pub type Restrict<'a> = Option<&'a dyn Fn(&mut Sql)>;

/// The rules of the year's verification as CTEs, ending in `judged`: one row per teacher of
/// the year's cohort (not departed before 1 January, and there by 31 December or holding a
/// record of the year, a carry-over included) with teacher_id, school_id, pub, prof (carried
/// hours included), elec, carried, total and passed (0/1). The verification run stores it;
/// live reports read it. Every CTE is referenced once, so the planner inlines it.
pub fn push_judged(q: &mut Sql, policy: &Policy, restrict: Restrict<'_>) {
    push_sums(q, policy, restrict);
    // The carry-over record of the year is the previous year's carry-out (see `carry_over`),
    // joined here rather than added to the records summed: the planner then knows how many
    // teachers it groups and aggregates in one parallel hash, without a sort.
    q.push(
        ", totals AS ( \
           SELECT t.id AS teacher_id, t.school_id, COALESCE(s.pub, 0) AS pub, \
             COALESCE(s.prof, 0) + COALESCE(c.carry_out, 0) AS prof, COALESCE(s.elec, 0) AS elec, \
             COALESCE(c.carry_out, 0) AS carried \
           FROM teachers t LEFT JOIN sums s ON s.teacher_id = t.id \
           LEFT JOIN verification_results c ON c.teacher_id = t.id AND c.carry_out > 0 AND c.year = ",
    );
    q.bind(policy.year as i64 - 1);
    q.push(" WHERE (t.status <> ")
        .bind_code(TeacherStatus::Departed)
        .push(" OR t.departed_on >= ")
        .bind(format!("{:04}-01-01", policy.year))
        .push(") AND (t.created_at <= ")
        .bind(year_end_ms(policy.year))
        .push(" OR s.teacher_id IS NOT NULL OR c.teacher_id IS NOT NULL)");
    if let Some(restrict) = restrict {
        restrict(q);
    }
    q.push(
        "), judged AS ( \
           SELECT teacher_id, school_id, pub, prof, elec, carried, pub + prof + elec AS total, \
             CASE WHEN pub >= ",
    );
    let m = &policy.minimums;
    q.bind(m.public.tenths())
        .push(" AND prof >= ")
        .bind(m.professional.tenths());
    q.push(" AND elec >= ")
        .bind(m.elective.tenths())
        .push(" AND pub + prof + elec >= ")
        .bind(m.total.tenths());
    q.push(" THEN 1 ELSE 0 END AS passed FROM totals)");
}

/// What [`run_year`] would store for `policy.year`, summed without writing anything (模拟验证).
/// `c` is a read transaction: it neither locks the results nor waits for writers.
pub async fn preview_year(c: &mut AnyConnection, policy: &Policy) -> StoreResult<Summary> {
    plan_for_bulk(c).await?;
    let mut q = Sql::new(
        "SELECT COUNT(*) AS teachers, CAST(COALESCE(SUM(passed), 0) AS BIGINT) AS passed, \
         CAST(COALESCE(SUM(carry_out), 0) AS BIGINT) AS carried FROM (WITH ",
    );
    push_results(&mut q, policy);
    q.push(") preview");
    let row = q.query().fetch_one(c).await?;
    Ok(Summary {
        year: policy.year,
        teachers: row.try_get("teachers")?,
        passed: row.try_get("passed")?,
        carried_over: Hours::from_tenths(row.try_get("carried")?),
    })
}

/// Whether `year` has been verified (has stored results).
pub async fn has_results(c: &mut AnyConnection, year: i32) -> StoreResult<bool> {
    let mut q = Sql::new("SELECT 1 AS one FROM verification_results WHERE year = ");
    q.bind(year as i64).push(" LIMIT 1");
    Ok(q.fetch_optional(c).await?.is_some())
}

/// Verifies `policy.year`: brings its results in line with the records (and with the
/// previous year's results, whose carry-out is this year's carry-in). Only rows whose figures
/// changed are written, so a re-run after a few amendments writes a few rows, not a million.
pub async fn run_year(c: &mut AnyConnection, policy: &Policy) -> StoreResult<Summary> {
    lock(c).await?;
    let year = policy.year as i64;
    let postgres = Backend::of(c) == Backend::Postgres;
    let first = !has_results(c, policy.year).await?;
    // A run that failed on this connection may have left its stage behind (SQLite).
    Sql::new("DROP TABLE IF EXISTS verification_stage")
        .execute(c)
        .await?;
    // PostgreSQL never parallelises the SELECT of an INSERT, but does that of a CREATE TABLE
    // AS: computing into a temporary table first lets both cores aggregate.
    let mut q = Sql::new(if postgres {
        "CREATE TEMP TABLE verification_stage ON COMMIT DROP AS WITH "
    } else {
        "CREATE TEMP TABLE verification_stage AS WITH "
    });
    push_results(&mut q, policy);
    q.execute(c).await?;
    if first {
        // Nothing stored to compare with: every row is new, and no index or statistics of
        // the stage are needed to find which.
        Sql::new(format!("{INSERT_RESULTS} {FROM_STAGE}"))
            .execute(c)
            .await?;
    } else {
        analyze(c, "verification_stage").await?;
        sync_results(c, year).await?;
    }
    Sql::new("DROP TABLE verification_stage").execute(c).await?;
    analyze(c, "verification_results").await?;
    summary(c, policy.year).await
}

const INSERT_RESULTS: &str = "INSERT INTO verification_results (year, teacher_id, school_id, \
    public_hours, professional_hours, elective_hours, carried_in, total_hours, passed, carry_out, \
    computed_at)";

const FROM_STAGE: &str = "SELECT year, teacher_id, school_id, pub, prof, elec, carried, total, \
    passed, carry_out, computed_at FROM verification_stage s";

/// Appends the CTEs of `push_judged` and a SELECT of the year's results in the stage's
/// columns: year, teacher_id, school_id, pub, prof, elec, carried, total, passed, carry_out,
/// computed_at.
fn push_results(q: &mut Sql, policy: &Policy) {
    push_judged(q, policy, None);
    let m = &policy.minimums;
    q.push(" SELECT ").bind(policy.year as i64);
    q.push(" AS year, teacher_id, school_id, pub, prof, elec, carried, total, passed, CASE WHEN passed = 1 AND ");
    q.bind(policy.carry_over.enabled)
        .push(" = 1 AND prof > ")
        .bind(m.professional.tenths());
    q.push(" THEN (CASE WHEN prof - ")
        .bind(m.professional.tenths())
        .push(" > ");
    q.bind(policy.carry_over.cap.map(Hours::tenths))
        .push(" THEN ")
        .bind(policy.carry_over.cap.map(Hours::tenths));
    q.push(" ELSE prof - ")
        .bind(m.professional.tenths())
        .push(" END) ELSE 0 END AS carry_out, ")
        .bind(now_ms());
    q.push(" AS computed_at FROM judged");
}

/// Refreshes PostgreSQL's statistics of a table just written in bulk: with the counts of
/// before the run, the planner picks nested loops over a million rows (minutes instead of
/// seconds). SQLite plans without them.
async fn analyze(c: &mut AnyConnection, table: &'static str) -> StoreResult<()> {
    if Backend::of(c) == Backend::Postgres {
        Sql::new(format!("ANALYZE {table}")).execute(c).await?;
    }
    Ok(())
}

/// Makes the stored results of `year` equal to the freshly computed `verification_stage`.
async fn sync_results(c: &mut AnyConnection, year: i64) -> StoreResult<()> {
    Sql::new("CREATE INDEX verification_stage_teacher ON verification_stage (teacher_id)")
        .execute(c)
        .await?;
    let mut q = Sql::new(
        "DELETE FROM verification_results WHERE NOT EXISTS (SELECT 1 FROM verification_stage s \
         WHERE s.teacher_id = verification_results.teacher_id) AND year = ",
    );
    q.bind(year);
    q.execute(c).await?;
    let mut q = Sql::new(
        "UPDATE verification_results SET school_id = s.school_id, public_hours = s.pub, \
         professional_hours = s.prof, elective_hours = s.elec, carried_in = s.carried, \
         total_hours = s.total, passed = s.passed, carry_out = s.carry_out, computed_at = s.computed_at \
         FROM verification_stage s WHERE s.teacher_id = verification_results.teacher_id \
         AND (verification_results.school_id <> s.school_id \
           OR verification_results.public_hours <> s.pub \
           OR verification_results.professional_hours <> s.prof \
           OR verification_results.elective_hours <> s.elec \
           OR verification_results.carried_in <> s.carried \
           OR verification_results.passed <> s.passed \
           OR verification_results.carry_out <> s.carry_out) \
         AND verification_results.year = ",
    );
    q.bind(year);
    q.execute(c).await?;
    let mut q = Sql::new(format!(
        "{INSERT_RESULTS} {FROM_STAGE} WHERE NOT EXISTS (SELECT 1 FROM verification_results v \
         WHERE v.teacher_id = s.teacher_id AND v.year = "
    ));
    q.bind(year).push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn summary(c: &mut AnyConnection, year: i32) -> StoreResult<Summary> {
    let mut q = Sql::new(
        "SELECT COUNT(*) AS teachers, CAST(COALESCE(SUM(passed), 0) AS BIGINT) AS passed, \
         CAST(COALESCE(SUM(carry_out), 0) AS BIGINT) AS carried FROM verification_results WHERE year = ",
    );
    q.bind(year as i64);
    let row = q.query().fetch_one(c).await?;
    Ok(Summary {
        year,
        teachers: row.try_get("teachers")?,
        passed: row.try_get("passed")?,
        carried_over: Hours::from_tenths(row.try_get("carried")?),
    })
}

/// Years after `year` that already have results, in order (to re-derive after a change).
pub async fn later_verified_years(c: &mut AnyConnection, year: i32) -> StoreResult<Vec<i32>> {
    let mut q = Sql::new("SELECT DISTINCT year FROM verification_results WHERE year > ");
    q.bind(year as i64).push(" ORDER BY year");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<i64, _>("year")? as i32))
        .collect()
}

#[derive(Clone, Debug, Default)]
pub struct ResultFilter {
    pub district_id: Option<String>,
    pub school_id: Option<String>,
    pub passed: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

const RESULT_SELECT: &str = "SELECT v.*, t.name AS teacher_name FROM verification_results v \
    JOIN teachers t ON t.id = v.teacher_id WHERE v.year = ";

pub async fn list(
    c: &mut AnyConnection,
    year: i32,
    scope: &Scope,
    f: &ResultFilter,
) -> StoreResult<Page<VerificationResult>> {
    let limit = clamp_limit(f.limit);
    let mut q = Sql::new(RESULT_SELECT);
    q.bind(year as i64);
    super::teachers::push_scope(&mut q, scope);
    if let Some(d) = &f.district_id {
        q.push(" AND v.school_id IN (SELECT id FROM orgs WHERE district_id = ")
            .bind(d.as_str())
            .push(")");
    }
    if let Some(s) = &f.school_id {
        q.push(" AND v.school_id = ").bind(s.as_str());
    }
    if let Some(p) = f.passed {
        q.push(" AND v.passed = ").bind(p);
    }
    if let Some(cursor) = &f.cursor {
        q.push(" AND v.teacher_id > ").bind(cursor.as_str());
    }
    q.push(" ORDER BY v.teacher_id LIMIT ").bind(limit + 1);
    let mut items = q
        .fetch_all(c)
        .await?
        .iter()
        .map(read::<VerificationResult>)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(&mut items, limit, |r| r.teacher_id.clone()))
}

pub async fn get(
    c: &mut AnyConnection,
    year: i32,
    teacher_id: &str,
) -> StoreResult<Option<VerificationResult>> {
    let mut q = Sql::new(RESULT_SELECT);
    q.bind(year as i64)
        .push(" AND v.teacher_id = ")
        .bind(teacher_id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<VerificationResult>(&r))
        .transpose()
}

/// How many teachers a run of `year` would verify, to decide between answering at once
/// and running a background job.
pub async fn cohort_estimate(c: &mut AnyConnection) -> StoreResult<i64> {
    let row = Sql::new("SELECT COUNT(*) AS n FROM teachers")
        .query()
        .fetch_one(c)
        .await?;
    Ok(row.try_get("n")?)
}

/// Every year's result of one teacher, newest first.
pub async fn for_teacher(
    c: &mut AnyConnection,
    teacher_id: &str,
) -> StoreResult<Vec<VerificationResult>> {
    let mut q = Sql::new(
        "SELECT v.*, t.name AS teacher_name FROM verification_results v JOIN teachers t ON t.id = v.teacher_id \
         WHERE v.teacher_id = ",
    );
    q.bind(teacher_id).push(" ORDER BY v.year DESC");
    q.fetch_all(c)
        .await?
        .iter()
        .map(read::<VerificationResult>)
        .collect()
}
