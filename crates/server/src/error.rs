//! The one error type of the API: a stable snake_case code, an HTTP status and a Chinese
//! message. Internal causes are logged and never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use xueshi_domain::FieldError;
use xueshi_store::StoreError;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthenticated")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    /// 403 with the reason and the way that is open instead (a school's transfer goes
    /// through a request).
    #[error("refused: {0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("duplicate of {existing_id:?}: {message}")]
    Duplicate {
        message: String,
        existing_id: Option<String>,
    },
    #[error("too large")]
    TooLarge,
    #[error("unsupported media: {0}")]
    UnsupportedMedia(String),
    #[error("invalid: {0:?}")]
    Invalid(Vec<FieldError>),
    /// Bulk input refused whole: one detail per bad row or entry.
    #[error("invalid rows: {message}")]
    Rows {
        message: String,
        details: Vec<Value>,
    },
    #[error("deadline passed: {0}")]
    DeadlinePassed(String),
    #[error("missing evidence: {0}")]
    MissingEvidence(String),
    /// A username locked by the lockout rules; `retry_after` seconds until it opens.
    #[error("locked for {retry_after} s")]
    Locked { retry_after: u64 },
    /// A pending session (a sign-in step owed) on a route that needs a full one.
    #[error("step required: {0:?}")]
    StepRequired(crate::auth::Step),
    /// A cookie-authenticated API call that changes something, sent by another site.
    #[error("cross-origin request")]
    CrossOrigin,
    /// Requests over a rate limit; `retry_after` seconds until the next is allowed.
    #[error("too many requests; retry after {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// The error body every client sees.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code for programs, e.g. `not_found`, `invalid`, `duplicate`.
    pub code: &'static str,
    /// Human-readable message in Chinese.
    pub message: String,
    /// Per-field or per-row findings: a list of at most [`MAX_DETAILS`] entries (`invalid`),
    /// or an object (`duplicate`: `existing_id`; `step_required`: `next`).
    #[schema(schema_with = details_schema)]
    #[serde(skip_serializing_if = "Value::is_null")]
    pub details: Value,
    /// `true` when `details` was cut at [`MAX_DETAILS`] entries.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub details_truncated: bool,
}

/// `details`: a list of findings (a field and its message, or a file's row and column and
/// the message), or an object (`existing_id` of a duplicate).
fn details_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{
        ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
    };
    let text = || ObjectBuilder::new().schema_type(SchemaType::new(Type::String));
    let finding = ObjectBuilder::new()
        .property(
            "field",
            text().description(Some("点分字段名，如 `minimums.public`")),
        )
        .property(
            "row",
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::Integer))
                .description(Some("文件中的行号（Excel 显示的行号）")),
        )
        .property("column", text().description(Some("文件中的列名")))
        .property("message", text())
        .required("message");
    let schema: Schema = OneOfBuilder::new()
        .item(
            ArrayBuilder::new()
                .items(finding)
                .max_items(Some(MAX_DETAILS)),
        )
        .item(ObjectBuilder::new().schema_type(SchemaType::new(Type::Object)))
        .build()
        .into();
    schema
}

/// Entries of a `details` list answered at most (API.md): a file of 100,000 bad rows is
/// answered in kilobytes, and the count is in the message.
pub const MAX_DETAILS: usize = 1_000;

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        use AppError::*;
        match self {
            BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Forbidden | CrossOrigin | Refused(_) => (StatusCode::FORBIDDEN, "forbidden"),
            StepRequired(_) => (StatusCode::FORBIDDEN, "step_required"),
            NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Duplicate { .. } => (StatusCode::CONFLICT, "duplicate"),
            TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            UnsupportedMedia(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media"),
            Invalid(_) | Rows { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            DeadlinePassed(_) => (StatusCode::UNPROCESSABLE_ENTITY, "deadline_passed"),
            MissingEvidence(_) => (StatusCode::UNPROCESSABLE_ENTITY, "missing_evidence"),
            Locked { .. } | TooManyRequests { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
            }
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The Chinese message shown to people.
    pub fn message(&self) -> String {
        use AppError::*;
        match self {
            BadRequest(m) | Conflict(m) | DeadlinePassed(m) | MissingEvidence(m) => m.clone(),
            Refused(m) => m.clone(),
            UnsupportedMedia(m) => m.clone(),
            Duplicate { message, .. } | Rows { message, .. } => message.clone(),
            Unauthenticated => "未登录或登录已失效，请重新登录".into(),
            Forbidden => "无权进行此操作".into(),
            NotFound => "要找的内容不存在，或不在您可以查看的范围内".into(),
            TooLarge => "上传的内容超过大小限制".into(),
            Invalid(errors) => match errors.as_slice() {
                [one] => one.message.clone(),
                _ => "提交的内容有误，请检查标出的字段".into(),
            },
            Locked { retry_after } => format!(
                "登录失败次数过多，该账号已锁定，请{}分钟后再试",
                retry_after.div_ceil(60).max(1)
            ),
            StepRequired(step) => match step {
                crate::auth::Step::MfaEnroll => "请先绑定身份验证器（双因素认证）".into(),
                crate::auth::Step::MfaVerify => "请先输入身份验证器中的动态验证码".into(),
                crate::auth::Step::ChangePassword => "初始密码须修改后才能继续使用".into(),
            },
            CrossOrigin => "跨站请求被拒绝，请在本平台页面中操作".into(),
            TooManyRequests { retry_after } => {
                format!("请求过于频繁，请{retry_after}秒后再试")
            }
            Internal(_) => "服务器内部错误，请稍后再试".into(),
        }
    }

    fn details(&self) -> Value {
        match self {
            AppError::Invalid(errors) => json!(errors),
            AppError::Rows { details, .. } => Value::Array(details.clone()),
            AppError::Duplicate { existing_id, .. } => json!({ "existing_id": existing_id }),
            AppError::StepRequired(step) => json!({ "next": step }),
            _ => Value::Null,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut details = self.details();
        let mut details_truncated = false;
        if let Value::Array(list) = &mut details
            && list.len() > MAX_DETAILS
        {
            list.truncate(MAX_DETAILS);
            details_truncated = true;
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.message(),
                details,
                details_truncated,
            },
        };
        let mut response = (status, Json(body)).into_response();
        let retry_after = match &self {
            AppError::Locked { retry_after } => Some(*retry_after),
            AppError::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response.extensions_mut().insert(ErrorCode(code));
        response
    }
}

/// The stable code of an error answer, for layers that act on it (the refusals audit).
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

impl AppError {
    /// A refused upload: not a well-formed file of an accepted kind (415), or over a limit (422).
    pub fn from_file(e: xueshi_files::FileError) -> AppError {
        use xueshi_files::FileError;
        match e {
            FileError::Unsupported(m) => AppError::UnsupportedMedia(m),
            FileError::Refused(m) => AppError::invalid("file", m),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AppError::NotFound,
            StoreError::BadText(_) => {
                AppError::invalid("text", "内容不能包含控制字符（如 U+0000）")
            }
            // A constraint the service did not answer for itself: a race it did not foresee.
            StoreError::Unique(_) => AppError::Duplicate {
                message: "记录已存在，请刷新后重试".into(),
                existing_id: None,
            },
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<xueshi_store::SqlxError> for AppError {
    fn from(err: xueshi_store::SqlxError) -> Self {
        AppError::from(StoreError::from(err))
    }
}
