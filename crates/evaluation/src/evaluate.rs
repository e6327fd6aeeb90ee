//! Reading every image of the set as the platform does — `files::Reader` (Tesseract), then
//! `domain::reading::read_certificate` and `files::photo_quality` — and comparing with the
//! truth: per field, how often a value was given and right (precision) and how often the
//! stated value was found on a legible image (recall); the quality check against the
//! conditions the photos were made in; and the time each image took.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use xueshi_domain::reading::checks::LEGIBLE;
use xueshi_domain::reading::{
    CertificateFields, hours_missing, hours_stated_plainly, read_certificate,
};
use xueshi_files::{EvidenceKind, PhotoProblem, Reader, photo_quality, sniff};

use crate::truth::{Condition, Entry, INDEX, Truth};

/// What reading one image gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub entry: Entry,
    pub fields: Option<CertificateFields>,
    pub problems: Vec<PhotoProblem>,
    /// The variance of the Laplacian the blur check measured (images only).
    pub sharpness: Option<f64>,
    pub read_time: Duration,
    pub error: Option<String>,
}

/// The entries of a set's `truth.json`, with their files' full paths.
pub fn load_set(dir: &Path) -> Result<Vec<(PathBuf, Entry)>, String> {
    let index = dir.join(INDEX);
    let text = std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    let entries: Vec<Entry> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", index.display()))?;
    Ok(entries
        .into_iter()
        .map(|e| (dir.join(&e.file), e))
        .collect())
}

/// Reads every image, `jobs` at a time (each Tesseract runs on one thread).
pub async fn read_all(
    reader: Reader,
    images: Vec<(PathBuf, Entry)>,
    jobs: usize,
) -> Result<Vec<Outcome>, String> {
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let mut tasks = Vec::new();
    for (path, entry) in images {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let kind = sniff(&bytes).ok_or_else(|| format!("{}: not an image", path.display()))?;
        let reader = reader.clone();
        let permits = permits.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.expect("never closed");
            read_one(&reader, entry, bytes, kind).await
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.map_err(|e| e.to_string())?);
    }
    Ok(outcomes)
}

async fn read_one(reader: &Reader, entry: Entry, bytes: Vec<u8>, kind: EvidenceKind) -> Outcome {
    let started = Instant::now();
    let text = reader
        .read_with_retry(&bytes, kind, hours_missing, hours_stated_plainly)
        .await;
    let read_time = started.elapsed();
    let quality = tokio::task::spawn_blocking(move || photo_quality(&bytes, kind))
        .await
        .ok()
        .flatten();
    let sharpness = quality.as_ref().map(|q| q.sharpness);
    let problems = quality.map(|q| q.problems).unwrap_or_default();
    match text {
        Ok(text) => Outcome {
            entry,
            fields: Some(read_certificate(&text)),
            problems,
            sharpness,
            read_time,
            error: None,
        },
        Err(e) => Outcome {
            entry,
            fields: None,
            problems,
            sharpness,
            read_time,
            error: Some(e.to_string()),
        },
    }
}

/// The fields compared, in the report's order.
pub const FIELDS: [&str; 7] = [
    "hours",
    "start_date",
    "end_date",
    "title",
    "organizer",
    "name",
    "is_chinese",
];

/// Counts for one field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FieldScore {
    /// Images where the reading gave a value.
    pub given: usize,
    /// …and it was the truth.
    pub right: usize,
    /// Legible images whose certificate states the field.
    pub stated_legible: usize,
    /// …where the reading gave it right.
    pub found_legible: usize,
}

impl FieldScore {
    pub fn precision(&self) -> Option<f64> {
        ratio(self.right, self.given)
    }
    pub fn recall(&self) -> Option<f64> {
        ratio(self.found_legible, self.stated_legible)
    }
}

pub fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Text compared without spaces and quotation marks, which OCR and wording vary.
fn same_text(read: &str, truth: &str) -> bool {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && !"“”\"《》".contains(*c))
            .collect()
    };
    clean(read) == clean(truth)
}

/// The reading's value of `field` (as text) and the truth's.
fn field_values(
    field: &str,
    read: &CertificateFields,
    truth: &Truth,
) -> (Option<String>, Option<String>) {
    match field {
        "hours" => (
            read.hours.as_ref().map(|h| h.value.to_string()),
            truth.hours.clone(),
        ),
        "start_date" => (
            read.start_date.as_ref().map(|d| d.value.to_string()),
            truth.start_date.clone(),
        ),
        "end_date" => (
            read.end_date.as_ref().map(|d| d.value.to_string()),
            truth.end_date.clone(),
        ),
        "title" => (
            read.title.as_ref().map(|t| t.value.clone()),
            truth.title.clone(),
        ),
        "organizer" => (
            read.organizer.as_ref().map(|o| o.value.clone()),
            truth.organizer.clone(),
        ),
        "name" => (
            read.name.as_ref().map(|n| n.value.clone()),
            truth.name.clone(),
        ),
        // Given only when enough was read for the translation rule to act on it.
        _ => (
            (read.is_chinese.confidence >= LEGIBLE).then(|| read.is_chinese.value.to_string()),
            Some(truth.is_chinese.to_string()),
        ),
    }
}

/// Whether `field` was read right on `outcome`: `(given, right)`.
pub fn judge(field: &str, outcome: &Outcome) -> (Option<String>, Option<String>, bool) {
    let Some(read) = &outcome.fields else {
        let truth = field_values(field, &empty_fields(), &outcome.entry.truth).1;
        return (None, truth, false);
    };
    let (given, truth) = field_values(field, read, &outcome.entry.truth);
    let right = match (&given, &truth) {
        (Some(g), Some(t)) => same_text(g, t),
        _ => false,
    };
    (given, truth, right)
}

fn empty_fields() -> CertificateFields {
    read_certificate("")
}

/// The per-field scores over all outcomes.
pub fn score(outcomes: &[Outcome]) -> Vec<(&'static str, FieldScore)> {
    FIELDS
        .iter()
        .map(|&field| {
            let mut s = FieldScore::default();
            for outcome in outcomes {
                let legible = outcome.entry.condition.unclear() == Some(false);
                let (given, truth, right) = judge(field, outcome);
                let given = given.is_some();
                s.given += usize::from(given);
                s.right += usize::from(given && right);
                if legible && truth.is_some() {
                    s.stated_legible += 1;
                    s.found_legible += usize::from(right);
                }
            }
            (field, s)
        })
        .collect()
}

/// How the quality check did against the conditions the photos were made in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QualityScore {
    pub blurred: usize,
    pub blurred_flagged: usize,
    pub dark: usize,
    pub dark_flagged: usize,
    pub small: usize,
    pub small_flagged: usize,
    /// Clear images (scans and sharp photos) …
    pub clear: usize,
    /// … that got any warning (a false alarm).
    pub clear_flagged: usize,
    pub clear_flagged_blurred: usize,
}

pub fn quality_score(outcomes: &[Outcome]) -> QualityScore {
    let mut q = QualityScore::default();
    for o in outcomes {
        let has = |p: PhotoProblem| o.problems.contains(&p);
        match o.entry.condition {
            Condition::Blurred => {
                q.blurred += 1;
                q.blurred_flagged += usize::from(has(PhotoProblem::Blurred));
            }
            Condition::Dark => {
                q.dark += 1;
                q.dark_flagged += usize::from(has(PhotoProblem::TooDark));
            }
            Condition::Small => {
                q.small += 1;
                q.small_flagged += usize::from(has(PhotoProblem::TooSmall));
            }
            Condition::Scan | Condition::Photo => {
                q.clear += 1;
                q.clear_flagged += usize::from(!o.problems.is_empty());
                q.clear_flagged_blurred += usize::from(has(PhotoProblem::Blurred));
            }
            Condition::Borderline => {}
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(condition: Condition, text: Option<&str>, truth: Truth) -> Outcome {
        Outcome {
            entry: Entry {
                file: "x.jpg".into(),
                condition,
                made: String::new(),
                truth,
            },
            fields: text.map(read_certificate),
            problems: Vec::new(),
            sharpness: None,
            read_time: Duration::ZERO,
            error: None,
        }
    }

    fn stating(hours: &str) -> Truth {
        Truth {
            hours: Some(hours.into()),
            is_chinese: true,
            ..Truth::default()
        }
    }

    #[test]
    fn precision_counts_every_image_and_recall_the_legible_ones() {
        let outcomes = [
            // Right on a legible photo.
            outcome(Condition::Photo, Some("共计32学时"), stating("32")),
            // Wrong on a legible one: counts against both.
            outcome(Condition::Scan, Some("共计23学时"), stating("32")),
            // Missed on a legible one: recall only.
            outcome(Condition::Scan, Some("特此证明"), stating("8")),
            // Right on a blurred one: precision, not recall.
            outcome(Condition::Blurred, Some("共计16学时"), stating("16")),
            // Not read at all (a failure) on a legible one.
            outcome(Condition::Photo, None, stating("4")),
            // A certificate with no hours that gave none: nothing to count.
            outcome(Condition::Photo, Some("特此证明"), Truth::default()),
        ];
        let scores = score(&outcomes);
        let hours = scores.iter().find(|(f, _)| *f == "hours").unwrap().1;
        assert_eq!(
            hours,
            FieldScore {
                given: 3,
                right: 2,
                stated_legible: 4,
                found_legible: 1
            }
        );
        assert_eq!(hours.precision(), Some(2.0 / 3.0));
        assert_eq!(hours.recall(), Some(0.25));
    }

    #[test]
    fn text_is_compared_without_spaces_and_quotation_marks() {
        assert!(same_text("“班主任 工作”", "班主任工作"));
        assert!(same_text("《师德》", "师德"));
        assert!(!same_text("师德师风", "师德"));
    }

    #[test]
    fn the_quality_check_is_judged_by_condition() {
        let mut blurred = outcome(Condition::Blurred, Some(""), Truth::default());
        blurred.problems = vec![PhotoProblem::Blurred];
        let mut false_alarm = outcome(Condition::Photo, Some(""), Truth::default());
        false_alarm.problems = vec![PhotoProblem::TooDark];
        let clear = outcome(Condition::Scan, Some(""), Truth::default());
        let borderline = outcome(Condition::Borderline, Some(""), Truth::default());
        let q = quality_score(&[blurred, false_alarm, clear, borderline]);
        assert_eq!((q.blurred, q.blurred_flagged), (1, 1));
        assert_eq!(
            (q.clear, q.clear_flagged, q.clear_flagged_blurred),
            (2, 1, 0)
        );
    }
}
