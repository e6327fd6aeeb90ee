//! The server-rendered web UI (askama templates, htmx for partial updates, usable without
//! JavaScript). Sessions are an HttpOnly, SameSite=Strict cookie holding the same kind of
//! token as the API's bearer tokens; every form carries a CSRF token.

mod accounts;
mod admin;
mod audit;
mod city;
mod corrections;
mod declaration_form;
mod declarations;
mod drafts;
mod exports;
mod form_text;
mod forms;
mod layout;
mod notices;
mod overview;
mod pages;
mod reading;
mod registry;
mod review;
mod review_queue;
mod school_applications;
mod schools;
mod sign_in;
mod staged_reading;
mod teacher;
mod teacher_records;
mod trainings;
mod transfers;
mod verification;
mod verify;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::start))
        .route("/login", post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/home", get(pages::home))
        .route(
            "/login/mfa",
            get(sign_in::mfa_form).post(sign_in::mfa_verify),
        )
        .route("/login/mfa/enroll", post(sign_in::mfa_enroll))
        .route(
            "/account/password",
            get(sign_in::password_form).post(sign_in::change_password),
        )
        .route(
            "/login/forgot",
            get(sign_in::forgot_form).post(sign_in::forgot),
        )
        .route("/login/reset", post(sign_in::reset))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route(
            "/accounts/{id}/reset",
            get(accounts::confirm).post(accounts::reset),
        )
        .route("/audit", get(audit::page))
        .route("/records", get(teacher::records_page))
        .route("/results", get(teacher::results_page))
        .route("/teachers", get(registry::list).post(registry::create))
        .route("/teachers/{id}", get(registry::show).post(registry::update))
        .route("/teachers/{id}/transfer-request", post(transfers::request))
        .route("/transfers", get(transfers::list))
        .route("/profile", get(corrections::profile))
        .route("/profile/correction", post(corrections::request))
        .route("/corrections", get(corrections::list))
        .route("/corrections/{id}/review", post(corrections::review))
        .route(
            "/register-school",
            get(school_applications::apply_form).post(school_applications::apply),
        )
        .route("/school-applications", get(school_applications::list))
        .route(
            "/school-applications/{id}/review",
            post(school_applications::review),
        )
        .route("/transfers/{id}/review", post(transfers::review))
        .route("/transfers/{id}/cancel", post(transfers::cancel))
        .route(
            "/teachers/{id}/records/{record_id}/revoke",
            post(teacher_records::revoke),
        )
        .route(
            "/declarations",
            get(declarations::list).post(declaration_form::create),
        )
        .route("/declarations/new", get(declaration_form::new_form))
        .route(
            "/declarations/new/read",
            get(staged_reading::poll).post(staged_reading::stage),
        )
        .route(
            "/declarations/hours-helper",
            get(declarations::hours_helper),
        )
        .route(
            "/declarations/{id}",
            get(declarations::show).post(declaration_form::update),
        )
        .route("/declarations/{id}/edit", get(declaration_form::edit_form))
        .route("/declarations/{id}/submit", post(declarations::submit))
        .route("/declarations/{id}/withdraw", post(drafts::withdraw))
        .route("/declarations/{id}/delete", post(drafts::delete))
        .route(
            "/declarations/{id}/files/{evidence_id}/delete",
            post(drafts::remove_file),
        )
        .route(
            "/declarations/{id}/files/{evidence_id}/replace",
            post(drafts::replace_file),
        )
        .route("/overview", get(overview::page))
        .route("/notices", get(notices::list).post(notices::publish))
        .route("/notices/contacts", post(notices::save_contacts))
        .route("/messages/{id}/read", post(notices::read_message))
        .route("/policies", get(city::policies).post(city::save_policy))
        .route(
            "/courses",
            get(city::courses_list).post(city::create_course),
        )
        .route(
            "/verification",
            get(verification::show).post(verification::run),
        )
        .route("/verification/preview", post(verification::preview))
        .route("/verification/jobs/{id}", get(verification::job))
        .route("/exports", get(exports::show))
        .route(
            "/exports/reconciliation",
            post(exports::reconcile).layer(axum::extract::DefaultBodyLimit::max(
                crate::security::BODY_LIMIT,
            )),
        )
        .route("/teachers/{id}/correction-reminder", post(exports::remind))
        .route("/review", get(review_queue::queue))
        .route("/review/batch", post(review_queue::batch))
        .route("/review/{id}", get(review::show).post(review::decide))
        .route("/schools", get(schools::list).post(schools::create))
        .route("/schools/{id}/status", post(schools::set_status))
        .route("/trainings", get(trainings::list).post(trainings::create))
        .route("/trainings/{id}", get(trainings::show))
        .route("/trainings/{id}/import", post(trainings::import))
        .route("/verify/{code}", get(verify::page))
        .route("/static/app.css", get(stylesheet))
        .route("/static/htmx-2.0.11.min.js", get(htmx))
        .route("/static/app.js", get(app_script))
        .layer(axum::middleware::from_fn(form_text::check))
}

async fn app_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

async fn htmx() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        include_str!("../../static/htmx-2.0.11.min.js"),
    )
}

/// A page: never stored by the browser or a proxy, since pages carry personal data and
/// CSRF tokens bound to one session.
pub fn render(template: &impl Template) -> AppResult<Response> {
    template
        .render()
        .map(|html| ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
        .map_err(|e| AppError::Internal(e.into()))
}

/// Every page says so while the second factor is off (`XUESHI_ADMIN_MFA=off`, the demo).
pub async fn with_demo_banner(response: Response) -> Response {
    const BANNER: &str = "<p class=\"demo-banner\" role=\"status\">演示模式：管理员登录未启用双因素认证，\
        请勿用于正式数据。</p>";
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 8 * 1024 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let html = String::from_utf8_lossy(&bytes);
    let with = match html.find("<body>") {
        Some(at) => format!("{}{BANNER}{}", &html[..at + 6], &html[at + 6..]),
        None => html.into_owned(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(with))
}

pub use crate::services::users::shown_username;

/// Today in the business time zone.
pub fn today() -> time::Date {
    xueshi_domain::time_rules::business_date(time::OffsetDateTime::now_utc())
}

/// A stored time as pages show it, Shanghai time: `2026年12月3日 14:16`, or with the seconds.
pub fn shown_time(ms: i64, seconds: bool) -> String {
    xueshi_domain::time_rules::format_datetime_zh(crate::services::moment(ms), seconds)
}

/// When a request was decided, with the reason given, for its row in a list.
pub fn decided_text(at: Option<i64>, reason: Option<&str>) -> String {
    match (at, reason) {
        (Some(at), Some(reason)) => format!("{}：{reason}", shown_time(at, false)),
        (Some(at), None) => shown_time(at, false),
        _ => String::new(),
    }
}

/// A requests list's `status` filter: `pending` unless asked, `all` for every status.
pub fn status_filter<T>(raw: Option<&str>, pending: T) -> Result<Option<T>, AppError>
where
    T: std::str::FromStr<Err = xueshi_domain::ParseEnumError>,
{
    match raw {
        None | Some("") => Ok(Some(pending)),
        Some("all") => Ok(None),
        Some(code) => code
            .parse()
            .map(Some)
            .map_err(|e: xueshi_domain::ParseEnumError| AppError::BadRequest(e.to_string())),
    }
}

/// The `status` filter as the page's select shows it (`pending` unless asked).
pub fn shown_status(raw: Option<String>) -> String {
    raw.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "pending".into())
}

/// The credit year the reviews are about today (in January, the one just ended).
pub fn year_under_review() -> i32 {
    xueshi_domain::time_rules::year_under_review(time::OffsetDateTime::now_utc())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
}

/// An error as a page people can read, with the API error's status.
pub fn error_page(e: AppError) -> Response {
    // A pending session is taken to the sign-in step it owes.
    if let AppError::StepRequired(step) = &e {
        return axum::response::Redirect::to(step.page()).into_response();
    }
    let (status, _) = e.status_and_code();
    if let AppError::Internal(cause) = &e {
        tracing::error!(error = format!("{cause:#}"), "internal error");
    }
    let title = match status {
        StatusCode::NOT_FOUND => "找不到该页面",
        StatusCode::FORBIDDEN => "无权访问",
        s if s.is_server_error() => "服务器暂时出错",
        _ => "操作未完成",
    };
    let page = ErrorPage {
        title,
        message: e.message(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, e.message()).into_response(),
    }
}

/// An unknown address outside the API: the site's own page in Chinese, not the browser's.
pub async fn not_found() -> Response {
    error_page(AppError::NotFound)
}

/// Page handlers answer errors as pages rather than JSON.
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.0)
    }
}

/// The confirmation shown after a form succeeded (`?done=…` on the page it returns to).
pub fn flash_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "submitted" => "申报已提交，等待学校初审。",
        "saved" => "已保存。",
        "withdrawn" => "申报已撤回。",
        "withdrawn_copy" => "申报已撤回。原申报的内容和材料已复制为这份草稿，修改后可重新提交。",
        "draft_deleted" => "草稿已删除。",
        "file_removed" => "已删除该文件。",
        "file_replaced" => "已替换该文件。",
        "reviewed" => "审核结果已保存。",
        "reviewed_next" => "审核结果已保存，已打开队列中的下一份。",
        "registered" => "学时已登记。",
        "created" => "已创建。",
        "updated" => "已更新。",
        "partly" => "部分申报未能审核（可能已被他人审核或已过截止时间），请查看列表。",
        "none" => "请先勾选要审核的申报。",
        "need_reason" => "批量驳回须选择驳回原因，未作任何审核。",
        "need_comment" => "批量退回修改须填写审核意见，未作任何审核。",
        "password" => "密码已修改，其他设备上的登录已退出。",
        "revoked" => "已取消该学时登记，不再计入有效学时；已验证的年度须重新运行年度验证。",
        "mfa_reset" => "已重置双因素认证，对方下次登录时须重新绑定身份验证器。",
        "correction_requested" => "更正申请已提交，请等待区教育局审核。",
        "correction_approved" => "已按申请更正，教师会收到通知。",
        "correction_rejected" => "已不予更正，教师会收到通知。",
        "correction_reminded" => "已提醒教师核对并更正个人信息（站内消息）。",
        "school_application_rejected" => "已不予通过，申请联系人会收到短信通知。",
        "transfer_requested" => "调动申请已提交，等待调入学校所在区审批。",
        "transfer_cancelled" => "调动申请已撤销。",
        "transfer_approved" => "已批准调动，教师已转入调入学校。",
        "transfer_rejected" => "已不予批准，申请学校会收到通知。",
        _ => return None,
    })
}
