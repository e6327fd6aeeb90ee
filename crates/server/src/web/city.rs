//! The city's pages: year policies and platform courses.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use xueshi_domain::authz::Action;
use xueshi_domain::{
    CarryOverInput, DeadlinesInput, FieldError, MinimumsInput, Policy, PolicyInput,
};

use super::forms::{FormErrors, check_csrf, done};
use super::layout::{Layout, WebUser};
use super::{PageError, flash_text, render, today};
use crate::error::AppError;
use crate::services::courses::{self as course_service, CreateCourse};
use crate::services::policies as policy_service;
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

pub struct Field {
    pub name: &'static str,
    pub field: &'static str,
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    year: i32,
    years: Vec<i32>,
    exists: bool,
    minimums: Vec<Field>,
    deadlines: Vec<Field>,
    carry_over: bool,
    cap: String,
}

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    done: Option<String>,
}

fn fields(p: &Policy, form: Option<&HashMap<String, String>>) -> (Vec<Field>, Vec<Field>) {
    let value =
        |name: &str, default: String| form.and_then(|f| f.get(name).cloned()).unwrap_or(default);
    let m = &p.minimums;
    let d = &p.deadlines;
    // Each input with the dotted name the policy's validation reports its errors under.
    let minimums = [
        ("public", "minimums.public", "公需科目", m.public),
        (
            "professional",
            "minimums.professional",
            "专业科目",
            m.professional,
        ),
        ("elective", "minimums.elective", "个人选修科目", m.elective),
        ("total", "minimums.total", "合计", m.total),
    ]
    .map(|(name, field, label, h)| Field {
        name,
        field,
        label,
        value: value(name, h.to_string()),
    });
    let deadlines = [
        (
            "declaration",
            "deadlines.declaration",
            "教师个人申报截止",
            d.declaration,
        ),
        (
            "registration",
            "deadlines.registration",
            "主办单位登记截止",
            d.registration,
        ),
        (
            "school_review",
            "deadlines.school_review",
            "学校初审截止",
            d.school_review,
        ),
        (
            "district_review",
            "deadlines.district_review",
            "区（市）复审截止",
            d.district_review,
        ),
    ]
    .map(|(name, field, label, date)| Field {
        name,
        field,
        label,
        value: value(name, date.to_string()),
    });
    (minimums.into(), deadlines.into())
}

fn suggested(year: i32) -> Policy {
    let mut p = Policy::guangzhou_2021();
    let shift = |d: time::Date, by: i32| d.replace_year(d.year() + by).unwrap_or(d);
    let by = year - 2021;
    p.year = year;
    p.deadlines.declaration = shift(p.deadlines.declaration, by);
    p.deadlines.registration = shift(p.deadlines.registration, by);
    p.deadlines.school_review = shift(p.deadlines.school_review, by);
    p.deadlines.district_review = shift(p.deadlines.district_review, by);
    p
}

async fn policies_page(
    state: &AppState,
    user: WebUser,
    year: i32,
    form: Option<HashMap<String, String>>,
    errors: FormErrors,
) -> Result<PoliciesPage, AppError> {
    user.me.ctx.require(Action::EditPolicy)?;
    let stored = policy_service::of_year(&state.db, year).await?;
    let exists = stored.is_some();
    let p = stored.map_or_else(|| suggested(year), |p| (*p).clone());
    let (minimums, deadlines) = fields(&p, form.as_ref());
    let current = today().year();
    Ok(PoliciesPage {
        layout: user.layout,
        flash: None,
        errors,
        year,
        years: (2020..=current + 1).rev().collect(),
        exists,
        minimums,
        deadlines,
        carry_over: form
            .as_ref()
            .map_or(p.carry_over.enabled, |f| f.contains_key("carry_over")),
        cap: form
            .as_ref()
            .and_then(|f| f.get("cap").cloned())
            .unwrap_or_else(|| p.carry_over.cap.map(|c| c.to_string()).unwrap_or_default()),
    })
}

pub async fn policies(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let year = q.year.unwrap_or(today().year());
    let mut page = policies_page(&state, user, year, None, FormErrors::default()).await?;
    page.flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    Ok(render(&page)?)
}

pub async fn save_policy(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<YearQuery>,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&user, form.get("csrf").map_or("", String::as_str))?;
    let year = q.year.unwrap_or(today().year());
    let mut errors = Vec::new();
    let mut number = |name: &str, field: &str| match form.get(name).map(|v| v.trim().parse::<f64>())
    {
        Some(Ok(v)) => v,
        _ => {
            errors.push(FieldError::new(field, "须为数字，最多一位小数"));
            0.0
        }
    };
    let minimums = MinimumsInput {
        public: number("public", "minimums.public"),
        professional: number("professional", "minimums.professional"),
        elective: number("elective", "minimums.elective"),
        total: number("total", "minimums.total"),
    };
    let cap = form
        .get("cap")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(|c| c.parse::<f64>());
    let cap = match cap {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => {
            errors.push(FieldError::new("carry_over.cap", "须为数字，最多一位小数"));
            None
        }
    };
    let text = |name: &str| form.get(name).cloned().unwrap_or_default();
    // Activity caps are kept as they are: this form does not edit them.
    let activity_caps = {
        policy_service::of_year(&state.db, year).await?.map(|p| {
            p.activity_caps
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_f64()))
                .collect()
        })
    };
    let input = PolicyInput {
        minimums,
        deadlines: DeadlinesInput {
            declaration: text("declaration"),
            registration: text("registration"),
            school_review: text("school_review"),
            district_review: text("district_review"),
        },
        carry_over: Some(CarryOverInput {
            enabled: form.contains_key("carry_over"),
            cap,
        }),
        activity_caps,
    };
    let outcome = if errors.is_empty() {
        policy_service::put(&state.db, &user.me.ctx, year, input).await
    } else {
        Err(AppError::Invalid(errors))
    };
    match outcome {
        Ok(_) => Ok(done(&format!("/policies?year={year}"), "saved")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = policies_page(&state, user, year, Some(form), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "courses.html")]
struct CoursesPage {
    layout: Layout,
    flash: Option<String>,
    errors: FormErrors,
    year: i32,
    rows: Vec<(String, i32, &'static str, String)>,
}

async fn courses_page(
    state: &AppState,
    user: WebUser,
    flash: Option<String>,
    errors: FormErrors,
) -> Result<CoursesPage, AppError> {
    user.me.ctx.require(Action::ManageCourses)?;
    let rows = course_service::list(&state.db, None)
        .await?
        .into_iter()
        .map(|c| (c.title, c.year, c.category.label_zh(), c.hours.to_string()))
        .collect();
    Ok(CoursesPage {
        layout: user.layout,
        flash,
        errors,
        year: today().year(),
        rows,
    })
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn courses_list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let flash = q.done.as_deref().and_then(flash_text).map(str::to_owned);
    Ok(render(
        &courses_page(&state, user, flash, FormErrors::default()).await?,
    )?)
}

#[derive(Deserialize)]
pub struct CourseForm {
    csrf: String,
    title: String,
    year: String,
    category: String,
    hours: String,
}

pub async fn create_course(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<CourseForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let outcome = match (
        form.year.trim().parse::<i32>(),
        form.hours.trim().parse::<f64>(),
        form.category.parse(),
    ) {
        (Err(_), _, _) => Err(AppError::invalid("year", "年度应为四位数字")),
        (_, Err(_), _) => Err(AppError::invalid("hours", "学时须为数字，最多一位小数")),
        (_, _, Err(_)) => Err(AppError::invalid("category", "请选择科目类别")),
        (Ok(year), Ok(hours), Ok(category)) => course_service::create(
            &state.db,
            &user.me.ctx,
            CreateCourse {
                title: form.title,
                year,
                category,
                hours,
                activity_type: None,
            },
        )
        .await
        .map(|_| ()),
    };
    match outcome {
        Ok(()) => Ok(done("/courses", "created")),
        Err(e) => {
            let errors = FormErrors::from_error(e)?;
            let page = courses_page(&state, user, None, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
