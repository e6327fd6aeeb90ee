//! Running the annual verification (年度验证) and reading its results. A run brings the
//! year's results in line with the records — a result's carry-out is the next year's
//! carry-over record — then re-derives every later year already verified, all in one
//! transaction, so the chain of carry-overs always matches the records.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use time::OffsetDateTime;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{FieldError, time_rules};
use xueshi_store::repo::reports::{self, Reach};
use xueshi_store::repo::verification::{self, Summary};
use xueshi_store::repo::{audit, jobs, policies, settings};
use xueshi_store::{Conn, Db};

pub use xueshi_store::repo::verification::ResultFilter;

use super::{Ctx, Place, new_id, record};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, PartialEq)]
pub struct RunSummary {
    pub year: i32,
    pub teachers: i64,
    pub passed: i64,
    pub failed: i64,
    pub carried_over_hours: xueshi_domain::Hours,
}

impl From<Summary> for RunSummary {
    fn from(s: Summary) -> RunSummary {
        RunSummary {
            year: s.year,
            teachers: s.teachers,
            passed: s.passed,
            failed: s.teachers - s.passed,
            carried_over_hours: s.carried_over,
        }
    }
}

pub enum Started {
    Done(RunSummary),
    Job(String),
}

/// Runs the verification of `year` (city only): at once for a city-sized run, as a
/// background job for a province-sized one. Before the district review deadline is over the
/// run must be `force`d (see [`time_rules::verification_is_early`]).
pub async fn start(
    db: &Db,
    ctx: &Ctx,
    year: i32,
    force: bool,
    job_threshold: i64,
) -> AppResult<Started> {
    ctx.require(Action::RunVerification)?;
    let count = {
        let mut c = db.pool().acquire().await?;
        let policy = policies::get(&mut c, year)
            .await?
            .ok_or_else(|| no_policy(year))?;
        let deadline = policy.deadlines.district_review;
        if !force && time_rules::verification_is_early(deadline, OffsetDateTime::now_utc()) {
            let pending = pending(&mut c, ctx, year).await?;
            return Err(AppError::Conflict(format!(
                "{year}年度区（市）复审至{}截止，尚未结束（待学校初审 {} 份，待复审 {} 份），\
                 提前验证的结果在截止前仍可能改变；确需提前验证，须另行确认",
                time_rules::format_date(deadline),
                pending.school,
                pending.second
            )));
        }
        verification::cohort_estimate(&mut c).await?
    };
    if count <= job_threshold {
        return Ok(Started::Done(run(db, ctx, year, |_, _| {}).await?));
    }
    let job_id = new_id();
    let params = super::jobs::params(ctx, json!({ "year": year }));
    let mut tx = db.begin().await?;
    jobs::insert(
        &mut tx,
        &job_id,
        "verification",
        Some(&ctx.actor.user_id),
        &params,
    )
    .await?;
    tx.commit().await?;
    super::jobs::wake();
    Ok(Started::Job(job_id))
}

/// Runs a queued verification (see [`super::jobs`]): on whichever server took it, and again
/// on another if that one died (the run is one transaction: nothing of it stays behind).
pub async fn run_job(db: &Db, ctx: &Ctx, id: &str, params: &serde_json::Value) -> AppResult<()> {
    let Some(year) = params["year"].as_i64().and_then(|y| i32::try_from(y).ok()) else {
        return super::jobs::finish(db, id, Err("任务参数无效，请重新发起")).await;
    };
    super::jobs::progress(db, id, 0).await?;
    let (progress_db, progress_id) = (db.clone(), id.to_owned());
    let outcome = run(db, ctx, year, move |done, total| {
        let (db, id) = (progress_db.clone(), progress_id.clone());
        let percent = (done * 100 / total.max(1)) as i64;
        tokio::spawn(async move { super::jobs::progress(&db, &id, percent).await });
    })
    .await;
    match outcome {
        Ok(summary) => super::jobs::finish(db, id, Ok(json!(summary))).await,
        Err(e) => {
            tracing::error!(error = %e, year, "verification job failed");
            super::jobs::finish(db, id, Err("验证失败，请查看服务器日志")).await
        }
    }
}

/// Declarations of the year still waiting for a review, city-wide.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Pending {
    /// 待学校初审 (`submitted`).
    pub school: i64,
    /// 待复审 (`school_approved`).
    pub second: i64,
}

async fn pending(c: &mut Conn, ctx: &Ctx, year: i32) -> AppResult<Pending> {
    let scope = authz::scope(&ctx.actor);
    let reach = Reach {
        scope: &scope,
        district_id: None,
        school_id: None,
    };
    let tallies = reports::pending(c, year, &reach).await?;
    Ok(tallies.iter().fold(Pending::default(), |p, t| Pending {
        school: p.school + t.school,
        second: p.second + t.second,
    }))
}

/// What a run of `year` would give, computed without writing anything (模拟验证).
pub async fn preview(db: &Db, ctx: &Ctx, year: i32) -> AppResult<RunSummary> {
    ctx.require(Action::RunVerification)?;
    // A read transaction on the readers' pool: one snapshot, no write lock, rolled back.
    let mut tx = db.pool().begin().await?;
    let policy = policies::get(&mut tx, year)
        .await?
        .ok_or_else(|| no_policy(year))?;
    let summary = verification::preview_year(&mut tx, &policy).await?;
    tx.rollback().await?;
    Ok(summary.into())
}

/// The last run of a year: when, by whom, and what it found.
#[derive(Debug, Clone)]
pub struct LastRun {
    pub at_ms: i64,
    pub actor_id: Option<String>,
    pub summary: Option<RunSummary>,
    /// Run before the district review deadline was over.
    pub early: bool,
}

/// Where the verification of `year` stands: its district review deadline, whether a run now
/// would be early, what still waits for review and the last run.
#[derive(Debug, Clone)]
pub struct YearState {
    pub year: i32,
    /// `None`: no policy for the year, so it cannot be run.
    pub district_review: Option<time::Date>,
    pub early: bool,
    pub pending: Pending,
    pub last_run: Option<LastRun>,
}

pub async fn year_state(db: &Db, ctx: &Ctx, year: i32) -> AppResult<YearState> {
    ctx.require(Action::RunVerification)?;
    let mut c = db.pool().acquire().await?;
    let deadline = policies::get(&mut c, year)
        .await?
        .map(|p| p.deadlines.district_review);
    let last_run = audit::latest(&mut c, "verification.run", &year.to_string())
        .await?
        .map(|e| LastRun {
            at_ms: e.at,
            actor_id: e.actor_id,
            summary: serde_json::from_value(e.detail["summary"].clone()).ok(),
            early: e.detail["early"] == true,
        });
    Ok(YearState {
        year,
        district_review: deadline,
        early: deadline
            .is_some_and(|d| time_rules::verification_is_early(d, OffsetDateTime::now_utc())),
        pending: pending(&mut c, ctx, year).await?,
        last_run,
    })
}

fn no_policy(year: i32) -> AppError {
    AppError::Invalid(vec![FieldError::new(
        "year",
        format!("{year}年度尚未设置年度政策"),
    )])
}

/// Verifies `year` and re-derives the later verified years, reporting `(done, total)` steps.
pub async fn run(
    db: &Db,
    ctx: &Ctx,
    year: i32,
    progress: impl Fn(usize, usize),
) -> AppResult<RunSummary> {
    let mut tx = db.begin().await?;
    let mut years = vec![year];
    years.extend(verification::later_verified_years(&mut tx, year).await?);
    let mut first = None;
    let mut early = false;
    for (i, y) in years.iter().enumerate() {
        progress(i, years.len());
        let policy = policies::get(&mut tx, *y)
            .await?
            .ok_or_else(|| no_policy(*y))?;
        if i == 0 {
            early = time_rules::verification_is_early(
                policy.deadlines.district_review,
                OffsetDateTime::now_utc(),
            );
        }
        let summary = verification::run_year(&mut tx, &policy).await?;
        first.get_or_insert(summary);
    }
    let summary = RunSummary::from(first.expect("at least the requested year"));
    // An early run is on record as one: its results may differ from the final ones.
    let detail = json!({ "summary": summary, "rederived": &years[1..], "early": early });
    let target = ("verification", year.to_string());
    record(
        &mut tx,
        db.vault(),
        ctx,
        "verification.run",
        (target.0, &target.1),
        &Place::nowhere(),
        detail,
    )
    .await?;
    tx.commit().await?;
    progress(years.len(), years.len());
    Ok(summary)
}

type HmacSha256 = Hmac<Sha256>;

async fn signing_key(c: &mut Conn) -> AppResult<Vec<u8>> {
    let key =
        settings::get_or_create(c, "certificate_key", crate::auth::sessions::new_token).await?;
    Ok(key.into_bytes())
}

fn mac(key: &[u8], teacher_id: &str, year: i32) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{teacher_id}|{year}").as_bytes());
    mac.finalize().into_bytes()[..12].to_vec()
}

/// A verification job's state (the city, who runs them).
pub async fn job(db: &Db, ctx: &Ctx, id: &str) -> AppResult<xueshi_store::models::Job> {
    ctx.require(Action::RunVerification)?;
    let mut c = db.pool().acquire().await?;
    jobs::get(&mut c, id).await?.ok_or(AppError::NotFound)
}

/// Results of a year in the caller's scope (`authz::scope`), a page at a time.
pub async fn results(
    db: &Db,
    ctx: &Ctx,
    year: i32,
    filter: &ResultFilter,
) -> AppResult<xueshi_store::models::Page<xueshi_store::models::VerificationResult>> {
    ctx.require(Action::ViewTeachers)?;
    let mut c = db.pool().acquire().await?;
    Ok(verification::list(&mut c, year, &authz::scope(&ctx.actor), filter).await?)
}

/// One teacher's result of a year, `None` before the year is verified. The caller has
/// checked that the teacher is visible.
pub async fn result_of(
    c: &mut Conn,
    teacher_id: &str,
    year: i32,
) -> AppResult<Option<xueshi_store::models::VerificationResult>> {
    Ok(verification::get(c, year, teacher_id).await?)
}

/// Every year's result of one teacher (visible to the caller), newest first.
pub async fn results_of(
    c: &mut Conn,
    teacher_id: &str,
) -> AppResult<Vec<xueshi_store::models::VerificationResult>> {
    Ok(verification::for_teacher(c, teacher_id).await?)
}

/// Who ran a verification, by login name.
pub async fn runner_name(db: &Db, user_id: &str) -> AppResult<String> {
    let mut c = db.pool().acquire().await?;
    Ok(super::users::get(&mut c, db.vault(), user_id)
        .await?
        .map_or_else(|| user_id.to_owned(), |u| u.username))
}

/// Signs certificate codes with the platform's key, read once for a whole list.
pub struct CertificateSigner {
    key: Vec<u8>,
}

impl CertificateSigner {
    pub async fn load(c: &mut Conn) -> AppResult<CertificateSigner> {
        Ok(CertificateSigner {
            key: signing_key(c).await?,
        })
    }

    /// The certificate code: the teacher and year, signed so that it can neither be guessed
    /// nor altered.
    pub fn code(&self, teacher_id: &str, year: i32) -> AppResult<String> {
        let uuid = uuid::Uuid::parse_str(teacher_id).map_err(|e| AppError::Internal(e.into()))?;
        let mut bytes = uuid.as_bytes().to_vec();
        bytes.extend_from_slice(&(year as u16).to_be_bytes());
        bytes.extend(mac(&self.key, teacher_id, year));
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// One teacher's certificate code (see [`CertificateSigner::code`]).
pub async fn certificate_code(c: &mut Conn, teacher_id: &str, year: i32) -> AppResult<String> {
    CertificateSigner::load(c).await?.code(teacher_id, year)
}

/// The teacher and year a genuine code names, or `None` for an unknown or altered one.
pub async fn read_certificate_code(c: &mut Conn, code: &str) -> AppResult<Option<(String, i32)>> {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(code) else {
        return Ok(None);
    };
    if bytes.len() != 30 {
        return Ok(None);
    }
    let teacher_id = uuid::Uuid::from_slice(&bytes[..16])
        .map_err(|e| AppError::Internal(e.into()))?
        .to_string();
    let year = u16::from_be_bytes([bytes[16], bytes[17]]) as i32;
    let key = signing_key(c).await?;
    let expected = mac(&key, &teacher_id, year);
    let genuine = crate::auth::sessions::constant_time_eq(&expected, &bytes[18..]);
    Ok(genuine.then_some((teacher_id, year)))
}
