//! Platform courses and their completions: `public_course` and `platform_training` records,
//! effective at once.

use serde::Deserialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{
    ActivityType, Category, FieldError, Hours, RecordStatus, Source, archive, public_course_credit,
    public_topic, time_rules,
};
use xueshi_store::models::{Course, Record};
use xueshi_store::repo::{courses, orgs, records};
use xueshi_store::{Db, StoreError, UniqueKey, now_ms};

use super::{Ctx, Place, new_id, record, required_text, teachers};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateCourse {
    pub title: String,
    pub year: i32,
    /// `public` marks the year's public-course topics (公需科目).
    pub category: Category,
    pub hours: f64,
    /// Defaults to `remote_training` (网络研修).
    pub activity_type: Option<ActivityType>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Completion {
    pub teacher_id: String,
    pub hours: f64,
    /// `YYYY-MM-DD`; its year must be the course's.
    pub completed_on: String,
}

pub fn hours_field(field: &str, value: f64, errors: &mut Vec<FieldError>) -> Hours {
    Hours::parse_positive(value).unwrap_or_else(|e| {
        errors.push(FieldError::new(field, e.to_string()));
        Hours::ZERO
    })
}

pub async fn create(db: &Db, ctx: &Ctx, input: CreateCourse) -> AppResult<Course> {
    ctx.require(Action::ManageCourses)?;
    let mut errors = Vec::new();
    let title = required_text("title", "课程名称", &input.title, 200, &mut errors);
    let hours = hours_field("hours", input.hours, &mut errors);
    if !(2000..=2100).contains(&input.year) {
        errors.push(FieldError::new("year", "年度无效"));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let course = Course {
        id: new_id(),
        title,
        year: input.year,
        category: input.category,
        activity_type: input.activity_type.unwrap_or(ActivityType::RemoteTraining),
        hours,
        owner_org_id: ctx.actor.org_id.clone(),
        created_at: now_ms(),
    };
    let topic = public_topic(course.category, &course.title);
    let mut tx = db.begin().await?;
    if let Some(topic) = &topic {
        let published = courses::public_of_year(&mut tx, course.year).await?;
        if let Some(existing) = published
            .into_iter()
            .find(|p| public_topic(p.category, &p.title).as_ref() == Some(topic))
        {
            return Err(republished(
                existing.year,
                &existing.title,
                Some(existing.id),
            ));
        }
    }
    courses::insert(&mut tx, &course, topic.as_deref())
        .await
        .map_err(|e| match e {
            // Published at the same moment by another administrator.
            StoreError::Unique(UniqueKey::PublicTopic) => {
                republished(course.year, &course.title, None)
            }
            other => other.into(),
        })?;
    let owner = orgs::get(&mut tx, &course.owner_org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let detail = json!({ "after": { "title": course.title, "year": course.year, "category": course.category, "hours": course.hours } });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "course.create",
        ("course", &course.id),
        &Place::of(&owner),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(course)
}

/// The platform's courses (of a year), newest year first; everyone may read what is offered.
pub async fn list(db: &Db, year: Option<i32>) -> AppResult<Vec<Course>> {
    let mut c = db.pool().acquire().await?;
    Ok(courses::list(&mut c, year).await?)
}

/// 重复选学同一门公需科目仅按1门公需科目计算学时: one course per public topic and year.
fn republished(year: i32, title: &str, existing_id: Option<String>) -> AppError {
    AppError::Duplicate {
        message: format!(
            "{year}年度已发布同一公需科目“{title}”，教师重复选学只按1门计算学时，请勿重复发布"
        ),
        existing_id,
    }
}

/// Records a teacher's completion of a course. Studying it again counts once: the larger
/// report wins, never above the course's hours.
pub async fn complete(db: &Db, ctx: &Ctx, course_id: &str, input: Completion) -> AppResult<Record> {
    ctx.require(Action::ManageCourses)?;
    let mut tx = db.begin().await?;
    let course = courses::get(&mut tx, course_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = orgs::get(&mut tx, &course.owner_org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !authz::may_organize(&ctx.actor, &owner.place()) {
        return Err(AppError::NotFound);
    }
    let mut errors = Vec::new();
    let reported = hours_field("hours", input.hours, &mut errors);
    match time_rules::parse_date(&input.completed_on) {
        Some(d) if time_rules::credit_year(d) == course.year => {}
        Some(_) => errors.push(FieldError::new(
            "completed_on",
            format!("完成日期须在{}年度内", course.year),
        )),
        None => errors.push(FieldError::new("completed_on", "日期格式应为 YYYY-MM-DD")),
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (teacher, school) = teachers::visible_any(&mut tx, db.vault(), &input.teacher_id).await?;
    if !authz::may_credit(&owner.place(), &school.place()) {
        return Err(AppError::NotFound);
    }
    if !archive::may_receive_records(teacher.status) {
        return Err(AppError::invalid(
            "teacher_id",
            archive::DEPARTED_GETS_NO_RECORDS,
        ));
    }
    let previous = records::for_teacher(&mut tx, &teacher.id, Some(course.year))
        .await?
        .into_iter()
        .find(|r| r.course_id.as_deref() == Some(course.id.as_str()));
    let credited = public_course_credit(reported, previous.as_ref().map(|r| r.hours), course.hours);
    let source = if course.category == Category::Public {
        Source::PublicCourse
    } else {
        Source::PlatformTraining
    };
    let row = Record {
        id: new_id(),
        teacher_id: teacher.id.clone(),
        year: course.year,
        category: course.category,
        activity_type: course.activity_type,
        title: course.title.clone(),
        hours: credited,
        source,
        status: RecordStatus::Approved,
        course_id: Some(course.id.clone()),
        training_id: None,
        declaration_id: None,
        start_date: None,
        end_date: Some(input.completed_on.clone()),
        created_by: Some(ctx.actor.user_id.clone()),
        created_at: now_ms(),
        revoke_reason: None,
    };
    let saved = records::upsert_completion(&mut tx, &row).await?;
    let detail = json!({
        "course_id": course.id, "reported": reported, "before": previous.map(|r| r.hours), "after": saved.hours
    });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "record.completion",
        ("record", &saved.id),
        &Place::of(&school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}
