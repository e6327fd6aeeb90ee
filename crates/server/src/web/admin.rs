//! Administrators' pages: the overview of their scope and the registry (schools, teachers,
//! trainings, policies, verification).

use askama::Template;
use axum::response::Response;
use std::collections::HashMap;

use xueshi_domain::{Role, time_rules};
use xueshi_store::models::Org;

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

/// What waits for this administrator: the pending declarations at its level, the days to its
/// deadline, and where to go for them.
pub struct Todo {
    pub label: &'static str,
    pub count: i64,
    pub deadline: String,
    /// “距截止 N 天”, “今天截止” or “已逾期 N 天”.
    pub when: String,
    pub overdue: bool,
    pub href: &'static str,
    /// For a district or the city: schools with declarations still waiting for their
    /// first review, the most first (name, count).
    pub schools_behind: Vec<(String, i64)>,
    pub schools_behind_total: i64,
}

#[derive(Template)]
#[template(path = "admin_home.html")]
struct AdminHome {
    layout: Layout,
    flash: Option<String>,
    todo: Option<Todo>,
    /// Transfer and correction requests waiting for this district's (or the city's) decision.
    transfers_waiting: i64,
    corrections_waiting: i64,
    applications_waiting: i64,
    teachers: Option<i64>,
    policy: Option<PolicySummary>,
    notices: Vec<super::notices::NoticeView>,
    contacts: Vec<(String, String, String)>,
    contacts_org: String,
    messages: Vec<super::notices::MessageView>,
    unread: i64,
}

pub async fn home(state: &AppState, user: WebUser, flash: Option<String>) -> AppResult<Response> {
    let mut c = state.db.pool().acquire().await?;
    let teachers = crate::services::teachers::count_active(&mut c, &user.me.ctx).await?;
    let policy = crate::services::policies::of_year(&state.db, today().year())
        .await?
        .map(|p| {
            let m = &p.minimums;
            let d = &p.deadlines;
            PolicySummary {
                year: p.year,
                requirement: format!(
                    "公需≥{}，专业≥{}，选修≥{}，合计≥{} 学时",
                    m.public, m.professional, m.elective, m.total
                ),
                declaration: time_rules::format_date_zh(d.declaration),
                school_review: time_rules::format_date_zh(d.school_review),
                district_review: time_rules::format_date_zh(d.district_review),
            }
        });
    let todo = todo(state, &mut c, &user).await?;
    drop(c);
    let transfers_waiting = crate::services::transfers::awaiting(&state.db, &user.me.ctx).await?;
    let corrections_waiting =
        crate::services::corrections::awaiting(&state.db, &user.me.ctx).await?;
    let applications_waiting =
        crate::services::school_applications::awaiting(&state.db, &user.me.ctx).await?;
    let extras = super::notices::home_extras(state, &user.me.ctx).await?;
    render(&AdminHome {
        layout: user.layout,
        flash,
        todo,
        transfers_waiting,
        corrections_waiting,
        applications_waiting,
        teachers,
        policy,
        notices: extras.notices,
        contacts: extras.contacts,
        contacts_org: extras.contacts_org,
        messages: extras.messages,
        unread: extras.unread,
    })
}

async fn todo(
    state: &AppState,
    c: &mut xueshi_store::Conn,
    user: &WebUser,
) -> AppResult<Option<Todo>> {
    let actor = &user.me.ctx.actor;
    let (label, first_level) = match actor.role {
        Role::SchoolAdmin => ("待学校初审", true),
        Role::DistrictAdmin => ("待区级复审", false),
        Role::CityAdmin => ("待局属学校复审", false),
        _ => return Ok(None),
    };
    let year = super::year_under_review();
    let Some(policy) = crate::services::policies::of_year(&state.db, year).await? else {
        return Ok(None);
    };
    let tallies = crate::services::reports::pending_in_scope(c, &user.me.ctx, year).await?;
    let schools: HashMap<String, Org> =
        crate::services::reports::schools_in_scope(c, &user.me.ctx, true)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
    // The city's own queue is the city-affiliated schools' second level.
    let mine = |school_id: &str| {
        actor.role != Role::CityAdmin || schools.get(school_id).is_some_and(|s| s.city_affiliated)
    };
    let count = tallies
        .iter()
        .filter(|t| mine(&t.school_id))
        .map(|t| if first_level { t.school } else { t.second })
        .sum();
    let deadline = if first_level {
        policy.deadlines.school_review
    } else {
        policy.deadlines.district_review
    };
    let left = time_rules::days_left(deadline, time::OffsetDateTime::now_utc());
    let mut behind: Vec<(String, i64)> = if first_level {
        Vec::new()
    } else {
        tallies
            .iter()
            .filter(|t| t.school > 0)
            .map(|t| {
                let name = schools
                    .get(&t.school_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                (name, t.school)
            })
            .collect()
    };
    behind.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let schools_behind_total = behind.iter().map(|(_, n)| n).sum();
    behind.truncate(5);
    Ok(Some(Todo {
        label,
        count,
        deadline: time_rules::format_date_zh(deadline),
        when: match left {
            0 => "今天截止".into(),
            n if n > 0 => format!("距截止 {n} 天"),
            n => format!("已逾期 {} 天", -n),
        },
        overdue: left < 0 && count > 0,
        href: "/review",
        schools_behind: behind,
        schools_behind_total,
    }))
}
