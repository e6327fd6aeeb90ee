//! Warnings for reviewers *(product decision)*: possible duplicates among the teacher's own
//! records and declarations (similar titles, overlapping dates), and the same or a
//! near-identical evidence image used by another teacher. Hints only: nothing is refused.

use std::collections::{BTreeSet, HashSet};

use base64::Engine;
use serde::Serialize;
use xueshi_domain::normalize_title;
use xueshi_store::Conn;
use xueshi_store::models::{Declaration, Evidence};
use xueshi_store::repo::{declarations, evidence};

use super::submit::overlaps;
use crate::error::AppResult;

/// Perceptual-hash distance (of 64 bits) up to which two images count as the same picture.
pub const NEAR_IMAGE_DISTANCE: u32 = 6;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// `possible_duplicate` (the teacher's own records or declarations), `same_evidence`
    /// (an identical file) or `similar_evidence` (a near-identical image) of another teacher;
    /// `image_check_pending` while an image still waits for its perceptual hash.
    pub kind: &'static str,
    pub message: String,
    pub declaration_id: Option<String>,
    pub record_id: Option<String>,
    /// Perceptual-hash distance, for `similar_evidence`.
    pub distance: Option<u32>,
}

pub async fn for_declaration(
    c: &mut Conn,
    d: &Declaration,
    files: &[Evidence],
) -> AppResult<Vec<Warning>> {
    let mut warnings = Vec::new();
    for other in declarations::overlapping(c, d).await? {
        if similar_titles(&other.title_normalized, &d.title_normalized) {
            warnings.push(Warning {
                kind: "possible_duplicate",
                message: format!(
                    "该教师另有时间重叠、名称相近的申报“{}”（{}）",
                    other.title,
                    other.status.label_zh()
                ),
                declaration_id: Some(other.id),
                record_id: None,
                distance: None,
            });
        }
    }
    let from_year = d
        .start_date
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(d.year);
    for r in declarations::effective_records_from(c, &d.teacher_id, from_year).await? {
        if r.declaration_id.as_deref() != Some(d.id.as_str())
            && overlaps(&r, d)
            && similar_titles(&normalize_title(&r.title), &d.title_normalized)
        {
            warnings.push(Warning {
                kind: "possible_duplicate",
                message: format!(
                    "该教师已有时间重叠、名称相近的有效学时“{}”（{}，{} 学时）",
                    r.title,
                    r.source.label_zh(),
                    r.hours
                ),
                declaration_id: r.declaration_id.clone(),
                record_id: Some(r.id),
                distance: None,
            });
        }
    }
    let mut same_file = HashSet::new();
    for (sha256, other) in evidence::same_file_elsewhere(c, &d.id, &d.teacher_id).await? {
        same_file.insert(other.clone());
        warnings.push(Warning {
            kind: "same_evidence",
            message: format!(
                "证明材料（SHA-256 {}…）与另一位教师的申报所用文件完全相同",
                &sha256[..sha256.len().min(12)]
            ),
            declaration_id: Some(other),
            record_id: None,
            distance: None,
        });
    }
    if files.iter().any(|f| f.phash_checked_at.is_none()) {
        warnings.push(Warning {
            kind: "image_check_pending",
            message: "证明材料图片的相似比对尚未完成，请稍后刷新查看".into(),
            declaration_id: None,
            record_id: None,
            distance: None,
        });
    }
    let mut near = BTreeSet::new();
    for file in files {
        let Some(phash) = &file.phash else { continue };
        let bytes = phash_bytes(phash);
        let min_shared = bytes
            .len()
            .saturating_sub(NEAR_IMAGE_DISTANCE as usize)
            .max(1);
        for candidate in evidence::phash_candidates(c, &bytes, min_shared, &d.teacher_id).await? {
            if same_file.contains(&candidate.declaration_id) {
                continue;
            }
            match xueshi_files::hash_distance(phash, &candidate.phash) {
                Some(distance) if distance <= NEAR_IMAGE_DISTANCE => {
                    near.insert((candidate.declaration_id, distance));
                }
                _ => {}
            }
        }
    }
    let mut reported = HashSet::new();
    for (other, distance) in near {
        if reported.insert(other.clone()) {
            warnings.push(Warning {
                kind: "similar_evidence",
                message: "证明材料中的图片与另一位教师的申报所用图片几乎相同".into(),
                declaration_id: Some(other),
                record_id: None,
                distance: Some(distance),
            });
        }
    }
    Ok(warnings)
}

/// The bytes of a stored perceptual hash (base64 without padding), for its index bands.
pub fn phash_bytes(phash: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(phash)
        .unwrap_or_default()
}

/// Titles that are the same once normalised, one containing the other, or sharing most of
/// their character pairs.
pub fn similar_titles(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (a, b)
    } else {
        (b, a)
    };
    if short.chars().count() >= 4 && long.contains(short) {
        return true;
    }
    let pairs = |s: &str| -> HashSet<(char, char)> {
        let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (x, y) = (pairs(a), pairs(b));
    if x.is_empty() || y.is_empty() {
        return false;
    }
    let shared = x.intersection(&y).count();
    (2 * shared) as f64 / (x.len() + y.len()) as f64 >= 0.6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_similar_when_equal_contained_or_mostly_shared() {
        assert!(similar_titles(
            "人工智能赋能课堂教学",
            "人工智能赋能课堂教学"
        ));
        assert!(similar_titles(
            "人工智能赋能课堂教学",
            "2030年人工智能赋能课堂教学专题培训"
        ));
        assert!(similar_titles(
            "人工智能赋能课堂教学研修班",
            "人工智能赋能课堂教学研修"
        ));
        assert!(!similar_titles("人工智能赋能课堂教学", "小学语文阅读教学"));
        assert!(!similar_titles("数学", "数学建模与探究"));
        assert!(!similar_titles("", "数学"));
    }

    #[test]
    fn a_phash_decodes_to_its_bytes() {
        assert_eq!(phash_bytes("AAECAwQFBgc"), vec![0, 1, 2, 3, 4, 5, 6, 7]);
        assert!(phash_bytes("not base64!").is_empty());
    }
}
