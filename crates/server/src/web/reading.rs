//! 识别结果 on the pages: what the platform read off a certificate, its hours and dates
//! marked, beside the picture for the reviewer, with one tap to fill each field for the
//! teacher (请核对); and a photo that may not be legible, said so (a warning, never a
//! refusal).

use xueshi_domain::ReadingStatus;
use xueshi_domain::reading::marked_lines;
use xueshi_domain::time_rules::{format_date_zh, parse_date};
use xueshi_store::models::Evidence;

use crate::services::reading_view::{self, Reading};

pub struct ReadingShown {
    /// 识别中 / 已识别 / 未能识别
    pub status: &'static str,
    pub done: bool,
    pub facts: Vec<Fact>,
    /// The text as read, line by line, pieces stating hours or dates marked.
    pub lines: Vec<Vec<(String, bool)>>,
    /// 照片可能不清晰（…），建议重新拍摄
    pub unclear: Option<String>,
    /// Offer to fill the form's fields (the teacher's edit form).
    pub fill: bool,
}

/// One field read: its label, as shown, and the form fields it fills (input id, value).
pub struct Fact {
    pub label: &'static str,
    pub shown: String,
    pub fills: Vec<(&'static str, String)>,
}

/// What to show of `e`'s reading; `None` before its reading began (or when it is off).
pub fn shown(e: &Evidence, readings: &[Reading], fill: bool) -> Option<ReadingShown> {
    let reading = readings.iter().find(|r| r.evidence_id == e.id)?;
    Some(shown_reading(
        reading,
        e.content_type.starts_with("image/"),
        fill,
    ))
}

/// What to show of a reading of a file, a picture or not (evidence's, or a staged file's).
pub fn shown_reading(reading: &Reading, image: bool, fill: bool) -> ReadingShown {
    let view = reading_view::view_of(reading, image);
    let f = &view.fields;
    let mut facts = Vec::new();
    if let Some(h) = f.hours {
        let h = format!("{h}");
        facts.push(Fact {
            label: "学时",
            shown: h.clone(),
            fills: vec![("hours", h)],
        });
    }
    if let (Some(start), Some(end)) = (&f.start_date, &f.end_date) {
        let zh = |d: &str| parse_date(d).map_or_else(|| d.to_owned(), format_date_zh);
        facts.push(Fact {
            label: "学习时间",
            shown: format!("{} 至 {}", zh(start), zh(end)),
            fills: vec![("start_date", start.clone()), ("end_date", end.clone())],
        });
    }
    for (label, value, id) in [
        ("培训名称", &f.title, Some("title")),
        ("主办单位", &f.organizer, Some("organizer")),
        ("姓名", &f.name, None),
    ] {
        if let Some(v) = value {
            facts.push(Fact {
                label,
                shown: v.clone(),
                fills: id.map(|id| vec![(id, v.clone())]).unwrap_or_default(),
            });
        }
    }
    if f.is_chinese == Some(false) {
        facts.push(Fact {
            label: "语言",
            shown: "非中文（须附中文翻译件）".into(),
            fills: Vec::new(),
        });
    }
    let unclear = (!view.quality.problems.is_empty()).then(|| {
        let what: Vec<&str> = view
            .quality
            .problems
            .iter()
            .map(|p| reading_view::problem_label(p))
            .collect();
        format!("照片可能不清晰（{}），建议重新拍摄", what.join("、"))
    });
    ReadingShown {
        status: match view.status {
            ReadingStatus::Done => "已识别",
            ReadingStatus::Failed => "未能识别",
            _ => "识别中",
        },
        done: view.status == ReadingStatus::Done,
        facts,
        lines: reading
            .text
            .as_deref()
            .map(marked_lines)
            .unwrap_or_default(),
        unclear,
        fill,
    }
}
