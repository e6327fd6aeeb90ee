//! Reports of a year: the summary by district or school, teachers short of a minimum, and
//! the private-school allowance list — as JSON, or as XLSX with `format=xlsx`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::extract::ApiQuery;
use super::params::{ReportFormat, year};
use crate::auth::CurrentUser;
use crate::downloads::attachment;
use crate::error::{AppResult, ErrorBody};
use crate::services::allowance::{self, Allowance};
use crate::services::exports::{Download, Table, XLSX, xlsx};
use crate::services::report_tables;
use crate::services::reports::{self, GroupBy, ShortOf, ShortfallQuery, Shortfalls, Summary};
use crate::state::AppState;

async fn workbook(ascii: String, chinese: String, tables: Vec<Table>) -> AppResult<Response> {
    let bytes = xlsx(tables).await?;
    Ok(attachment(Download {
        filename: format!("{ascii}.xlsx"),
        chinese_name: format!("{chinese}.xlsx"),
        content_type: XLSX,
        bytes,
    }))
}

fn today() -> time::Date {
    xueshi_domain::time_rules::business_date(time::OffsetDateTime::now_utc())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SummaryQuery {
    /// `district` (the city's default) or `school` (everyone else's default).
    pub group_by: Option<GroupBy>,
    pub district_id: Option<String>,
    pub format: Option<ReportFormat>,
}

/// Where each district (or school) stands in a year: teachers, passed, pass rate, hours per
/// category (sums and per-teacher averages), pending reviews at each level and overdue ones.
/// `basis` says whether the figures are the verification's results or live progress.
#[utoipa::path(get, path = "/reports/{year}/summary", tag = "reports", params(SummaryQuery),
    responses((status = 200, body = Summary, description = "JSON, or an XLSX file with format=xlsx"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> AppResult<Response> {
    let year = year(&raw)?;
    let mut c = state.db.pool().acquire().await?;
    let summary = reports::summary(
        &mut c,
        &me.ctx,
        year,
        q.group_by,
        q.district_id.as_deref(),
        today(),
    )
    .await?;
    drop(c);
    match q.format.unwrap_or_default() {
        ReportFormat::Json => Ok(Json(summary).into_response()),
        ReportFormat::Xlsx => {
            let tables = report_tables::summary(&summary);
            workbook(
                format!("summary-{year}"),
                format!("{year}年度继续教育学时汇总"),
                tables,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ShortfallParams {
    pub district_id: Option<String>,
    pub school_id: Option<String>,
    /// Only those short in this category, or `total`.
    pub category: Option<ShortOf>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub format: Option<ReportFormat>,
}

/// Teachers still short of a minimum, with what they lack per category (ID numbers masked).
/// The XLSX download lists them all.
#[utoipa::path(get, path = "/reports/{year}/shortfalls", tag = "reports", params(ShortfallParams),
    responses((status = 200, body = Shortfalls, description = "JSON, or an XLSX file with format=xlsx"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn shortfalls(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<ShortfallParams>,
) -> AppResult<Response> {
    let year = year(&raw)?;
    let format = q.format.unwrap_or_default();
    let query = ShortfallQuery {
        district_id: q.district_id.as_deref(),
        school_id: q.school_id.as_deref(),
        category: q.category,
        cursor: q.cursor.clone(),
        limit: match format {
            ReportFormat::Json => Some(q.limit.unwrap_or(50)),
            ReportFormat::Xlsx => None,
        },
    };
    let mut c = state.db.pool().acquire().await?;
    let list = reports::shortfalls(&mut c, state.db.vault(), &me.ctx, year, query).await?;
    drop(c);
    match format {
        ReportFormat::Json => Ok(Json(list).into_response()),
        ReportFormat::Xlsx => {
            let tables = report_tables::shortfalls(list);
            workbook(
                format!("shortfalls-{year}"),
                format!("{year}年度学时未达标教师"),
                tables,
            )
            .await
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AllowanceParams {
    pub district_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
    pub format: Option<ReportFormat>,
}

/// Teachers of private (民办) primary, secondary and nine-year schools, and whether year−1
/// was verified as passed — the allowance condition of 穗教规字〔2020〕2号.
#[utoipa::path(get, path = "/reports/{year}/allowance", tag = "reports", params(AllowanceParams),
    responses((status = 200, body = Allowance, description = "JSON, or an XLSX file with format=xlsx"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn allowance(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<AllowanceParams>,
) -> AppResult<Response> {
    let year = year(&raw)?;
    let format = q.format.unwrap_or_default();
    let limit = match format {
        ReportFormat::Json => Some(q.limit.unwrap_or(50)),
        ReportFormat::Xlsx => None,
    };
    let mut c = state.db.pool().acquire().await?;
    let list = allowance::list(
        &mut c,
        state.db.vault(),
        &me.ctx,
        year,
        q.district_id.as_deref(),
        q.cursor.as_deref(),
        limit,
    )
    .await?;
    drop(c);
    match format {
        ReportFormat::Json => Ok(Json(list).into_response()),
        ReportFormat::Xlsx => {
            let tables = report_tables::allowance(list);
            workbook(
                format!("allowance-{year}"),
                format!("{year}年度民办学校从教津贴名单"),
                tables,
            )
            .await
        }
    }
}

/// A teacher's continuing-education archive (继续教育档案) as a PDF: each year's result (or a
/// not-yet-verified year's effective hours) and records, a page per year. The teacher
/// themself, or administrators in scope. Audited.
#[utoipa::path(get, path = "/teachers/{id}/archive.pdf", tag = "reports",
    responses((status = 200, content_type = "application/pdf", description = "the archive"),
        (status = 404, body = ErrorBody)))]
pub async fn teacher_archive(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let download = crate::services::archive::teacher_pdf(&state, &me.ctx, &id).await?;
    Ok(attachment(download))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ArchiveQuery {
    /// The school (a school administrator's own by default).
    pub school_id: Option<String>,
}

/// A school's archive as XLSX: one row per teacher and verified year (hours per category,
/// carried, passed). The school, its district, the city. Audited.
#[utoipa::path(get, path = "/reports/archive", tag = "reports", params(ArchiveQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        description = "the archive"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn school_archive(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> AppResult<Response> {
    let download =
        crate::services::archive::school_xlsx(&state, &me.ctx, q.school_id.as_deref()).await?;
    Ok(attachment(download))
}
