//! Warnings for reviewers *(product decision)*: possible duplicates among the teacher's own
//! records and declarations (similar titles, overlapping dates), more hours than the days
//! can earn, and the same file or a near-identical picture used by other teachers — one
//! line per finding, naming the others. Pictures shared by the attendees of one training
//! are its certificate template, said so, not a suspected copy. Hints only: nothing is
//! refused.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use base64::Engine;
use serde::Serialize;
use xueshi_domain::authz::{self, Actor};
use xueshi_domain::duplicates::{self, similar_titles};
use xueshi_domain::time_rules::parse_date;
use xueshi_domain::{attended_hours_cap, mask_name};
use xueshi_store::Conn;
use xueshi_store::models::{Declaration, Evidence, Org};
use xueshi_store::repo::{declarations, evidence, orgs};

use super::candidates::Candidates;
use crate::error::AppResult;

/// Perceptual-hash distance (of 64 bits) up to which two images count as the same picture.
pub const NEAR_IMAGE_DISTANCE: u32 = 6;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Warning {
    /// `possible_duplicate` (the teacher's own records or declarations), `same_evidence`
    /// (an identical file of other teachers), `similar_evidence` (a near-identical picture of
    /// other teachers), `training_template` (a near-identical picture in other teachers'
    /// declarations of the same training: a shared certificate template, not a copy),
    /// `hours_exceed_days` (more hours than the days can earn), or `image_check_pending`
    /// while an image still waits for its perceptual hash.
    pub kind: &'static str,
    /// `high` (an identical file: 复印件无效), `medium` (worth a careful look) or `info`.
    pub severity: &'static str,
    /// One line for the finding, grouped: “与另外 3 名教师的证书图片几乎相同”.
    pub message: String,
    /// The first other declaration concerned (all of them are in `others`).
    pub declaration_id: Option<String>,
    pub record_id: Option<String>,
    /// The smallest perceptual-hash distance, for `similar_evidence` and `training_template`.
    pub distance: Option<u32>,
    /// The other declarations concerned, at most [`MAX_OTHERS`].
    pub others: Vec<OtherDeclaration>,
}

/// Another declaration a warning points at, as much as the reviewer needs to compare.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OtherDeclaration {
    pub declaration_id: String,
    /// The other teacher's name, masked (陈*伟).
    pub teacher: String,
    pub school: String,
    /// `DeclarationStatus`'s Chinese label.
    pub status: String,
    /// Whether the reader may open it (it is in their scope).
    pub visible: bool,
}

/// Other declarations listed in one warning; the message counts them all.
pub const MAX_OTHERS: usize = 20;

impl Warning {
    pub(crate) fn new(kind: &'static str, severity: &'static str, message: String) -> Warning {
        Warning {
            kind,
            severity,
            message,
            declaration_id: None,
            record_id: None,
            distance: None,
            others: Vec::new(),
        }
    }
}

pub async fn for_declaration(
    c: &mut Conn,
    actor: &Actor,
    d: &Declaration,
    files: &[Evidence],
) -> AppResult<Vec<Warning>> {
    let mut warnings = Vec::new();
    let candidates = Candidates::fetch(c, d).await?;
    if let (Some(claim), declarations, records) = candidates.view(d) {
        let (alike, registered) = duplicates::possible_duplicates(&claim, &declarations, &records);
        for other in alike {
            let mut w = Warning::new(
                "possible_duplicate",
                "medium",
                format!(
                    "该教师另有时间重叠、名称相近的申报“{}”（{}）",
                    other.title,
                    other.status.label_zh()
                ),
            );
            w.declaration_id = Some(other.id.to_owned());
            warnings.push(w);
        }
        for r in registered
            .into_iter()
            .filter_map(|r| candidates.record(r.id))
        {
            let mut w = Warning::new(
                "possible_duplicate",
                "medium",
                format!(
                    "该教师已有时间重叠、名称相近的有效学时“{}”（{}，{} 学时）",
                    r.title,
                    r.source.label_zh(),
                    r.hours
                ),
            );
            w.declaration_id = r.declaration_id.clone();
            w.record_id = Some(r.id.clone());
            warnings.push(w);
        }
    }
    if let Some(w) = hours_exceed_days(d) {
        warnings.push(w);
    }
    let same_file: BTreeSet<String> = evidence::same_file_elsewhere(c, &d.id, &d.teacher_id)
        .await?
        .into_iter()
        .map(|(_, other)| other)
        .collect();
    if !same_file.is_empty() {
        let others = others(c, actor, &same_file).await?;
        let mut w = Warning::new(
            "same_evidence",
            "high",
            format!(
                "证明材料与另外 {} 名教师的申报所用文件完全相同（同一文件不可能是两人各自的原件）",
                teachers(&others)
            ),
        );
        w.declaration_id = same_file.first().cloned();
        w.others = others
            .into_iter()
            .map(|(o, _)| o)
            .take(MAX_OTHERS)
            .collect();
        warnings.push(w);
    }
    if files.iter().any(|f| f.phash_checked_at.is_none()) {
        warnings.push(Warning::new(
            "image_check_pending",
            "info",
            "证明材料图片的相似比对尚未完成，请稍后刷新查看".into(),
        ));
    }
    warnings.extend(similar_pictures(c, actor, d, files, &same_file).await?);
    Ok(warnings)
}

/// More hours than the declared days can earn (超学时?).
fn hours_exceed_days(d: &Declaration) -> Option<Warning> {
    let (start, end) = (parse_date(&d.start_date)?, parse_date(&d.end_date)?);
    let days = u32::try_from((end - start).whole_days() + 1).ok()?;
    let cap = attended_hours_cap(d.activity_type, days)?;
    let declared = d.approved_hours.unwrap_or(d.hours);
    (declared > cap).then(|| {
        Warning::new(
            "hours_exceed_days",
            "medium",
            format!("申报 {declared} 学时，超过学习时间 {days} 天按每天 8 学时折算的 {cap} 学时"),
        )
    })
}

/// Near-identical pictures in other teachers' declarations, split into those of the same
/// training (a shared certificate template) and the rest (a possible copy).
async fn similar_pictures(
    c: &mut Conn,
    actor: &Actor,
    d: &Declaration,
    files: &[Evidence],
    same_file: &BTreeSet<String>,
) -> AppResult<Vec<Warning>> {
    let mut near: BTreeMap<String, u32> = BTreeMap::new();
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
            if let Some(distance) = xueshi_files::hash_distance(phash, &candidate.phash)
                && distance <= NEAR_IMAGE_DISTANCE
            {
                let best = near.entry(candidate.declaration_id).or_insert(distance);
                *best = (*best).min(distance);
            }
        }
    }
    if near.is_empty() {
        return Ok(Vec::new());
    }
    let ids: BTreeSet<String> = near.keys().cloned().collect();
    let (template, copies): (Vec<_>, Vec<_>) = others(c, actor, &ids)
        .await?
        .into_iter()
        .partition(|(_, other)| same_training(d, other));
    let mut warnings = Vec::new();
    for (group, kind, severity) in [
        (copies, "similar_evidence", "medium"),
        (template, "training_template", "info"),
    ] {
        if group.is_empty() {
            continue;
        }
        let n = teachers(&group);
        let message = if kind == "similar_evidence" {
            format!("证书图片与另外 {n} 名教师的证书图片几乎相同")
        } else {
            format!(
                "同一培训的证书模板：与同一培训（{}，{} 至 {}）另外 {n} 名教师的证书图片相同，\
                 属同一模板，不视为复制",
                d.title, d.start_date, d.end_date
            )
        };
        let mut w = Warning::new(kind, severity, message);
        w.declaration_id = group.first().map(|(o, _)| o.declaration_id.clone());
        w.distance = group
            .iter()
            .filter_map(|(o, _)| near.get(&o.declaration_id))
            .min()
            .copied();
        w.others = group.into_iter().map(|(o, _)| o).take(MAX_OTHERS).collect();
        warnings.push(w);
    }
    Ok(warnings)
}

/// Two teachers' declarations of one training: the same dates and organiser, similar titles.
fn same_training(a: &Declaration, b: &Declaration) -> bool {
    a.start_date == b.start_date
        && a.end_date == b.end_date
        && a.organizer.trim() == b.organizer.trim()
        && similar_titles(&a.title_normalized, &b.title_normalized)
}

/// How many teachers the declarations belong to.
fn teachers(group: &[(OtherDeclaration, Declaration)]) -> usize {
    group
        .iter()
        .map(|(_, d)| d.teacher_id.as_str())
        .collect::<HashSet<_>>()
        .len()
}

/// The other declarations, oldest id first, as the reader may be shown them.
async fn others(
    c: &mut Conn,
    actor: &Actor,
    ids: &BTreeSet<String>,
) -> AppResult<Vec<(OtherDeclaration, Declaration)>> {
    let ids: Vec<String> = ids.iter().cloned().collect();
    let mut found = declarations::get_many(c, &ids).await?;
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let school_ids: Vec<String> = found
        .iter()
        .map(|d| d.school_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let schools: HashMap<String, Org> = orgs::get_many(c, &school_ids)
        .await?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    Ok(found
        .into_iter()
        .map(|d| {
            let school = schools.get(&d.school_id);
            let other = OtherDeclaration {
                declaration_id: d.id.clone(),
                teacher: mask_name(&d.teacher_name),
                school: school.map(|s| s.name.clone()).unwrap_or_default(),
                status: d.status.label_zh().to_owned(),
                visible: school
                    .is_some_and(|s| authz::sees_teacher(actor, &d.teacher_id, &s.place())),
            };
            (other, d)
        })
        .collect())
}

/// The bytes of a stored perceptual hash (base64 without padding), for its index bands.
pub fn phash_bytes(phash: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(phash)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phash_decodes_to_its_bytes() {
        assert_eq!(phash_bytes("AAECAwQFBgc"), vec![0, 1, 2, 3, 4, 5, 6, 7]);
        assert!(phash_bytes("not base64!").is_empty());
    }
}
