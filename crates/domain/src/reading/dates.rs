//! Dates as certificates write them (`2021年3月5日`, `2021.03.05-03.07`, `2021-3-5至3-7`,
//! 二〇二一年三月五日) and, among them, the training's period — not the date of issue.

use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::Serialize;
use time::{Date, Month};

use super::numbers;

/// The days a certificate says the training took.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Period {
    pub start: Date,
    pub end: Date,
    pub confidence: f32,
}

static CHINESE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    super::regex(
        r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日",
    )
});
const FULL: &str = r"(\d{4})[年./-](\d{1,2})[月./-](\d{1,2})日?";
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    super::regex(&format!(
        r"{FULL}(?:至|到|~|～|—+|–|－|-)(?:(\d{{4}})[年./-])?(?:(\d{{1,2}})[月./-])?(\d{{1,2}})日?(\d|学|课)?"
    ))
});
static SINGLE: LazyLock<Regex> = LazyLock::new(|| super::regex(FULL));
const MONTHS: &str = "January|February|March|April|May|June|July|August|September|October|\
     November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec";
/// A foreign certificate's period: "July 12 to 14, 2024", "March 28 to April 2, 2021".
static ENGLISH_MDY: LazyLock<Regex> = LazyLock::new(|| {
    super::regex(&format!(
        r"(?i)\b({MONTHS})\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(\d{{4}}))?\s*(?:to|through|until|till|-|–|—)\s*(?:({MONTHS})\.?\s*)?(\d{{1,2}})(?:st|nd|rd|th)?,?\s*(\d{{4}})"
    ))
});
/// …and "12–14 July 2024", "28 March to 2 April 2021".
static ENGLISH_DMY: LazyLock<Regex> = LazyLock::new(|| {
    super::regex(&format!(
        r"(?i)\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*({MONTHS})\.?)?(?:,?\s*(\d{{4}}))?\s*(?:to|through|until|till|-|–|—)\s*(\d{{1,2}})(?:st|nd|rd|th)?\s*({MONTHS})\.?,?\s*(\d{{4}})"
    ))
});
/// Words just before a date that make it the training's: 于2021年…, 培训日期：2021年….
const TRAINING_CUES: [&str; 5] = ["于", "时间", "期间", "自", "培训日期"];
/// …and the date of issue's: 发证日期：2021年….
const ISSUE_CUES: [&str; 4] = ["发证", "颁发", "签发", "日期"];

/// The patterns of a date and of a range, for marking them in the text.
pub(super) fn patterns() -> [&'static Regex; 4] {
    [&RANGE, &SINGLE, &ENGLISH_MDY, &ENGLISH_DMY]
}

/// The training's period: a range if the text has one, else a single day the text marks as
/// the training's, else its one date that is not on a line of its own (where the date of
/// issue stands). `None` when the text has several candidates that disagree.
pub fn training_period(lines: &[String]) -> Option<Period> {
    let lines: Vec<String> = lines.iter().map(|l| digits_for_chinese_dates(l)).collect();
    let mut ranges = Vec::new();
    let mut training = Vec::new();
    let mut neutral = Vec::new();
    for line in &lines {
        for c in RANGE.captures_iter(line) {
            if c.get(7).is_none()
                && let Some(range) = range(&c)
            {
                ranges.push(range);
            }
        }
        let outside_ranges = RANGE.replace_all(line, |c: &Captures| {
            // Keep a "range" refused above (a date then a number) for the single dates.
            if c.get(7).is_some() {
                c[0].to_owned()
            } else {
                " ".into()
            }
        });
        for m in SINGLE.captures_iter(&outside_ranges) {
            let Some(day) = date(&m[1], &m[2], &m[3]) else {
                continue;
            };
            let before: String = outside_ranges[..m.get(0).unwrap().start()]
                .chars()
                .rev()
                .take(6)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let alone = outside_ranges.trim() == m[0].trim();
            if TRAINING_CUES.iter().any(|cue| before.contains(cue)) {
                training.push(day);
            } else if !alone && !ISSUE_CUES.iter().any(|cue| before.contains(cue)) {
                neutral.push(day);
            }
        }
    }
    if ranges.is_empty() && training.is_empty() && neutral.is_empty() {
        // Only ranges in English: a single date there is as likely the date of issue.
        ranges = lines.iter().flat_map(|l| english_ranges(l)).collect();
    }
    if !ranges.is_empty() {
        return one(&ranges).map(|(start, end)| Period {
            start,
            end,
            confidence: 0.9,
        });
    }
    let single = |days: &[Date], confidence| {
        one(&days.iter().map(|d| (*d, *d)).collect::<Vec<_>>()).map(|(start, end)| Period {
            start,
            end,
            confidence,
        })
    };
    if !training.is_empty() {
        return single(&training, 0.7);
    }
    single(&neutral, 0.5)
}

/// The English ranges on a line.
fn english_ranges(line: &str) -> Vec<(Date, Date)> {
    let mut found = Vec::new();
    for c in ENGLISH_MDY.captures_iter(line) {
        let start_month = month_named(&c[1]);
        let end_month = c.get(4).map_or(start_month, |m| month_named(m.as_str()));
        let start_year = c.get(3).map_or(&c[6], |m| m.as_str());
        found.extend(english_range(
            start_year,
            start_month,
            &c[2],
            &c[6],
            end_month,
            &c[5],
        ));
    }
    for c in ENGLISH_DMY.captures_iter(line) {
        let end_month = month_named(&c[5]);
        let start_month = c.get(2).map_or(end_month, |m| month_named(m.as_str()));
        let start_year = c.get(3).map_or(&c[6], |m| m.as_str());
        found.extend(english_range(
            start_year,
            start_month,
            &c[1],
            &c[6],
            end_month,
            &c[4],
        ));
    }
    found
}

fn english_range(
    start_year: &str,
    start_month: Option<u8>,
    start_day: &str,
    end_year: &str,
    end_month: Option<u8>,
    end_day: &str,
) -> Option<(Date, Date)> {
    let start = date(start_year, &start_month?.to_string(), start_day)?;
    let end = date(end_year, &end_month?.to_string(), end_day)?;
    (start <= end && (end - start).whole_days() <= 366).then_some((start, end))
}

/// The month an English name (or its abbreviation) gives.
fn month_named(name: &str) -> Option<u8> {
    let prefix: String = name
        .chars()
        .take(3)
        .collect::<String>()
        .to_ascii_lowercase();
    const NAMES: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    NAMES.iter().position(|n| *n == prefix).map(|i| i as u8 + 1)
}

fn one(periods: &[(Date, Date)]) -> Option<(Date, Date)> {
    let first = *periods.first()?;
    periods.iter().all(|p| *p == first).then_some(first)
}

/// 二〇二一年三月五日 → 2021年3月5日.
fn digits_for_chinese_dates(line: &str) -> String {
    CHINESE_DATE
        .replace_all(line, |c: &Captures| {
            match (
                numbers::chinese(&c[1]),
                numbers::chinese(&c[2]),
                numbers::chinese(&c[3]),
            ) {
                (Some(y), Some(m), Some(d)) => format!("{y}年{m}月{d}日"),
                _ => c[0].to_owned(),
            }
        })
        .into_owned()
}

fn date(year: &str, month: &str, day: &str) -> Option<Date> {
    let year: i32 = year.parse().ok()?;
    if !(1990..=2100).contains(&year) {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year, month, day.parse().ok()?).ok()
}

/// A range's start and end; the end's year and month, when left out, are the start's (the
/// next year's for a range over new year). At most a year long, never backwards.
fn range(c: &Captures) -> Option<(Date, Date)> {
    let start = date(&c[1], &c[2], &c[3])?;
    let month = c.get(5).map_or(c[2].to_owned(), |m| m.as_str().to_owned());
    let year_given = c.get(4).is_some();
    let year = c.get(4).map_or(c[1].to_owned(), |m| m.as_str().to_owned());
    let mut end = date(&year, &month, &c[6])?;
    if end < start && !year_given {
        end = date(&(start.year() + 1).to_string(), &month, &c[6])?;
    }
    (start <= end && (end - start).whole_days() <= 366).then_some((start, end))
}
