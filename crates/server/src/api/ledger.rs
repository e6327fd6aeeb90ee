//! Courses, training events, records, progress: the ledger's API.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use xueshi_domain::{ActivityType, Category, Hours, OrgKind, RecordStatus, Source};
use xueshi_store::models::{Course, Record, Training};

use super::dto::List;
use super::extract::{ApiJson, ApiQuery};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::courses::{self, Completion, CreateCourse};
use crate::services::records::{self, Revoke};
use crate::services::trainings::{self, Attendance, CreateTraining, Registered};
use crate::services::{sheet, time_text};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct CourseDto {
    pub id: String,
    pub title: String,
    pub year: i32,
    pub category: Category,
    pub activity_type: ActivityType,
    pub hours: Hours,
    pub owner_org_id: String,
}

impl From<Course> for CourseDto {
    fn from(c: Course) -> CourseDto {
        CourseDto {
            id: c.id,
            title: c.title,
            year: c.year,
            category: c.category,
            activity_type: c.activity_type,
            hours: c.hours,
            owner_org_id: c.owner_org_id,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordDto {
    pub id: String,
    pub teacher_id: String,
    pub year: i32,
    pub category: Category,
    pub activity_type: ActivityType,
    pub title: String,
    pub hours: Hours,
    pub source: Source,
    /// `approved` = effective (有效学时); `revoked` never counts.
    pub status: RecordStatus,
    pub course_id: Option<String>,
    pub training_id: Option<String>,
    pub declaration_id: Option<String>,
    pub revoke_reason: Option<String>,
    pub created_at: String,
}

impl From<Record> for RecordDto {
    fn from(r: Record) -> RecordDto {
        RecordDto {
            id: r.id,
            teacher_id: r.teacher_id,
            year: r.year,
            category: r.category,
            activity_type: r.activity_type,
            title: r.title,
            hours: r.hours,
            source: r.source,
            status: r.status,
            course_id: r.course_id,
            training_id: r.training_id,
            declaration_id: r.declaration_id,
            revoke_reason: r.revoke_reason,
            created_at: time_text(r.created_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TrainingDto {
    pub id: String,
    pub title: String,
    pub organizer_id: String,
    pub level: OrgKind,
    pub category: Category,
    pub activity_type: ActivityType,
    pub start_date: String,
    pub end_date: String,
    pub year: i32,
    pub hours: Hours,
}

impl From<Training> for TrainingDto {
    fn from(t: Training) -> TrainingDto {
        TrainingDto {
            id: t.id,
            title: t.title,
            organizer_id: t.organizer_id,
            level: t.level,
            category: t.category,
            activity_type: t.activity_type,
            start_date: t.start_date,
            end_date: t.end_date,
            year: t.year,
            hours: t.hours,
        }
    }
}

/// Create a platform course (city or district); category `public` marks a public-course topic.
/// A topic is published once a year (重复选学同一门公需科目仅按1门计算): a second public course
/// whose title is the same once normalised (`domain::public_topic`) → 409 `duplicate` with
/// `details.existing_id`.
#[utoipa::path(post, path = "/courses", tag = "ledger", request_body = CreateCourse,
    responses((status = 201, body = CourseDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_course(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<CreateCourse>,
) -> AppResult<(StatusCode, Json<CourseDto>)> {
    let course = courses::create(&state.db, &me.ctx, input).await?;
    Ok((StatusCode::CREATED, Json(course.into())))
}

/// Record a teacher's completion; repeats keep one record with the larger hours.
#[utoipa::path(post, path = "/courses/{id}/completions", tag = "ledger", request_body = Completion,
    responses((status = 200, body = RecordDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_course(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<Completion>,
) -> AppResult<Json<RecordDto>> {
    Ok(Json(
        courses::complete(&state.db, &me.ctx, &id, input)
            .await?
            .into(),
    ))
}

/// Create a training event whose organiser registers attendance.
#[utoipa::path(post, path = "/trainings", tag = "ledger", request_body = CreateTraining,
    responses((status = 201, body = TrainingDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_training(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(input): ApiJson<CreateTraining>,
) -> AppResult<(StatusCode, Json<TrainingDto>)> {
    let training = trainings::create(&state.db, &me.ctx, input).await?;
    Ok((StatusCode::CREATED, Json(training.into())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Training events the caller organises (a district: also its schools' and providers').
#[utoipa::path(get, path = "/trainings", tag = "ledger", params(PageQuery), responses((status = 200, body = List<TrainingDto>)))]
pub async fn list_trainings(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<List<TrainingDto>>> {
    let page = trainings::list(&state.db, &me.ctx, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(List::from_page(page, TrainingDto::from)))
}

#[utoipa::path(get, path = "/trainings/{id}", tag = "ledger", responses((status = 200, body = TrainingDto), (status = 404, body = ErrorBody)))]
pub async fn get_training(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<TrainingDto>> {
    let mut c = state.db.pool().acquire().await?;
    Ok(Json(
        trainings::visible(&mut c, &me.ctx, &id).await?.0.into(),
    ))
}

fn rejected(problems: Vec<trainings::Problem>) -> AppError {
    let details = problems.iter().map(|p| p.to_json()).collect();
    AppError::Rows {
        message: format!("有 {} 条登记有误，全部未登记，请修改后重试", problems.len()),
        details,
    }
}

/// Register attendees by teacher id or ID number; any bad entry → 422 and nothing registered.
#[utoipa::path(post, path = "/trainings/{id}/attendance", tag = "ledger", request_body = Attendance,
    responses((status = 200, body = Registered), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<Attendance>,
) -> AppResult<Json<Registered>> {
    let attendees = trainings::from_entries(input.entries);
    trainings::register(&state.db, &me.ctx, &id, attendees, false, "api")
        .await?
        .map(Json)
        .map_err(rejected)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Check only; register nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Read the `file` field of a multipart upload.
pub async fn file_field(mut multipart: Multipart) -> AppResult<Bytes> {
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(multipart_error);
        }
    }
    Err(AppError::invalid("file", "请上传文件（字段名 file）"))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest(format!("上传内容格式错误：{e}"))
    }
}

/// Register attendance from an XLSX or CSV file (姓名, 身份证号, 学时): all rows or none.
#[utoipa::path(post, path = "/trainings/{id}/attendance/import", tag = "ledger", params(ImportQuery),
    request_body(content_type = "multipart/form-data", description = "field `file`: XLSX or CSV (UTF-8 or GB18030)"),
    responses((status = 200, body = Registered), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    multipart: Multipart,
) -> AppResult<Json<Registered>> {
    trainings::check_may_register(&state.db, &me.ctx, &id).await?;
    let bytes = file_field(multipart).await?;
    let rows = sheet::read_upload(
        bytes,
        trainings::SHEET_COLUMNS,
        &trainings::SHEET_COLUMNS[..2],
    )
    .await?;
    let attendees = trainings::from_sheet(rows);
    trainings::register(&state.db, &me.ctx, &id, attendees, q.dry_run, "import")
        .await?
        .map(Json)
        .map_err(rejected)
}

/// The attendance spreadsheet template (姓名, 身份证号, 学时).
#[utoipa::path(get, path = "/trainings/attendance/template.xlsx", tag = "ledger", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn template(_me: CurrentUser) -> AppResult<impl IntoResponse> {
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"attendance-template.xlsx\"; filename*=UTF-8''%E5%AD%A6%E6%97%B6%E7%99%BB%E8%AE%B0%E6%A8%A1%E6%9D%BF.xlsx",
            ),
        ],
        trainings::template()?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct YearQuery {
    pub year: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// A teacher's records from every source.
#[utoipa::path(get, path = "/teachers/{id}/records", tag = "ledger", params(YearQuery), responses((status = 200, body = Items<RecordDto>), (status = 404, body = ErrorBody)))]
pub async fn teacher_records(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> AppResult<Json<Items<RecordDto>>> {
    let list = records::list(&state.db, &me.ctx, &id, q.year).await?;
    Ok(Json(Items {
        items: list.into_iter().map(RecordDto::from).collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CategoryProgress {
    pub hours: Hours,
    pub required: Hours,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProfessionalProgress {
    /// Includes `carried_in`.
    pub hours: Hours,
    pub carried_in: Hours,
    pub required: Hours,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgressCategories {
    pub public: CategoryProgress,
    pub professional: ProfessionalProgress,
    pub elective: CategoryProgress,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgressDto {
    pub teacher_id: String,
    pub year: i32,
    pub categories: ProgressCategories,
    pub total: CategoryProgress,
    pub meets_requirements: bool,
    pub pending_hours: Hours,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RequiredYear {
    pub year: i32,
}

/// Provisional progress of a year from effective records (404 when the year has no policy).
#[utoipa::path(get, path = "/teachers/{id}/progress", tag = "ledger", params(RequiredYear), responses((status = 200, body = ProgressDto), (status = 404, body = ErrorBody)))]
pub async fn progress(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RequiredYear>,
) -> AppResult<Json<ProgressDto>> {
    let p = records::progress(&state.db, &me.ctx, &id, q.year).await?;
    let (o, m) = (&p.outcome, &p.policy.minimums);
    Ok(Json(ProgressDto {
        teacher_id: id,
        year: q.year,
        categories: ProgressCategories {
            public: CategoryProgress {
                hours: o.public,
                required: m.public,
            },
            professional: ProfessionalProgress {
                hours: o.professional,
                carried_in: o.carried_in,
                required: m.professional,
            },
            elective: CategoryProgress {
                hours: o.elective,
                required: m.elective,
            },
        },
        total: CategoryProgress {
            hours: o.total,
            required: m.total,
        },
        meets_requirements: o.passed,
        pending_hours: p.pending,
    }))
}

/// Revoke an effective record (取消学时登记) with a reason.
#[utoipa::path(post, path = "/records/{id}/revoke", tag = "ledger", request_body = Revoke,
    responses((status = 200, body = RecordDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<Revoke>,
) -> AppResult<Json<RecordDto>> {
    Ok(Json(
        records::revoke(&state.db, &me.ctx, &id, input)
            .await?
            .into(),
    ))
}
