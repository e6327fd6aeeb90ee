use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use xueshi_domain::Hours;
use xueshi_store::models::VerificationResult;

use super::dto::List;
use super::extract::{ApiQuery, parse_json};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::verification::{self as service, ResultFilter, RunSummary, Started};
use crate::services::{teachers, time_text};
use crate::state::AppState;

fn year(raw: &str) -> AppResult<i32> {
    raw.parse()
        .map_err(|_| AppError::BadRequest("年度应为四位数字".into()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobDto {
    pub id: String,
    /// `queued | running | done | failed`
    pub status: String,
    /// Percent done.
    pub progress: i64,
    #[schema(value_type = Object)]
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct RunBody {
    /// Run even before the district review deadline is over.
    #[serde(default)]
    pub force: bool,
}

/// Run the year's verification (city only): 200 with the summary, or 202 with a job for a
/// large run. Before the year's district review deadline has passed: 409 unless forced.
#[utoipa::path(post, path = "/verifications/{year}/run", tag = "verification",
    request_body(content = Option<RunBody>),
    responses((status = 200, body = RunSummary), (status = 202, body = JobDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    // The body is optional: an empty one is an unforced run.
    let body: RunBody = if body.iter().all(u8::is_ascii_whitespace) {
        RunBody::default()
    } else {
        parse_json(&body)?
    };
    match service::start(
        &state.db,
        &me.ctx,
        year(&raw)?,
        body.force,
        state.config.verification_job_threshold,
    )
    .await?
    {
        Started::Done(summary) => Ok(Json(summary).into_response()),
        Started::Job(id) => {
            let job = JobDto {
                id,
                status: "queued".into(),
                progress: 0,
                result: None,
                error: None,
            };
            Ok((StatusCode::ACCEPTED, Json(job)).into_response())
        }
    }
}

/// What a run would give, computed without writing anything or issuing certificates.
#[utoipa::path(post, path = "/verifications/{year}/preview", tag = "verification",
    responses((status = 200, body = RunSummary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
) -> AppResult<Json<RunSummary>> {
    Ok(Json(
        service::preview(&state.db, &me.ctx, year(&raw)?).await?,
    ))
}

/// A background job's state.
#[utoipa::path(get, path = "/jobs/{id}", tag = "verification", responses((status = 200, body = JobDto), (status = 404, body = ErrorBody)))]
pub async fn job(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<JobDto>> {
    let job = service::job(&state.db, &me.ctx, &id).await?;
    Ok(Json(JobDto {
        id: job.id,
        status: job.status,
        progress: job.progress,
        result: job.result,
        error: job.error,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultDto {
    pub teacher_id: String,
    pub teacher_name: Option<String>,
    pub school_id: String,
    pub year: i32,
    pub public: Hours,
    /// Includes `carried_in`.
    pub professional: Hours,
    pub elective: Hours,
    pub total: Hours,
    pub carried_in: Hours,
    pub passed: bool,
    pub carry_out: Hours,
    pub computed_at: String,
    /// The code the certificate's QR carries; null unless passed.
    pub certificate_code: Option<String>,
}

impl ResultDto {
    fn new(r: VerificationResult, certificate_code: Option<String>) -> ResultDto {
        ResultDto {
            teacher_id: r.teacher_id,
            teacher_name: r.teacher_name,
            school_id: r.school_id,
            year: r.year,
            public: r.public,
            professional: r.professional,
            elective: r.elective,
            total: r.total,
            carried_in: r.carried_in,
            passed: r.passed,
            carry_out: r.carry_out,
            computed_at: time_text(r.computed_at),
            certificate_code,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ResultQuery {
    pub district_id: Option<String>,
    pub school_id: Option<String>,
    pub passed: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Results of a year's verification in the caller's scope.
#[utoipa::path(get, path = "/verifications/{year}", tag = "verification", params(ResultQuery), responses((status = 200, body = List<ResultDto>)))]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<ResultQuery>,
) -> AppResult<Json<List<ResultDto>>> {
    let filter = ResultFilter {
        district_id: q.district_id,
        school_id: q.school_id,
        passed: q.passed,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = service::results(&state.db, &me.ctx, year(&raw)?, &filter).await?;
    let mut c = state.db.pool().acquire().await?;
    // API.md 1.1: each item carries the code its certificate's QR holds, as the single read.
    let signer = service::CertificateSigner::load(&mut c).await?;
    let list = List::try_from_page(page, |r| {
        let code = r
            .passed
            .then(|| signer.code(&r.teacher_id, r.year))
            .transpose()?;
        AppResult::Ok(ResultDto::new(r, code))
    })?;
    Ok(Json(list))
}

/// One teacher's result of a year (404 before the year is verified).
#[utoipa::path(get, path = "/teachers/{id}/verification/{year}", tag = "verification", responses((status = 200, body = ResultDto), (status = 404, body = ErrorBody)))]
pub async fn teacher_result(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, raw)): Path<(String, String)>,
) -> AppResult<Json<ResultDto>> {
    let year = year(&raw)?;
    let mut c = state.db.pool().acquire().await?;
    let (teacher, _) = teachers::visible_for_ledger(&mut c, state.db.vault(), &me.ctx, &id).await?;
    let result = service::result_of(&mut c, &teacher.id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let code = if result.passed {
        Some(service::certificate_code(&mut c, &teacher.id, year).await?)
    } else {
        None
    };
    Ok(Json(ResultDto::new(result, code)))
}
