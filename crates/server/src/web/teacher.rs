//! The teacher's pages, phone first: this year's progress, the records, past results.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use xueshi_domain::{Category, Hours, RecordStatus, time_rules};
use xueshi_store::models::Record;

use super::layout::{Layout, WebUser};
use super::{PageError, render, today};
use crate::error::{AppError, AppResult};
use crate::services::records;
use crate::services::verification;
use crate::state::AppState;

pub struct Bar {
    pub label: &'static str,
    pub hours: String,
    pub required: String,
    pub percent: u32,
    pub met: bool,
    pub note: String,
}

fn bar(label: &'static str, hours: Hours, required: Hours, note: String) -> Bar {
    let percent = if required.is_zero() {
        100
    } else {
        (hours.tenths() * 100 / required.tenths()).min(100) as u32
    };
    Bar {
        label,
        hours: hours.to_string(),
        required: required.to_string(),
        percent,
        met: hours >= required,
        note,
    }
}

pub struct RecordRow {
    pub title: String,
    pub category: &'static str,
    pub source: &'static str,
    pub hours: String,
    pub revoked: bool,
}

impl From<&Record> for RecordRow {
    fn from(r: &Record) -> RecordRow {
        RecordRow {
            title: r.title.clone(),
            category: r.category.label_zh(),
            source: r.source.label_zh(),
            hours: r.hours.to_string(),
            revoked: r.status == RecordStatus::Revoked,
        }
    }
}

#[derive(Template)]
#[template(path = "teacher_home.html")]
struct TeacherHome {
    layout: Layout,
    flash: Option<String>,
    year: i32,
    has_policy: bool,
    meets: bool,
    bars: Vec<Bar>,
    carried_in: String,
    pending: String,
    deadline: String,
    days_left: Option<i64>,
    records: Vec<RecordRow>,
    todo: crate::services::teacher_todo::TeacherTodo,
    /// Why 申报学时 is not offered (the deadline passed, or no policy yet).
    closed: Option<String>,
    notices: Vec<super::notices::NoticeView>,
    contacts: Vec<(String, String, String)>,
    contacts_org: String,
    messages: Vec<super::notices::MessageView>,
    unread: i64,
}

pub async fn home(state: &AppState, user: WebUser, flash: Option<String>) -> AppResult<Response> {
    let teacher_id = user.me.user.teacher_id.clone().ok_or(AppError::NotFound)?;
    let user_ctx = user.me.ctx.clone();
    let year = today().year();
    let records = records::list(&state.db, &user.me.ctx, &teacher_id, Some(year)).await?;
    let rows = records.iter().map(RecordRow::from).collect();
    let mut page = TeacherHome {
        layout: user.layout,
        flash,
        year,
        has_policy: false,
        meets: false,
        bars: Vec::new(),
        carried_in: "0".into(),
        pending: "0".into(),
        deadline: String::new(),
        days_left: None,
        records: rows,
        todo: Default::default(),
        closed: None,
        notices: Vec::new(),
        contacts: Vec::new(),
        contacts_org: String::new(),
        messages: Vec::new(),
        unread: 0,
    };
    let extras = super::notices::home_extras(state, &user_ctx).await?;
    page.notices = extras.notices;
    page.contacts = extras.contacts;
    page.contacts_org = extras.contacts_org;
    page.messages = extras.messages;
    page.unread = extras.unread;
    {
        let mut c = state.db.pool().acquire().await?;
        page.todo.items = crate::services::teacher_todo::items(&mut c, &teacher_id).await?;
        page.closed = crate::services::teacher_todo::closed_reason(&mut c).await?;
    }
    match records::progress(&state.db, &user.me.ctx, &teacher_id, year).await {
        Ok(p) => {
            let (o, m) = (&p.outcome, &p.policy.minimums);
            let short = |have: Hours, need: Hours| {
                if have >= need {
                    String::new()
                } else {
                    format!("还差 {} 学时", need.saturating_sub(have))
                }
            };
            page.has_policy = true;
            page.meets = o.passed;
            let public_note = match short(o.public, m.public) {
                s if s.is_empty() => s,
                s => format!("{s}（来自平台公需科目学习，不能个人申报）"),
            };
            page.bars = vec![
                bar("公需科目", o.public, m.public, public_note),
                bar(
                    "专业科目",
                    o.professional,
                    m.professional,
                    short(o.professional, m.professional),
                ),
                bar(
                    "个人选修科目",
                    o.elective,
                    m.elective,
                    short(o.elective, m.elective),
                ),
                bar("合计", o.total, m.total, short(o.total, m.total)),
            ];
            let mut c = state.db.pool().acquire().await?;
            page.todo.missing = crate::services::teacher_todo::missing(
                &mut c,
                year,
                [
                    (Category::Public, o.public, m.public),
                    (Category::Professional, o.professional, m.professional),
                    (Category::Elective, o.elective, m.elective),
                ],
                page.closed.is_none(),
            )
            .await?;
            page.carried_in = o.carried_in.to_string();
            page.pending = p.pending.to_string();
            let deadline = p.policy.deadlines.declaration;
            page.deadline = time_rules::format_date_zh(deadline);
            let left = (deadline - today()).whole_days();
            page.days_left = (left >= 0).then_some(left);
        }
        Err(AppError::NotFound) => {}
        Err(other) => return Err(other),
    }
    render(&page)
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

pub struct RecordGroup {
    pub source: &'static str,
    pub rows: Vec<RecordRow>,
}

#[derive(Template)]
#[template(path = "records.html")]
struct RecordsPage {
    layout: Layout,
    year: i32,
    years: Vec<i32>,
    groups: Vec<RecordGroup>,
}

/// All records of a year, grouped by source (公需科目学习, 主办单位登记, 个人申报 …).
pub async fn records_page(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<YearQuery>,
) -> AppResult<Response> {
    let teacher_id = user.me.user.teacher_id.clone().ok_or(AppError::Forbidden)?;
    let current = today().year();
    let year = q
        .year
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(current);
    let all = records::list(&state.db, &user.me.ctx, &teacher_id, Some(year)).await?;
    let mut groups: Vec<RecordGroup> = Vec::new();
    for source in xueshi_domain::Source::ALL {
        let rows: Vec<RecordRow> = all
            .iter()
            .filter(|r| r.source == *source)
            .map(RecordRow::from)
            .collect();
        if !rows.is_empty() {
            groups.push(RecordGroup {
                source: source.label_zh(),
                rows,
            });
        }
    }
    let years = (2021.min(year)..=(current + 1).max(year)).rev().collect();
    render(&RecordsPage {
        layout: user.layout,
        year,
        years,
        groups,
    })
}

pub struct ResultRow {
    pub year: i32,
    pub public: String,
    pub professional: String,
    pub elective: String,
    pub total: String,
    pub passed: bool,
    pub carry_out: String,
    /// What a failed year lacked, per category (against that year's minimums).
    pub short: Vec<String>,
    /// A passed year's certificate: its verification page and that page's QR code (SVG).
    pub verify_url: String,
    pub qr_svg: String,
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    layout: Layout,
    teacher_id: String,
    results: Vec<ResultRow>,
}

/// Previous years' verification results (年度验证结果): a passed year's certificate to
/// download with the QR code it carries; a failed year's shortfall.
pub async fn results_page(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, PageError> {
    let teacher_id = user.me.user.teacher_id.clone().ok_or(AppError::Forbidden)?;
    let mut c = state.db.pool().acquire().await?;
    let base = state
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_owned();
    let mut results = Vec::new();
    let signer = verification::CertificateSigner::load(&mut c).await?;
    for r in verification::results_of(&mut c, &teacher_id).await? {
        let mut short = Vec::new();
        if !r.passed
            && let Some(p) = crate::services::policies::of_year(&state.db, r.year).await?
        {
            let m = &p.minimums;
            for (label, have, need) in [
                ("公需科目", r.public, m.public),
                ("专业科目", r.professional, m.professional),
                ("个人选修科目", r.elective, m.elective),
                ("合计", r.total, m.total),
            ] {
                if have < need {
                    short.push(format!("{label}差 {} 学时", need.saturating_sub(have)));
                }
            }
        }
        let (verify_url, qr_svg) = if r.passed {
            let code = signer.code(&teacher_id, r.year)?;
            let url = format!("{base}/verify/{code}");
            let svg = crate::auth::totp::qr_svg(&url)?;
            (url, svg)
        } else {
            (String::new(), String::new())
        };
        results.push(ResultRow {
            year: r.year,
            public: r.public.to_string(),
            professional: r.professional.to_string(),
            elective: r.elective.to_string(),
            total: r.total.to_string(),
            passed: r.passed,
            carry_out: r.carry_out.to_string(),
            short,
            verify_url,
            qr_svg,
        });
    }
    Ok(render(&ResultsPage {
        layout: user.layout,
        teacher_id,
        results,
    })?)
}
