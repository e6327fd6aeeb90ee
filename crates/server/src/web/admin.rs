//! Administrators' pages: the overview of their scope and the registry (schools, teachers,
//! trainings, policies, verification).

use askama::Template;
use axum::response::Response;
use xueshi_domain::authz;
use xueshi_store::repo::{policies, teachers};

use super::layout::{Layout, WebUser};
use super::{render, today};
use crate::error::AppResult;
use crate::state::AppState;

pub struct PolicySummary {
    pub year: i32,
    pub requirement: String,
    pub declaration: String,
    pub school_review: String,
    pub district_review: String,
}

#[derive(Template)]
#[template(path = "admin_home.html")]
struct AdminHome {
    layout: Layout,
    flash: Option<String>,
    teachers: Option<i64>,
    policy: Option<PolicySummary>,
    notices: Vec<super::notices::NoticeView>,
    contacts: Vec<(String, String, String)>,
    contacts_org: String,
}

pub async fn home(state: &AppState, user: WebUser, flash: Option<String>) -> AppResult<Response> {
    let mut c = state.db.pool().acquire().await?;
    let scope = authz::scope(&user.me.ctx.actor);
    let teachers = match scope {
        authz::Scope::Provider(_) | authz::Scope::Nothing => None,
        _ => Some(teachers::count_active(&mut c, &scope).await?),
    };
    let policy = policies::get(&mut c, today().year()).await?.map(|p| {
        let m = &p.minimums;
        let d = &p.deadlines;
        PolicySummary {
            year: p.year,
            requirement: format!(
                "公需≥{}，专业≥{}，选修≥{}，合计≥{} 学时",
                m.public, m.professional, m.elective, m.total
            ),
            declaration: d.declaration.to_string(),
            school_review: d.school_review.to_string(),
            district_review: d.district_review.to_string(),
        }
    });
    drop(c);
    let extras = super::notices::home_extras(state, &user.me.ctx).await?;
    render(&AdminHome {
        layout: user.layout,
        flash,
        teachers,
        policy,
        notices: extras.notices,
        contacts: extras.contacts,
        contacts_org: extras.contacts_org,
    })
}
