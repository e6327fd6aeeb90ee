//! Reviewers' warnings from what the certificates say (证书识别): the declaration held
//! against each certificate read (`domain::reading::checks`), and photos that may not be
//! legible. Hints only, one line per kind of finding.

use xueshi_domain::ReadingStatus;
use xueshi_domain::reading::checks::{CertificateCheck, Claim, certificate_checks};
use xueshi_domain::reading::read_certificate;
use xueshi_domain::time_rules::{format_date_zh, parse_date};
use xueshi_store::models::{Declaration, Evidence};
use xueshi_store::repo::readings::Reading;

use super::warnings::Warning;
use crate::services::reading_view;

pub fn for_declaration(d: &Declaration, files: &[Evidence], readings: &[Reading]) -> Vec<Warning> {
    let (Some(start), Some(end)) = (parse_date(&d.start_date), parse_date(&d.end_date)) else {
        return Vec::new();
    };
    let attached = |kind: &str| files.iter().any(|f| f.kind == kind);
    let claim = Claim {
        hours: d.approved_hours.unwrap_or(d.hours),
        start,
        end,
        teacher_name: &d.teacher_name,
        has_translation: attached("translation"),
        has_hours_proof: attached("hours_proof"),
    };
    let mut warnings: Vec<Warning> = Vec::new();
    let mut unclear = Vec::new();
    for file in files {
        let Some(reading) = readings.iter().find(|r| r.evidence_id == file.id) else {
            continue;
        };
        if reading.status != ReadingStatus::Done {
            continue;
        }
        let read = reading.text.as_deref().map(read_certificate);
        for problem in reading_view::problems(
            reading,
            file.content_type.starts_with("image/"),
            read.as_ref(),
        ) {
            if !unclear.contains(&problem) {
                unclear.push(problem);
            }
        }
        let (Some(read), "certificate") = (read, file.kind.as_str()) else {
            continue;
        };
        for check in certificate_checks(&claim, &read) {
            if warnings.iter().any(|w| w.kind == check.code()) {
                continue;
            }
            let message = match check {
                CertificateCheck::HoursLower => format!(
                    "证书所载学时（{}）少于申报学时（{}）",
                    read.hours
                        .as_ref()
                        .map_or_else(String::new, |h| h.value.to_string()),
                    claim.hours
                ),
                CertificateCheck::DatesOutside => match (&read.start_date, &read.end_date) {
                    (Some(s), Some(e)) => format!(
                        "申报的学习时间（{}至{}）不在证书所载时间（{}至{}）之内",
                        format_date_zh(start),
                        format_date_zh(end),
                        format_date_zh(s.value),
                        format_date_zh(e.value)
                    ),
                    _ => continue,
                },
                CertificateCheck::NameDiffers => format!(
                    "证书上的姓名“{}”与教师姓名不符",
                    read.name.as_ref().map_or("", |n| n.value.as_str())
                ),
                CertificateCheck::NoHours => "证书未载明学时，且未附学时证明".into(),
                CertificateCheck::NotChinese => "证书似非中文，且未附中文翻译件".into(),
            };
            warnings.push(Warning::new(check.code(), "medium", message));
        }
    }
    if !unclear.is_empty() {
        let what: Vec<&str> = unclear
            .iter()
            .map(|p| reading_view::problem_label(p))
            .collect();
        warnings.push(Warning::new(
            "photo_unclear",
            "info",
            format!("证明材料照片可能不清晰（{}），请核对原件", what.join("、")),
        ));
    }
    warnings
}
