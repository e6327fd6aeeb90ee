//! The progress overview of an administrator's scope, with server-rendered SVG charts (no
//! script): pass rate by district or school, hours per teacher against the minimums, pending
//! and overdue reviews.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use xueshi_domain::Hours;

use super::layout::{Layout, WebUser};
use super::{PageError, render, today};
use crate::error::AppError;
use crate::services::policies;
use crate::services::reports::{self, Group, ReportBasis};
use crate::state::AppState;

/// Width of a full bar in the charts.
const BAR: f64 = 380.0;
const ROW: i64 = 26;

pub struct GroupView {
    pub name: String,
    pub teachers: i64,
    pub passed: i64,
    pub rate: String,
    pub pending_school: i64,
    pub pending_second: i64,
    pub overdue: i64,
    pub y: i64,
    pub bar: i64,
}

fn group_view(g: &Group, i: usize) -> GroupView {
    // Long school names are cut so the chart keeps its shape on a phone.
    let name: String = if g.name.chars().count() > 12 {
        g.name.chars().take(11).chain(['…']).collect()
    } else {
        g.name.clone()
    };
    GroupView {
        name,
        teachers: g.teachers,
        passed: g.passed,
        // No teachers: no rate, rather than a 0 % that reads as everyone failing.
        rate: if g.teachers == 0 {
            "—".into()
        } else {
            format!("{:.1}%", g.pass_rate * 100.0)
        },
        pending_school: g.pending_school,
        pending_second: g.pending_second,
        overdue: g.overdue,
        y: i as i64 * ROW,
        bar: (g.pass_rate.clamp(0.0, 1.0) * BAR).round() as i64,
    }
}

pub struct HoursBar {
    pub label: &'static str,
    pub value: String,
    pub y: i64,
    pub bar: i64,
    pub required_x: i64,
    pub met: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    layout: Layout,
    year: i32,
    years: Vec<i32>,
    error: Option<String>,
    basis: &'static str,
    as_of: String,
    unit: &'static str,
    total: GroupView,
    groups: Vec<GroupView>,
    chart_height: i64,
    hours: Vec<HoursBar>,
    hours_height: i64,
    pending: Vec<PendingBar>,
    pending_from: String,
    pending_to: String,
    pending_max: i64,
}

/// One day of the backlog chart: pending at school level stacked under pending at second level.
pub struct PendingBar {
    pub day: String,
    pub school: i64,
    pub second: i64,
    pub x: i64,
    pub y_school: i64,
    pub h_school: i64,
    pub y_second: i64,
    pub h_second: i64,
}

/// Lays the last 30 days out on a 600 × 130 plot, days without a snapshot left empty.
fn pending_bars(series: &[(String, i64, i64)], today: time::Date) -> (Vec<PendingBar>, i64) {
    let max = series
        .iter()
        .map(|(_, a, b)| a + b)
        .max()
        .unwrap_or(0)
        .max(1);
    let height = |n: i64| (n as f64 / max as f64 * 130.0).round() as i64;
    let bars = series
        .iter()
        .filter_map(|(day, school, second)| {
            let date = xueshi_domain::time_rules::parse_date(day)?;
            let offset = 29 - (today - date).whole_days();
            (0..30).contains(&offset).then(|| {
                let (h_school, h_second) = (height(*school), height(*second));
                PendingBar {
                    day: day.clone(),
                    school: *school,
                    second: *second,
                    x: 32 + offset * 20,
                    y_school: 140 - h_school,
                    h_school,
                    y_second: 140 - h_school - h_second,
                    h_second,
                }
            })
        })
        .collect();
    (bars, max)
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub async fn page(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let current = today().year();
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(current);
    let years: Vec<i32> = (2021.min(year)..=current.max(year)).rev().collect();
    let mut c = state.db.pool().acquire().await?;
    let summary = reports::summary(&mut c, &user.me.ctx, year, None, None, today()).await;
    let policy = policies::of_year(&state.db, year).await?;
    let series = reports::pending_series(&mut c, &user.me.ctx, today(), 30).await?;
    drop(c);
    let (pending, pending_max) = pending_bars(&series, today());
    let mut page = OverviewPage {
        layout: user.layout,
        year,
        years,
        error: None,
        basis: "",
        as_of: String::new(),
        unit: "学校",
        total: group_view(&Group::default(), 0),
        groups: Vec::new(),
        chart_height: ROW,
        hours: Vec::new(),
        hours_height: ROW * 4,
        pending,
        pending_from: (today() - time::Duration::days(29)).to_string(),
        pending_to: today().to_string(),
        pending_max,
    };
    let summary = match summary {
        Ok(s) => s,
        Err(AppError::Invalid(errors)) => {
            page.error = errors.first().map(|e| e.message.clone());
            return Ok(render(&page)?);
        }
        Err(other) => return Err(other.into()),
    };
    page.basis = match summary.basis {
        ReportBasis::Verified => "依据年度验证结果",
        ReportBasis::Live => "依据目前已生效的学时（年度验证前的实时数据）",
    };
    page.as_of = summary.as_of.clone();
    page.unit = match summary.group_by {
        reports::GroupBy::District => "区",
        reports::GroupBy::School => "学校",
    };
    page.total = group_view(&summary.total, 0);
    page.groups = summary
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| group_view(g, i))
        .collect();
    page.chart_height = (summary.groups.len().max(1) as i64) * ROW;
    if let Some(p) = policy {
        let avg = &summary.total.average_hours;
        let m = &p.minimums;
        let rows = [
            ("公需科目", avg.public, m.public),
            ("专业科目", avg.professional, m.professional),
            ("个人选修科目", avg.elective, m.elective),
            ("合计", avg.total, m.total),
        ];
        // The scale leaves room past the minimum so that "met" is visible.
        let scale = rows
            .iter()
            .map(|(_, have, need)| have.max(need).tenths())
            .max()
            .unwrap_or(1)
            .max(1) as f64
            * 1.15;
        let x = |h: Hours| (h.tenths() as f64 / scale * BAR).round() as i64;
        page.hours = rows
            .iter()
            .enumerate()
            .map(|(i, (label, have, need))| HoursBar {
                label,
                value: format!("{have} / {need}"),
                y: i as i64 * ROW,
                bar: x(*have),
                required_x: 200 + x(*need),
                met: have >= need,
            })
            .collect();
    }
    Ok(render(&page)?)
}
