//! The evaluation's report: Markdown tables, as pasted into docs/benchmarks.md.

use std::fmt::Write;
use std::time::Duration;

use crate::evaluate::{FIELDS, Outcome, judge, quality_score, ratio, score};
use crate::truth::Condition;

fn percent(value: Option<f64>) -> String {
    value.map_or("—".into(), |v| format!("{:.1} %", v * 100.0))
}

fn seconds(mut times: Vec<Duration>, quantile: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort();
    let at = ((times.len() - 1) as f64 * quantile).round() as usize;
    times[at].as_secs_f64()
}

/// The report of one run over `outcomes`, which took `elapsed` with `jobs` at a time.
pub fn render(outcomes: &[Outcome], elapsed: Duration, jobs: usize, verbose: bool) -> String {
    let mut out = String::new();
    let legible = outcomes
        .iter()
        .filter(|o| o.entry.condition.unclear() == Some(false))
        .count();
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    let _ = writeln!(
        out,
        "{} images ({legible} legible), {failed} not read\n",
        outcomes.len()
    );
    let _ = writeln!(
        out,
        "| field | given | right | precision | recall (legible) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (field, s) in score(outcomes) {
        let _ = writeln!(
            out,
            "| {field} | {} | {} | {} | {} ({}/{}) |",
            s.given,
            s.right,
            percent(s.precision()),
            percent(s.recall()),
            s.found_legible,
            s.stated_legible
        );
    }
    let q = quality_score(outcomes);
    let _ = writeln!(out, "\n| quality check | flagged | of | rate |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (what, flagged, of) in [
        ("blurred → 照片模糊 (recall)", q.blurred_flagged, q.blurred),
        ("too dark → 照片过暗 (recall)", q.dark_flagged, q.dark),
        ("too small → 分辨率过低 (recall)", q.small_flagged, q.small),
        (
            "clear → any warning (false alarms)",
            q.clear_flagged,
            q.clear,
        ),
        (
            "clear → 照片模糊 (false alarms)",
            q.clear_flagged_blurred,
            q.clear,
        ),
    ] {
        let _ = writeln!(
            out,
            "| {what} | {flagged} | {of} | {} |",
            percent(ratio(flagged, of))
        );
    }
    let _ = writeln!(
        out,
        "\n| condition | images | sharpness (variance of the Laplacian) min / median / max |"
    );
    let _ = writeln!(out, "|---|---|---|");
    for condition in [
        Condition::Scan,
        Condition::Photo,
        Condition::Borderline,
        Condition::Blurred,
        Condition::Dark,
        Condition::Small,
    ] {
        let mut values: Vec<f64> = outcomes
            .iter()
            .filter(|o| o.entry.condition == condition)
            .filter_map(|o| o.sharpness)
            .collect();
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        let _ = writeln!(
            out,
            "| {condition:?} | {} | {:.0} / {:.0} / {:.0} |",
            values.len(),
            values[0],
            values[values.len() / 2],
            values[values.len() - 1]
        );
    }
    let times: Vec<Duration> = outcomes.iter().map(|o| o.read_time).collect();
    let _ = writeln!(
        out,
        "\nread time per image (one thread each): median {:.2} s, p90 {:.2} s, max {:.2} s; \
         {} images in {:.1} s with {jobs} at a time ({:.2} images/s)",
        seconds(times.clone(), 0.5),
        seconds(times.clone(), 0.9),
        seconds(times, 1.0),
        outcomes.len(),
        elapsed.as_secs_f64(),
        outcomes.len() as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    let _ = writeln!(out, "\n| kind | images | hours right | hours wrong |");
    let _ = writeln!(out, "|---|---|---|---|");
    let mut kinds: Vec<&str> = outcomes
        .iter()
        .map(|o| o.entry.truth.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        let of_kind: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.entry.truth.kind == kind)
            .collect();
        let (mut right, mut wrong) = (0, 0);
        for o in &of_kind {
            let (given, _, ok) = judge("hours", o);
            right += usize::from(ok);
            wrong += usize::from(given.is_some() && !ok);
        }
        let _ = writeln!(out, "| {kind} | {} | {right} | {wrong} |", of_kind.len());
    }
    if verbose {
        let _ = writeln!(out, "\nsharpness by image:");
        for o in outcomes {
            if let Some(sharpness) = o.sharpness {
                let _ = writeln!(
                    out,
                    "- {} {:?} {sharpness:.1}",
                    o.entry.file, o.entry.condition
                );
            }
        }
        let _ = writeln!(
            out,
            "\nwrong or missing (legible images; wrong ones on any):"
        );
        for o in outcomes {
            let legible = o.entry.condition.unclear() == Some(false);
            for field in FIELDS {
                let (given, truth, right) = judge(field, o);
                let wrong = given.is_some() && !right;
                let missed = legible && truth.is_some() && !right;
                if wrong || missed {
                    let _ = writeln!(
                        out,
                        "- {} [{}] {field}: read {:?}, truth {:?}{}",
                        o.entry.file,
                        o.entry.made,
                        given,
                        truth,
                        o.error
                            .as_ref()
                            .map_or(String::new(), |e| format!(" ({e})"))
                    );
                }
            }
        }
    }
    out
}
