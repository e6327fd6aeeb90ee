//! The declaration form: what a teacher sends, and the field rules.
//!
//! Saving (create, PATCH) checks each field on its own, so everything stored is well-formed;
//! rules across fields and completeness (the start date not after the end date, an organiser
//! named) are checked on submission, in API.md's order, so a draft can be saved half done.

use serde::Deserialize;
use serde_json::json;
use xueshi_domain::{
    ActivityType, Category, DeclarationStatus, FieldError, Hours, normalize_title, time_rules,
};
use xueshi_store::models::{Declaration, Filing};

use crate::error::{AppError, AppResult};

const MAX_TEXT: usize = 200;

fn yes() -> bool {
    true
}

/// `POST /declarations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeclarationInput {
    /// `professional` or `elective` (public hours come from the public courses).
    pub category: Category,
    pub activity_type: ActivityType,
    pub title: String,
    /// 主办单位
    pub organizer: String,
    pub start_date: String,
    /// Decides the credit year.
    pub end_date: String,
    pub hours: f64,
    /// 境外证书（非中文）: a sealed Chinese translation is then required.
    #[serde(default)]
    pub foreign_certificate: bool,
    /// Whether the certificate states the hours; if not, an hours proof is required.
    #[serde(default = "yes")]
    pub certificate_states_hours: bool,
}

/// `PATCH /declarations/{id}`: any of the fields.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct DeclarationPatch {
    pub category: Option<Category>,
    pub activity_type: Option<ActivityType>,
    pub title: Option<String>,
    pub organizer: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub hours: Option<f64>,
    pub foreign_certificate: Option<bool>,
    pub certificate_states_hours: Option<bool>,
}

/// Validated fields, ready to be written onto a declaration.
pub struct Fields {
    pub category: Category,
    pub activity_type: ActivityType,
    pub title: String,
    pub organizer: String,
    pub start_date: String,
    pub end_date: String,
    pub hours: Hours,
    pub foreign_certificate: bool,
    pub certificate_states_hours: bool,
}

impl DeclarationInput {
    pub fn validate(self) -> AppResult<Fields> {
        let mut errors = Vec::new();
        let fields = Fields {
            category: category(self.category, &mut errors),
            activity_type: self.activity_type,
            title: title(&self.title, &mut errors),
            organizer: organizer(&self.organizer, &mut errors),
            start_date: date("start_date", &self.start_date, &mut errors),
            end_date: date("end_date", &self.end_date, &mut errors),
            hours: hours(self.hours, &mut errors),
            foreign_certificate: self.foreign_certificate,
            certificate_states_hours: self.certificate_states_hours,
        };
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(AppError::Invalid(errors))
        }
    }
}

impl Fields {
    /// A new draft of the teacher, filed under their current school.
    pub fn into_draft(
        self,
        id: String,
        teacher_id: &str,
        filing: &Filing,
        now: i64,
    ) -> Declaration {
        let mut d = Declaration {
            id,
            teacher_id: teacher_id.to_owned(),
            school_id: String::new(),
            district_id: None,
            city_affiliated: false,
            year: 0,
            category: self.category,
            activity_type: self.activity_type,
            title: String::new(),
            title_normalized: String::new(),
            organizer: String::new(),
            start_date: String::new(),
            end_date: String::new(),
            hours: self.hours,
            approved_hours: None,
            status: DeclarationStatus::Draft,
            foreign_certificate: false,
            certificate_states_hours: true,
            submitted_at: None,
            queued_at: now,
            created_at: now,
            updated_at: now,
            record_id: None,
            teacher_name: filing.teacher_name.clone(),
            record_status: None,
        };
        filing.apply_to(&mut d);
        self.apply_to(&mut d);
        d
    }

    pub fn apply_to(self, d: &mut Declaration) {
        d.category = self.category;
        d.activity_type = self.activity_type;
        d.title_normalized = normalize_title(&self.title);
        d.title = self.title;
        d.organizer = self.organizer;
        d.year = year_of(&self.end_date);
        d.start_date = self.start_date;
        d.end_date = self.end_date;
        d.hours = self.hours;
        d.foreign_certificate = self.foreign_certificate;
        d.certificate_states_hours = self.certificate_states_hours;
    }
}

impl DeclarationPatch {
    /// Checks the given fields and writes them onto `d`.
    pub fn validate_onto(self, d: &mut Declaration) -> AppResult<()> {
        let input = DeclarationInput {
            category: self.category.unwrap_or(d.category),
            activity_type: self.activity_type.unwrap_or(d.activity_type),
            title: self.title.unwrap_or_else(|| d.title.clone()),
            organizer: self.organizer.unwrap_or_else(|| d.organizer.clone()),
            start_date: self.start_date.unwrap_or_else(|| d.start_date.clone()),
            end_date: self.end_date.unwrap_or_else(|| d.end_date.clone()),
            hours: self.hours.unwrap_or_else(|| d.hours.to_f64()),
            foreign_certificate: self.foreign_certificate.unwrap_or(d.foreign_certificate),
            certificate_states_hours: self
                .certificate_states_hours
                .unwrap_or(d.certificate_states_hours),
        };
        input.validate()?.apply_to(d);
        Ok(())
    }
}

fn category(c: Category, errors: &mut Vec<FieldError>) -> Category {
    if !c.is_declarable() {
        errors.push(FieldError::new(
            "category",
            "个人申报只能申报专业科目或个人选修科目（公需科目由平台课程自动记录）",
        ));
    }
    c
}

fn title(raw: &str, errors: &mut Vec<FieldError>) -> String {
    super::super::required_text("title", "培训（学习）名称", raw, MAX_TEXT, errors)
}

/// The organiser may be left empty in a draft; submission requires it.
fn organizer(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let trimmed = raw.trim();
    if trimmed.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            "organizer",
            format!("主办单位不能超过{MAX_TEXT}个字符"),
        ));
    }
    trimmed.to_owned()
}

fn date(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> String {
    match time_rules::parse_date(raw) {
        Some(d) if (2000..=2100).contains(&d.year()) => time_rules::format_date(d),
        Some(_) => {
            errors.push(FieldError::new(field, "日期须在2000年至2100年之间"));
            raw.to_owned()
        }
        None => {
            errors.push(FieldError::new(field, "日期格式应为 YYYY-MM-DD"));
            raw.to_owned()
        }
    }
}

fn hours(value: f64, errors: &mut Vec<FieldError>) -> Hours {
    Hours::parse_positive(value).unwrap_or_else(|e| {
        errors.push(FieldError::new("hours", e.to_string()));
        Hours::ZERO
    })
}

/// The credit year of a stored (valid) end date.
fn year_of(end_date: &str) -> i32 {
    time_rules::parse_date(end_date).map_or(0, time_rules::credit_year)
}

/// The rules a declaration must meet to be submitted, beyond its fields' own.
pub fn submission_errors(d: &Declaration) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if d.organizer.trim().is_empty() {
        errors.push(FieldError::new("organizer", "主办单位不能为空"));
    }
    if d.title.trim().is_empty() {
        errors.push(FieldError::new("title", "培训（学习）名称不能为空"));
    }
    if !d.category.is_declarable() {
        errors.push(FieldError::new(
            "category",
            "个人申报只能申报专业科目或个人选修科目",
        ));
    }
    // Dates are stored as YYYY-MM-DD, so they compare as text.
    if d.start_date > d.end_date {
        errors.push(FieldError::new("start_date", "开始日期不能晚于结束日期"));
    }
    errors
}

/// What the audit log keeps of a declaration's content.
pub fn audit_view(d: &Declaration) -> serde_json::Value {
    json!({
        "year": d.year,
        "category": d.category,
        "activity_type": d.activity_type,
        "title": d.title,
        "organizer": d.organizer,
        "start_date": d.start_date,
        "end_date": d.end_date,
        "hours": d.hours,
        "foreign_certificate": d.foreign_certificate,
        "certificate_states_hours": d.certificate_states_hours,
    })
}
