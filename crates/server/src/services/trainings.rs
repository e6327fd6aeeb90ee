//! Training events and organiser registration (组织单位登记学时): one by one, in bulk, or
//! from a spreadsheet; all or nothing; re-registration updates instead of duplicating.

use std::collections::{HashMap, HashSet};
use xueshi_store::Vault;

use serde::{Deserialize, Serialize};
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{
    ActivityType, Category, FieldError, Hours, IdNumber, OrgKind, RecordStatus, Source, archive,
    time_rules,
};
use xueshi_store::models::{Org, Page, Record, Teacher, Training};
use xueshi_store::repo::{orgs, policies, records, teachers, trainings};
use xueshi_store::{Conn, Db, now_ms};

use super::courses::hours_field;
use super::{Ctx, Place, new_id, record, required_text};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateTraining {
    pub title: String,
    pub organizer_id: String,
    pub level: OrgKind,
    pub category: Category,
    pub activity_type: ActivityType,
    pub start_date: String,
    pub end_date: String,
    pub hours: f64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AttendanceEntry {
    pub teacher_id: Option<String>,
    pub id_number: Option<String>,
    /// Defaults to the event's hours; never above them.
    pub hours: Option<f64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Attendance {
    pub entries: Vec<AttendanceEntry>,
}

#[derive(Debug, Default, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct Registered {
    pub registered: usize,
    pub updated: usize,
}

/// One attendee as given, before checking: where it came from, who, and how many hours.
pub struct Attendee {
    /// `entries[3]` for JSON, the Excel row for a file.
    pub place: Located,
    pub teacher_id: Option<String>,
    pub id_number: Option<String>,
    pub name: Option<String>,
    pub hours: Result<Option<Hours>, String>,
}

#[derive(Clone, Copy)]
pub enum Located {
    Entry(usize),
    Row(usize),
}

/// A problem with one attendee, in the shape its source needs.
pub struct Problem {
    pub place: Located,
    pub column: &'static str,
    pub message: String,
}

impl Problem {
    pub fn to_json(&self) -> serde_json::Value {
        match self.place {
            Located::Entry(i) => {
                json!({ "field": format!("entries[{i}].{}", self.column), "message": self.message })
            }
            Located::Row(row) => {
                json!({ "row": row, "column": self.column, "message": self.message })
            }
        }
    }
}

pub async fn create(db: &Db, ctx: &Ctx, input: CreateTraining) -> AppResult<Training> {
    ctx.require(Action::OrganizeTraining)?;
    let mut errors = Vec::new();
    let title = required_text("title", "培训名称", &input.title, 200, &mut errors);
    let hours = hours_field("hours", input.hours, &mut errors);
    if input.category == Category::Public {
        errors.push(FieldError::new(
            "category",
            "培训活动只能登记专业科目或个人选修科目",
        ));
    }
    let start = time_rules::parse_date(&input.start_date);
    let end = time_rules::parse_date(&input.end_date);
    if start.is_none() {
        errors.push(FieldError::new("start_date", "日期格式应为 YYYY-MM-DD"));
    }
    if end.is_none() {
        errors.push(FieldError::new("end_date", "日期格式应为 YYYY-MM-DD"));
    }
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        errors.push(FieldError::new("start_date", "开始日期不能晚于结束日期"));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let end = end.expect("checked above");
    let mut tx = db.begin().await?;
    let organizer = organizer(&mut tx, ctx, &input.organizer_id).await?;
    if organizer.kind != input.level {
        return Err(AppError::invalid(
            "level",
            "培训级别须与组织单位一致（市级、区级、校本、培训机构）",
        ));
    }
    if !organizer.is_active() {
        return Err(AppError::invalid("organizer_id", "组织单位已注销"));
    }
    let training = Training {
        id: new_id(),
        title,
        organizer_id: organizer.id.clone(),
        level: input.level,
        category: input.category,
        activity_type: input.activity_type,
        start_date: input.start_date,
        end_date: input.end_date,
        year: time_rules::credit_year(end),
        hours,
        created_at: now_ms(),
    };
    trainings::insert(&mut tx, &training).await?;
    let detail = json!({ "after": { "title": training.title, "organizer_id": training.organizer_id, "hours": training.hours, "year": training.year } });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "training.create",
        ("training", &training.id),
        &Place::of(&organizer),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(training)
}

/// The organising organisation, if the actor may act in its name (else 404).
async fn organizer(c: &mut Conn, ctx: &Ctx, id: &str) -> AppResult<Org> {
    match orgs::get(c, id).await? {
        Some(org) if authz::may_organize(&ctx.actor, &org.place()) => Ok(org),
        _ => Err(AppError::NotFound),
    }
}

/// A training the actor organises (or may see as its organiser's superior), with its organiser.
pub async fn visible(c: &mut Conn, ctx: &Ctx, id: &str) -> AppResult<(Training, Org)> {
    ctx.require(Action::OrganizeTraining)?;
    let training = trainings::get(c, id).await?.ok_or(AppError::NotFound)?;
    let organizer = organizer(c, ctx, &training.organizer_id).await?;
    Ok((training, organizer))
}

pub async fn list(
    db: &Db,
    ctx: &Ctx,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page<Training>> {
    ctx.require(Action::OrganizeTraining)?;
    let mut c = db.pool().acquire().await?;
    Ok(trainings::list(&mut c, &authz::scope(&ctx.actor), cursor, limit).await?)
}

/// Refuses, before a file is read, a caller who may not register for this training: the
/// spreadsheet parser is never reached by someone the registration itself would turn away.
pub async fn check_may_register(db: &Db, ctx: &Ctx, training_id: &str) -> AppResult<()> {
    let mut c = db.pool().acquire().await?;
    visible(&mut c, ctx, training_id).await.map(drop)
}

/// Registers attendees of a training, all or nothing. With `dry_run` nothing is written and
/// the answer says what would be.
pub async fn register(
    db: &Db,
    ctx: &Ctx,
    training_id: &str,
    attendees: Vec<Attendee>,
    dry_run: bool,
    via: &str,
) -> AppResult<Result<Registered, Vec<Problem>>> {
    let mut tx = db.begin().await?;
    let (training, organizer) = visible(&mut tx, ctx, training_id).await?;
    if let Some(policy) = policies::get(&mut tx, training.year).await?
        && time_rules::deadline_passed(
            policy.deadlines.registration,
            time::OffsetDateTime::now_utc(),
        )
    {
        return Err(AppError::DeadlinePassed(format!(
            "{}年度组织单位登记已于{}截止，过期不录",
            training.year,
            time_rules::format_date(policy.deadlines.registration)
        )));
    }
    if attendees.is_empty() {
        return Err(AppError::invalid("entries", "没有要登记的教师"));
    }
    if attendees.len() > super::sheet::MAX_ROWS {
        return Err(AppError::invalid(
            "entries",
            format!("一次最多登记{}人，请分批登记", super::sheet::MAX_ROWS),
        ));
    }
    let (teachers_by_key, schools) = resolve(&mut tx, db.vault(), &attendees).await?;
    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(attendees.len());
    let mut seen = HashSet::new();
    for a in &attendees {
        match check(a, &training, &organizer, &teachers_by_key, &schools) {
            Err(problem) => problems.push(problem),
            Ok((teacher, hours)) => {
                if !seen.insert(teacher.id.clone()) {
                    problems.push(Problem {
                        place: a.place,
                        column: "身份证号",
                        message: "同一教师在本次登记中重复出现".into(),
                    });
                    continue;
                }
                rows.push(attendance_record(&training, teacher, hours, ctx));
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let existing = records::registered_for(&mut tx, &training.id).await?;
    let updated = rows
        .iter()
        .filter(|r| existing.contains(&r.teacher_id))
        .count();
    let counts = Registered {
        registered: rows.len() - updated,
        updated,
    };
    if dry_run {
        return Ok(Ok(counts));
    }
    records::upsert_attendance(&mut tx, &rows).await?;
    let detail = json!({ "registered": counts.registered, "updated": counts.updated, "via": via });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "training.attendance",
        ("training", &training.id),
        &Place::of(&organizer),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(counts))
}

/// Loads every teacher the attendees name (by id or ID number) and their schools, in bulk.
async fn resolve(
    c: &mut Conn,
    v: &Vault,
    attendees: &[Attendee],
) -> AppResult<(HashMap<String, Teacher>, HashMap<String, Org>)> {
    let ids: Vec<String> = attendees
        .iter()
        .filter_map(|a| a.teacher_id.clone())
        .collect();
    let numbers: Vec<String> = attendees
        .iter()
        .filter_map(|a| {
            a.id_number
                .as_deref()
                .and_then(|n| IdNumber::parse(n).ok())
                .map(|n| n.as_str().to_owned())
        })
        .collect();
    let mut found = teachers::find_many(c, v, false, &ids).await?;
    found.extend(teachers::find_many(c, v, true, &numbers).await?);
    let school_ids: Vec<String> = found
        .iter()
        .map(|t| t.school_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let schools = orgs::get_many(c, &school_ids)
        .await?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    let mut by_key = HashMap::with_capacity(found.len() * 2);
    for t in found {
        by_key.insert(t.id_number.clone(), t.clone());
        by_key.insert(t.id.clone(), t);
    }
    Ok((by_key, schools))
}

fn check<'a>(
    a: &Attendee,
    training: &Training,
    organizer: &Org,
    teachers: &'a HashMap<String, Teacher>,
    schools: &HashMap<String, Org>,
) -> Result<(&'a Teacher, Hours), Problem> {
    let problem = |column: &'static str, message: &str| Problem {
        place: a.place,
        column,
        message: message.to_owned(),
    };
    // A teacher the organiser may not credit is answered exactly as one who does not exist,
    // and only then is the name compared: the import tells nobody who is registered where.
    let not_found = match organizer.kind {
        OrgKind::School => "本校没有该身份证号的教师（校本培训只能登记本校教师）",
        _ => "本单位可登记的范围内没有该身份证号的教师",
    };
    let (column, found) = match (&a.teacher_id, &a.id_number) {
        (Some(id), _) => ("teacher_id", teachers.get(id)),
        (None, Some(raw)) => {
            let number = IdNumber::parse(raw).map_err(|e| problem("身份证号", &e.to_string()))?;
            ("身份证号", teachers.get(number.as_str()))
        }
        (None, None) => return Err(problem("身份证号", "请填写教师的身份证号或 teacher_id")),
    };
    let teacher = found
        .filter(|t| {
            schools
                .get(&t.school_id)
                .is_some_and(|s| authz::may_credit(&organizer.place(), &s.place()))
        })
        .ok_or_else(|| problem(column, not_found))?;
    if let Some(name) = a.name.as_deref().filter(|n| !n.is_empty())
        && name != teacher.name
    {
        return Err(problem("姓名", "姓名与身份证号不符，请核对"));
    }
    if !archive::may_receive_records(teacher.status) {
        return Err(problem("身份证号", archive::DEPARTED_GETS_NO_RECORDS));
    }
    let hours = match &a.hours {
        Err(message) => return Err(problem("学时", message)),
        Ok(None) => training.hours,
        Ok(Some(h)) if *h > training.hours => {
            return Err(problem(
                "学时",
                &format!("学时不能超过培训的 {} 学时", training.hours),
            ));
        }
        Ok(Some(h)) => *h,
    };
    Ok((teacher, hours))
}

fn attendance_record(training: &Training, teacher: &Teacher, hours: Hours, ctx: &Ctx) -> Record {
    Record {
        id: new_id(),
        teacher_id: teacher.id.clone(),
        year: training.year,
        category: training.category,
        activity_type: training.activity_type,
        title: training.title.clone(),
        hours,
        source: Source::Organizer,
        status: RecordStatus::Approved,
        course_id: None,
        training_id: Some(training.id.clone()),
        declaration_id: None,
        start_date: Some(training.start_date.clone()),
        end_date: Some(training.end_date.clone()),
        created_by: Some(ctx.actor.user_id.clone()),
        created_at: now_ms(),
        revoke_reason: None,
    }
}

/// Attendees from JSON entries.
pub fn from_entries(entries: Vec<AttendanceEntry>) -> Vec<Attendee> {
    entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| Attendee {
            place: Located::Entry(i),
            teacher_id: e.teacher_id,
            id_number: e.id_number,
            name: None,
            hours: e
                .hours
                .map(|h| Hours::parse_positive(h).map_err(|e| e.to_string()))
                .transpose(),
        })
        .collect()
}

/// The columns of the attendance spreadsheet (and its template).
pub const SHEET_COLUMNS: &[&str] = &["姓名", "身份证号", "学时"];

/// Attendees from a spreadsheet's rows (姓名, 身份证号, 学时).
pub fn from_sheet(rows: Vec<super::sheet::SheetRow>) -> Vec<Attendee> {
    rows.into_iter()
        .map(|r| {
            let [name, id_number, hours]: [String; 3] =
                r.cells.try_into().expect("three columns asked for");
            Attendee {
                place: Located::Row(r.row),
                teacher_id: None,
                id_number: Some(id_number),
                name: Some(name),
                hours: if hours.is_empty() {
                    Ok(None)
                } else {
                    Hours::parse_str(&hours)
                        .map(Some)
                        .map_err(|e| e.to_string())
                },
            }
        })
        .collect()
}

/// The downloadable XLSX template: the expected headers, and a second sheet explaining them.
pub fn template() -> AppResult<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let sheet = book.add_worksheet().set_name("学时登记").map_err(fail)?;
    for (col, title) in SHEET_COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *title, &bold)
            .map_err(fail)?;
    }
    // ID numbers as text, so Excel never turns them into 4.4E+17.
    sheet.set_column_format(1, &text).map_err(fail)?;
    sheet.set_column_width(1, 24).map_err(fail)?;
    let help = book.add_worksheet().set_name("填写说明").map_err(fail)?;
    let lines = [
        "第一个工作表第1行为表头（姓名、身份证号、学时），从第2行起每行一位教师。",
        "身份证号须为18位，与平台登记的姓名一致。",
        "学时可留空，留空按培训学时登记；填写时不得超过培训学时，最多一位小数。",
        "任何一行有误时整份名单都不会登记，请按错误报告修改后重新上传。",
    ];
    for (row, line) in lines.iter().enumerate() {
        help.write_string(row as u32, 0, *line).map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}
