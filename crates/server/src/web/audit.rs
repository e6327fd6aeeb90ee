//! The audit log page (审计日志): what the API's `GET /audit` answers, newest first, for the
//! auditor (everything) and administrators (their scope).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use xueshi_domain::authz::Action;

use super::layout::{Layout, WebUser};
use super::{PageError, render};
use crate::error::AppError;
use crate::services::audit_log::{self, AuditFilter, day_range};
use crate::state::AppState;

/// Every audited action with its Chinese name, in the order the filter offers them.
pub const ACTIONS: &[(&str, &str)] = &[
    ("auth.login", "登录"),
    ("auth.logout", "退出登录"),
    ("auth.login_failed", "登录失败"),
    ("auth.locked", "账号锁定"),
    ("auth.mfa_enroll", "开始绑定身份验证器"),
    ("auth.mfa_verified", "双因素认证通过"),
    ("auth.password_changed", "修改密码"),
    ("auth.password_reset_requested", "申请找回密码"),
    ("auth.password_reset_by_code", "验证码重置密码"),
    ("user.create", "新增账号"),
    ("user.password_reset", "管理员重置密码"),
    ("user.mfa_reset", "管理员重置双因素"),
    ("org.create", "登记单位"),
    ("org.update", "修改单位"),
    ("org.archive", "注销单位"),
    ("org.reactivate", "恢复单位"),
    ("teacher.create", "登记教师"),
    ("teacher.update", "修改教师信息"),
    ("teacher.transfer", "教师调入"),
    ("teacher.transfer_out", "教师调出"),
    ("transfer_request.create", "申请调动"),
    ("transfer_request.approve", "批准调动"),
    ("transfer_request.reject", "不予批准调动"),
    ("transfer_request.cancel", "撤销调动申请"),
    ("correction.create", "申请更正个人信息"),
    ("correction.approve", "通过更正申请"),
    ("correction.reject", "不予更正"),
    ("teacher.view_full", "查看完整身份证号"),
    ("policy.put", "设置年度政策"),
    ("declaration.create", "新建申报"),
    ("declaration.update", "修改申报"),
    ("declaration.submit", "提交申报"),
    ("declaration.withdraw", "撤回申报"),
    ("declaration.delete", "删除草稿"),
    ("declaration.review", "审核申报"),
    ("review.batch", "批量审核"),
    ("evidence.upload", "上传证明材料"),
    ("evidence.delete", "删除证明材料"),
    ("training.create", "登记培训"),
    ("training.attendance", "登记培训学时"),
    ("course.create", "新增公需科目"),
    ("record.completion", "登记课程完成"),
    ("record.revoke", "取消学时登记"),
    ("verification.run", "年度验证"),
    ("export.provincial", "导出省平台数据"),
    ("announcement.publish", "发布通知"),
    ("announcement.withdraw", "撤回通知"),
    ("announcement.attach", "上传通知附件"),
    ("contacts.update", "修改咨询电话"),
    ("demo.seed", "导入演示数据"),
    ("access.denied", "越权操作被拒绝"),
    ("audit.export", "归档审计日志"),
    ("keys.rotate", "轮换数据密钥"),
];

/// The Chinese name of an audited action; unknown codes are shown as they are.
pub fn action_label(action: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(code, _)| *code == action)
        .map_or(action, |(_, label)| label)
}

pub struct EntryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<EntryView>,
    next: Option<String>,
    q: AuditQuery,
    /// The filters as a query string, for the next page's link.
    filters: String,
    actions: &'static [(&'static str, &'static str)],
    error: Option<String>,
}

#[derive(Deserialize, serde::Serialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    target_id: String,
    /// An account's username (a teacher's is the ID number), or a user id.
    #[serde(default)]
    actor: String,
    #[serde(default)]
    actor_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(skip_serializing)]
    cursor: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    user.me.ctx.require(Action::ViewAudit)?;
    let cursor = match q.cursor.as_deref() {
        Some(c) => Some(
            c.parse()
                .map_err(|_| AppError::BadRequest("cursor 无效".into()))?,
        ),
        None => None,
    };
    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let filters = serde_urlencoded::to_string(&q).unwrap_or_default();
    let mut c = state.db.pool().acquire().await?;
    let mut error = None;
    // The person's login, as reviewers know it, or an id from an entry's link.
    let actor_id = match some(&q.actor) {
        Some(name) => match audit_log::account_of(&mut c, state.db.vault(), &name).await? {
            Some(id) => Some(id),
            None => {
                error = Some(format!("没有账号“{name}”"));
                Some(String::new())
            }
        },
        None => some(&q.actor_id),
    };
    let (from_ms, until_ms) = match day_range(Some(&q.from), Some(&q.to)) {
        Ok(range) => range,
        Err(_) => {
            error = Some("日期应为 YYYY-MM-DD".into());
            (None, None)
        }
    };
    let filter = AuditFilter {
        target_id: some(&q.target_id),
        actor_id,
        action: some(&q.action),
        from_ms,
        until_ms,
        cursor,
        limit: Some(50),
    };
    let page = audit_log::list(&mut c, &user.me.ctx, &filter).await?;
    let ids = page.items.iter().filter_map(|e| e.actor_id.clone());
    let names = audit_log::actor_names(&mut c, state.db.vault(), ids.collect::<Vec<_>>()).await?;
    let rows = page
        .items
        .into_iter()
        .map(|e| EntryView {
            at: super::shown_time(e.at, true),
            actor: match (&e.actor_id, e.ip.as_deref()) {
                (Some(id), _) => names.get(id).cloned().unwrap_or_default(),
                (None, Some("cli")) => "系统（命令行）".into(),
                (None, _) => "（未登录）".into(),
            },
            action: action_label(&e.action).to_owned(),
            target: format!("{} {}", e.target_type, e.target_id),
            ip: e.ip.unwrap_or_default(),
        })
        .collect();
    Ok(render(&AuditPage {
        layout: user.layout,
        rows,
        next: page.next_cursor,
        q,
        filters,
        actions: ACTIONS,
        error,
    })?)
}
