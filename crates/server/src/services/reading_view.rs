//! What an evidence file's reading shows (the API's `reading`, the pages' 识别结果): its
//! status, its text, the fields `domain::reading` finds in it, and the photo's quality.

use std::collections::BTreeMap;

use serde::Serialize;
use xueshi_domain::ReadingStatus;
use xueshi_domain::reading::{CertificateFields, read_certificate};
use xueshi_domain::time_rules::format_date;
use xueshi_files::PhotoProblem;
use xueshi_store::models::Evidence;
pub use xueshi_store::repo::readings::Reading;

/// Fewer letters than this read off a photo: no legible text (`no_text`).
const LEGIBLE_LETTERS: f32 = 0.25;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReadingView {
    /// `pending` (waiting or being read), `done`, `failed`, or `off` (this file is not read:
    /// reading is off, or the file predates it).
    pub status: ReadingStatus,
    /// The text read, as read.
    pub text: Option<String>,
    pub fields: ReadFields,
    /// How sure each field read is, 0–1, by field name.
    pub confidence: BTreeMap<&'static str, f32>,
    pub quality: Quality,
}

/// The fields found in the text; `null` where it gave none (or two different answers).
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ReadFields {
    pub hours: Option<f64>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub title: Option<String>,
    pub organizer: Option<String>,
    pub name: Option<String>,
    pub is_chinese: Option<bool>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Quality {
    pub ok: bool,
    /// `too_small`, `too_dark`, `blurred`, `no_text` (照片可能不清晰，建议重新拍摄).
    pub problems: Vec<String>,
}

/// The view of `e`'s reading; `enabled` is whether this platform reads at all.
pub fn view(e: &Evidence, reading: Option<&Reading>, enabled: bool) -> ReadingView {
    match reading {
        Some(r) => view_of(r, e.content_type.starts_with("image/")),
        None => ReadingView {
            status: if !enabled || e.read_at == Some(0) {
                ReadingStatus::Off
            } else {
                ReadingStatus::Pending
            },
            text: None,
            fields: ReadFields::default(),
            confidence: BTreeMap::new(),
            quality: Quality {
                ok: true,
                problems: Vec::new(),
            },
        },
    }
}

/// The view of a reading of a file, a picture or not: evidence's, or a staged file's.
pub fn view_of(r: &Reading, image: bool) -> ReadingView {
    let read = r.text.as_deref().map(read_certificate);
    let mut confidence = BTreeMap::new();
    let fields = read
        .as_ref()
        .map(|f| fields(f, &mut confidence))
        .unwrap_or_default();
    let problems = problems(r, image, read.as_ref());
    ReadingView {
        status: r.status,
        text: r.text.clone(),
        fields,
        confidence,
        quality: Quality {
            ok: problems.is_empty(),
            problems,
        },
    }
}

/// A read file's problems: the ones measured, and for a picture `no_text` when next to
/// nothing was read.
pub fn problems(r: &Reading, image: bool, read: Option<&CertificateFields>) -> Vec<String> {
    let mut found = r.problems.clone();
    let illegible = read.is_none_or(|f| f.is_chinese.confidence < LEGIBLE_LETTERS);
    if image && r.status == ReadingStatus::Done && illegible {
        found.push("no_text".into());
    }
    found
}

fn fields(f: &CertificateFields, confidence: &mut BTreeMap<&'static str, f32>) -> ReadFields {
    let mut sure = |name: &'static str, c: f32| {
        confidence.insert(name, c);
    };
    if let Some(h) = &f.hours {
        sure("hours", h.confidence);
    }
    if let Some(d) = &f.start_date {
        sure("start_date", d.confidence);
        sure("end_date", d.confidence);
    }
    for (name, field) in [
        ("title", &f.title),
        ("organizer", &f.organizer),
        ("name", &f.name),
    ] {
        if let Some(v) = field {
            sure(name, v.confidence);
        }
    }
    sure("is_chinese", f.is_chinese.confidence);
    ReadFields {
        hours: f.hours.as_ref().map(|h| h.value.to_f64()),
        start_date: f.start_date.as_ref().map(|d| format_date(d.value)),
        end_date: f.end_date.as_ref().map(|d| format_date(d.value)),
        title: f.title.as_ref().map(|t| t.value.clone()),
        organizer: f.organizer.as_ref().map(|o| o.value.clone()),
        name: f.name.as_ref().map(|n| n.value.clone()),
        is_chinese: (f.is_chinese.confidence > 0.0).then_some(f.is_chinese.value),
    }
}

/// Whether the declaration's certificates have all been read (so that no warning of theirs
/// is still to come): what "证书与申报一致" in the review queue needs besides no warning.
pub fn certificates_read(files: &[Evidence], readings: &[Reading]) -> bool {
    let mut certificates = files.iter().filter(|f| f.kind == "certificate").peekable();
    certificates.peek().is_some()
        && certificates.all(|f| {
            readings
                .iter()
                .any(|r| r.evidence_id == f.id && r.status == ReadingStatus::Done)
        })
}

/// The words for a photo's problem code (`files::PhotoProblem`, or `no_text`).
pub fn problem_label(code: &str) -> &'static str {
    PhotoProblem::ALL
        .into_iter()
        .find(|p| p.code() == code)
        .map_or("未能识别出文字", PhotoProblem::label_zh)
}
