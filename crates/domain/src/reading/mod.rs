//! What a certificate's text says (证书识别): its hours, dates, title, organiser, the holder's
//! name, and whether it is in Chinese (境外非中文证书需附翻译件), each with a confidence from 0
//! to 1. The text comes from OCR or a PDF's text layer; this is pure. A wrong number is worse
//! than none: where the text gives two different answers, the field is left out.

pub mod checks;
mod dates;
mod numbers;

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use time::Date;

use crate::hours::{Hours, hours_for_days_and_minutes};

pub use dates::Period;

/// A value read, with how sure the reading is (0–1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Read<T> {
    pub value: T,
    pub confidence: f32,
}

fn read<T>(value: T, confidence: f32) -> Read<T> {
    Read { value, confidence }
}

/// Every field a certificate's text gave.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CertificateFields {
    pub hours: Option<Read<Hours>>,
    pub start_date: Option<Read<Date>>,
    pub end_date: Option<Read<Date>>,
    pub title: Option<Read<String>>,
    pub organizer: Option<Read<String>>,
    pub name: Option<Read<String>>,
    pub is_chinese: Read<bool>,
}

/// Reads a certificate's text.
pub fn read_certificate(text: &str) -> CertificateFields {
    let lines = normalized_lines(text);
    let joined = lines.join("\n");
    let period = dates::training_period(&lines);
    CertificateFields {
        // A paragraph's line may break inside "36学\n时".
        hours: certificate_hours(&joined.replace("学\n时", "学时")),
        start_date: period.map(|p| read(p.start, p.confidence)),
        end_date: period.map(|p| read(p.end, p.confidence)),
        title: title(&lines),
        organizer: organizer(&lines),
        name: holder_name(&joined),
        is_chinese: is_chinese(&joined),
    }
}

/// Whether a photo's text gave no hours, so that another OCR pass may find them.
pub fn hours_missing(text: &str) -> bool {
    read_certificate(text).hours.is_none()
}

/// Whether another pass's text states its hours plainly (`32学时`, `学时：24`, not derived
/// from days or credits), as it must to be taken instead: a wrong number is worse than none.
/// A text that speaks of 学分 or 课时 never does: its "8学时" may be a conversion OCR garbled.
pub fn hours_stated_plainly(text: &str) -> bool {
    !text.contains("学分")
        && !text.contains("课时")
        && read_certificate(text)
            .hours
            .is_some_and(|h| h.confidence >= PLAIN)
}

/// The confidence of hours stated in so many words.
const PLAIN: f32 = 0.9;

/// The text as the reader sees it (see [`normalized_lines`]), each line cut into pieces with
/// whether the piece states hours or a date: what a reviewer's eye should land on.
pub fn marked_lines(text: &str) -> Vec<Vec<(String, bool)>> {
    normalized_lines(text)
        .iter()
        .map(|line| {
            let mut spans: Vec<(usize, usize)> =
                [&*STATED_HOURS, &*LABELLED_HOURS, &*DAYS, &*ENGLISH_HOURS]
                    .into_iter()
                    .chain(dates::patterns())
                    .flat_map(|re| re.find_iter(line).map(|m| (m.start(), m.end())))
                    .collect();
            // The longest of those starting together: a range over the date it begins with.
            spans.sort_unstable_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
            let mut pieces = Vec::new();
            let mut at = 0;
            for (start, end) in spans {
                if start < at {
                    continue;
                }
                if start > at {
                    pieces.push((line[at..start].to_owned(), false));
                }
                pieces.push((line[start..end].to_owned(), true));
                at = end;
            }
            if at < line.len() {
                pieces.push((line[at..].to_owned(), false));
            }
            pieces
        })
        .collect()
}

/// The text's lines, full-width forms made half-width and the spaces OCR puts between
/// Chinese characters taken out; empty lines dropped.
fn normalized_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let half: String = line
                .chars()
                .map(|c| match c {
                    '\u{3000}' => ' ',
                    '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                    _ => c,
                })
                .collect();
            squeeze_spaces(&half)
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// Drops spaces unless they separate two Latin letters or digits ("STEM 教育" keeps none,
/// "Teaching Certificate" keeps its one).
fn squeeze_spaces(line: &str) -> String {
    let chars: Vec<char> = line.trim().chars().collect();
    let mut out = String::with_capacity(line.len());
    for (i, c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let before = out.chars().last();
            let after = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            let latin = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            if latin(before.as_ref()) && latin(after) && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(*c);
        }
    }
    out
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

/// "1学分=8学时", "每学分折合8学时", "1课时计1学时": how many hours one credit (学分) or one
/// class period (课时) is worth, when the certificate says so.
/// OCR reads "=" as "-" and the "1" before the unit as "]" or "l": a unit, then something
/// that says "is worth", then hours is a conversion even with its "1" lost.
static CONVERSION: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?:(?:1|一|每)(?:个)?(学分|课时)(?:[=＝:：\-－—~]|折合|折算|相当于|计为?|为|按)*|(学分|课时)(?:[=＝:：\-－—~]|折合|折算|相当于|计为?|为|按)+)(\d{1,3}(?:\.\d)?)(?:个)?学时",
    )
});
static STATED_HOURS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?:(共计|合计|总计|共|计)[:：]?)?(\d{1,4}(?:\.\d)?|[零〇一二两三四五六七八九十百]{1,5})(?:个)?学时",
    )
});
/// `学时：24`; the character after the figure is kept to refuse "学时：4g" (OCR's "48").
static LABELLED_HOURS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"学时(?:数)?[:：为]\s*(\d{1,4}(?:\.\d)?)([A-Za-z]?)"));
static UNITS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(\d{1,3}(?:\.\d)?|[一二两三四五六七八九十]{1,3})(?:个)?(学分|课时)"));
/// A foreign certificate's hours: "15 contact hours", "Hours: 15", "12.5 CPD hours".
static ENGLISH_HOURS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:\b(\d{1,3}(?:\.\d)?)\s*(?:contact|credit|CPD|CE|training|study|learning|instructional)?\s*hours?\b|\bhours?\s*[:：]\s*(\d{1,3}(?:\.\d)?)\b)",
    )
});
static DAYS: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:共|为期|计)(\d{1,2}|[一二两三四五六七八九十]{1,3})(?:个)?(?:天|日)")
});

/// The hours the certificate states: `32学时`, `学时：24`; in 学分 or 课时 where it gives
/// the conversion; else `共2天` at the notice's 8 学时 a day, less surely; else, on a foreign
/// certificate, `15 contact hours`.
fn certificate_hours(text: &str) -> Option<Read<Hours>> {
    let conversions: Vec<(String, f64)> = CONVERSION
        .captures_iter(text)
        .filter_map(|c| {
            let unit = c.get(1).or(c.get(2))?.as_str().to_owned();
            Some((unit, c[3].parse().ok()?))
        })
        .collect();
    // The conversion's own "8学时" is not the certificate's hours.
    let rest = CONVERSION.replace_all(text, " ");
    let mut stated: Vec<(f64, bool)> = STATED_HOURS
        .captures_iter(&rest)
        // "=8学时", "-8学时": a rate whose unit OCR garbled, not the hours.
        .filter(|c| {
            !rest[..c.get(0).map_or(0, |m| m.start())].ends_with(['=', '＝', '-', '－', '—'])
        })
        .filter_map(|c| Some((numbers::parse(&c[2])?, c.get(1).is_some())))
        .collect();
    stated.extend(
        LABELLED_HOURS
            .captures_iter(&rest)
            .filter(|c| c[2].is_empty())
            .filter_map(|c| Some((numbers::parse(&c[1])?, true))),
    );
    if let Some((value, confidence)) = one_answer(&stated) {
        return to_hours(value).map(|h| read(h, confidence));
    }
    if !stated.is_empty() {
        return None;
    }
    let converted: Vec<(f64, bool)> = UNITS
        .captures_iter(&rest)
        .filter_map(|c| {
            let (_, rate) = conversions.iter().find(|(unit, _)| *unit == c[2])?;
            Some((numbers::parse(&c[1])? * rate, false))
        })
        .collect();
    if let Some((value, _)) = one_answer(&converted) {
        return to_hours(value).map(|h| read(h, 0.8));
    }
    let days: Vec<u32> = DAYS
        .captures_iter(&rest)
        .filter_map(|c| numbers::parse(&c[1]).map(|d| d as u32))
        .collect();
    if let [d] = days.as_slice()
        && *d > 0
    {
        return Some(read(hours_for_days_and_minutes(*d, 0), 0.6));
    }
    let english: Vec<(f64, bool)> = ENGLISH_HOURS
        .captures_iter(&rest)
        .filter_map(|c| Some((c.get(1).or(c.get(2))?.as_str().parse().ok()?, false)))
        .collect();
    let (value, _) = one_answer(&english)?;
    to_hours(value).map(|h| read(h, 0.8))
}

/// The one value stated, or the one marked as the total (共计) among several.
fn one_answer(values: &[(f64, bool)]) -> Option<(f64, f32)> {
    let first = values.first()?.0;
    if values.iter().all(|(v, _)| *v == first) {
        return Some((first, 0.95));
    }
    let totals: Vec<f64> = values.iter().filter(|(_, t)| *t).map(|(v, _)| *v).collect();
    match totals.as_slice() {
        [t, rest @ ..] if rest.iter().all(|r| r == t) => Some((*t, 0.7)),
        _ => None,
    }
}

fn to_hours(value: f64) -> Option<Hours> {
    Hours::parse_positive(value).ok()
}

static TITLE_QUOTED: LazyLock<Regex> = LazyLock::new(|| regex(r"《([^》]{2,60})》"));
static TITLE_JOINED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"参加(?:了)?(?:由.{2,30}?(?:主办|举办|组织)的)?[“\x22]?([^“”\x22，。,]{2,40}?[”\x22]?(?:培训班|研修班|培训|研修|课程|讲座|工作坊|论坛))",
    )
});

/// 《…》, or the training the certificate says the holder attended.
fn title(lines: &[String]) -> Option<Read<String>> {
    let text = lines.join("");
    if let Some(c) = TITLE_QUOTED.captures(&text) {
        return Some(read(c[1].trim().to_owned(), 0.9));
    }
    TITLE_JOINED
        .captures(&text)
        .map(|c| read(c[1].replace(['“', '”', '"'], ""), 0.6))
}

static ORGANIZER_LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:主办单位|颁发单位|发证单位|培训单位|主办方)[:：]([^\s，。,；;]{2,40})")
});
static ORGANIZER_BY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"由([^\s，。,；;由]{2,40}?)(?:主办|举办|组织|颁发)"));
static SEAL: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^([^\s，。,；;:：]{2,30}(?:教育局|研究院|教育学院|学院|大学|中心|进修学校|学会|协会|研究会|出版社))(?:[（(]?盖章[)）]?)?$",
    )
});

/// 主办单位：…, 由…主办, else the name under the seal (the last line that names an
/// institution), less surely.
fn organizer(lines: &[String]) -> Option<Read<String>> {
    let text = lines.join("\n");
    if let Some(c) = ORGANIZER_LABELLED.captures(&text) {
        return Some(read(c[1].to_owned(), 0.85));
    }
    if let Some(c) = ORGANIZER_BY.captures(&text) {
        return Some(read(c[1].to_owned(), 0.8));
    }
    lines
        .iter()
        .rev()
        .find_map(|line| SEAL.captures(line))
        .map(|c| read(c[1].to_owned(), 0.5))
}

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?m)(?:兹证明|特发此证给|授予|姓名[:：]|学员[:：]?)([\p{Han}·]{2,5}?)(?:同志|老师|教师|学员|[:：，,]|于|在|参加|自|$)",
    )
});

/// The holder: 兹证明XXX同志…, 姓名：XXX.
fn holder_name(text: &str) -> Option<Read<String>> {
    let names: Vec<&str> = NAME
        .captures_iter(text)
        .map(|c| c.get(1).map_or("", |m| m.as_str()))
        .filter(|n| n.chars().count() >= 2)
        .collect();
    match names.as_slice() {
        [first, rest @ ..] if rest.iter().all(|n| n == first) => {
            Some(read((*first).to_owned(), 0.8))
        }
        _ => None,
    }
}

/// Chinese when Chinese characters are at least a third of the letters; sure in proportion
/// to how much text there is.
fn is_chinese(text: &str) -> Read<bool> {
    let han = text.chars().filter(|c| is_han(*c)).count();
    let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    let letters = han + latin;
    let confidence = (letters as f32 / 40.0).min(1.0);
    read(letters > 0 && han * 3 >= letters, confidence)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

#[cfg(test)]
mod tests;
