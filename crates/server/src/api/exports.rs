//! Downloads for the province: the provincial export of verified hours, and the
//! reconciliation of the teachers against the provincial roster.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::extract::ApiQuery;
use super::ledger::file_field;
use super::params::{ReportFormat, year};
use crate::auth::CurrentUser;
use crate::downloads::{attachment, reconciliation_xlsx};
use crate::error::{AppResult, ErrorBody};
use crate::services::exports::{self, FileFormat};
use crate::services::reconciliation::{self, Reconciliation};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `csv` (default; UTF-8 with BOM) or `xlsx`.
    pub format: Option<FileFormat>,
}

/// The verified hours of a year for the provincial system: 姓名, 身份证号 (full), 单位, 年度,
/// 公需科目学时, 专业科目学时, 个人选修科目学时, 总学时, 是否合格. City and districts (own
/// schools); 409 before the year is verified; every download is audited.
#[utoipa::path(get, path = "/exports/{year}/provincial", tag = "reports", params(ExportQuery),
    responses((status = 200, description = "text/csv (UTF-8 with BOM) or XLSX"),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn provincial(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(raw): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    let year = year(&raw)?;
    let (download, _) =
        exports::provincial(&state.db, &me.ctx, year, q.format.unwrap_or_default()).await?;
    Ok(attachment(download))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReconcileQuery {
    /// `json` (default) or `xlsx`.
    pub format: Option<ReportFormat>,
}

/// Check the teachers in the caller's scope against the provincial roster (multipart `file`:
/// XLSX or CSV in UTF-8 or GB18030 with columns 姓名, 身份证号): who is not registered in the
/// province, and whose name differs there. ID numbers in the answer are masked.
#[utoipa::path(post, path = "/reconciliation", tag = "reports", params(ReconcileQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`: the provincial roster"),
    responses((status = 200, body = Reconciliation, description = "JSON, or an XLSX file with format=xlsx"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reconcile(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ReconcileQuery>,
    multipart: Multipart,
) -> AppResult<Response> {
    me.ctx.require(xueshi_domain::authz::Action::Reconcile)?;
    let bytes = file_field(multipart).await?;
    let result = reconciliation::reconcile(&state.db, &me.ctx, bytes).await?;
    match q.format.unwrap_or_default() {
        ReportFormat::Json => Ok(Json(result).into_response()),
        ReportFormat::Xlsx => reconciliation_xlsx(&result).await,
    }
}
