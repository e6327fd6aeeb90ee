//! What every logged-in page shows: who is logged in, their organisation, the menu of their
//! role, and the CSRF token their forms carry.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use xueshi_domain::Role;

use crate::auth::CurrentUser;
use crate::auth::csrf;
use crate::error::AppError;
use crate::services::{orgs, teachers};
use crate::state::AppState;

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

pub struct Layout {
    pub display_name: String,
    pub role_label: &'static str,
    pub org_name: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// The path of the page, to mark its menu item.
    pub path: String,
    /// After this many seconds without a request the session ends; the page warns first.
    pub idle_seconds: i64,
    /// The current year's requirements, as its policy states them.
    pub footer: String,
}

impl Layout {
    pub fn is_active(&self, href: &str) -> bool {
        self.path == href || (href != "/home" && self.path.starts_with(href))
    }
}

fn nav(role: Role) -> Vec<NavItem> {
    let item = |href, label| NavItem { href, label };
    let mut items = vec![item("/home", "首页")];
    match role {
        Role::Teacher => items.extend([
            item("/declarations", "学时申报"),
            item("/records", "学时记录"),
            item("/results", "历年验证"),
            item("/profile", "我的信息"),
        ]),
        Role::SchoolAdmin => items.extend([
            item("/review", "初审"),
            item("/teachers", "教师"),
            item("/transfers", "调动申请"),
            item("/trainings", "培训登记"),
            item("/overview", "学时概况"),
            item("/exports", "数据与证书"),
        ]),
        Role::DistrictAdmin => items.extend([
            item("/review", "复审"),
            item("/schools", "学校"),
            item("/school-applications", "注册申请"),
            item("/teachers", "教师"),
            item("/transfers", "调动申请"),
            item("/corrections", "更正申请"),
            item("/trainings", "培训登记"),
            item("/overview", "学时概况"),
            item("/exports", "数据与证书"),
        ]),
        Role::CityAdmin => items.extend([
            item("/review", "局属复审"),
            item("/schools", "区与学校"),
            item("/school-applications", "注册申请"),
            item("/teachers", "教师"),
            item("/transfers", "调动申请"),
            item("/corrections", "更正申请"),
            item("/trainings", "培训登记"),
            item("/courses", "公需科目"),
            item("/policies", "年度政策"),
            item("/verification", "年度验证"),
            item("/overview", "学时概况"),
            item("/exports", "数据与证书"),
        ]),
        Role::ProviderAdmin => items.push(item("/trainings", "培训登记")),
        Role::Auditor => items.push(item("/audit", "审计日志")),
    }
    items
}

/// A logged-in visitor of the web UI; anyone else is sent to the login form.
pub struct WebUser {
    pub me: CurrentUser,
    pub layout: Layout,
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<WebUser, Response> {
        let me = match CurrentUser::from_request_parts(parts, state).await {
            Ok(me) => me,
            Err(AppError::Unauthenticated) => return Err(Redirect::to("/").into_response()),
            Err(other) => return Err(super::error_page(other)),
        };
        let layout = load(state, &me, parts.uri.path())
            .await
            .map_err(super::error_page)?;
        Ok(WebUser { me, layout })
    }
}

async fn load(state: &AppState, me: &CurrentUser, path: &str) -> Result<Layout, AppError> {
    // Every page shows the year's policy: from the cache, before a connection is held.
    let year = super::today().year();
    let policy = crate::services::policies::of_year(&state.db, year).await?;
    let mut c = state.db.pool().acquire().await?;
    let org = orgs::own(&mut c, &me.ctx).await?;
    let display_name = match &me.user.teacher_id {
        Some(_) => teachers::own_name(&mut c, state.db.vault(), &me.ctx)
            .await?
            .unwrap_or_default(),
        None => me.user.username.clone(),
    };
    let footer = match policy {
        Some(p) => {
            let m = &p.minimums;
            format!(
                "{year}年度学时要求：公需科目≥{}、专业科目≥{}、个人选修科目≥{}，合计≥{} 学时 · 个人申报截止 {}",
                m.public,
                m.professional,
                m.elective,
                m.total,
                xueshi_domain::time_rules::format_date_zh(p.deadlines.declaration)
            )
        }
        None => format!("{year}年度学时政策尚未发布，以市、区通知为准"),
    };
    let mut nav = nav(me.user.role);
    if me.user.role != Role::Auditor {
        nav.push(NavItem {
            href: "/notices",
            label: "通知公告",
        });
    }
    if matches!(
        me.user.role,
        Role::SchoolAdmin | Role::DistrictAdmin | Role::CityAdmin
    ) {
        nav.push(NavItem {
            href: "/accounts",
            label: "账号管理",
        });
        nav.push(NavItem {
            href: "/audit",
            label: "审计日志",
        });
    }
    Ok(Layout {
        display_name,
        role_label: me.user.role.label_zh(),
        org_name: org.name,
        csrf: csrf::csrf_for_session(&me.token_hash),
        nav,
        path: path.to_owned(),
        idle_seconds: state.config.idle_ms(me.user.role) / 1000,
        footer,
    })
}
