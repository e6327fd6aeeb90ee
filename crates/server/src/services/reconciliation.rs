//! Reconciliation against the provincial roster (省平台名册): the teachers in the caller's
//! scope whom the province does not know by ID number, and those it knows under another
//! name, so that schools can correct them before the provincial export.

use std::collections::HashMap;

pub use xueshi_store::repo::reconciliation_findings::FindingRow;

use axum::body::Bytes;
use serde::Serialize;
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{IdNumber, Role};
use xueshi_store::repo::exports::{self, RosterTeacher};
use xueshi_store::repo::reconciliation_findings::{self as findings, Finding, FindingKind};
use xueshi_store::repo::reports::Reach;
use xueshi_store::{Db, now_ms};

use super::exports::{Cell, Table};
use super::{Ctx, Place, record, sheet};
use crate::error::AppResult;

/// The roster's columns (姓名, 身份证号), both required.
pub const ROSTER_COLUMNS: &[&str] = &["姓名", "身份证号"];

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotRegistered {
    pub teacher_id: String,
    pub name: String,
    /// Masked (`440106********123X`).
    pub id_number: String,
    pub school_id: String,
    pub school_name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NameMismatch {
    pub teacher_id: String,
    /// The name on the platform.
    pub name: String,
    /// The name the province has for the same ID number.
    pub provincial_name: String,
    /// Masked (`440106********123X`).
    pub id_number: String,
    pub school_id: String,
    pub school_name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    /// Data rows read from the roster.
    pub roster_rows: usize,
    /// Active teachers in the caller's scope that were checked.
    pub teachers_checked: usize,
    pub not_registered: Vec<NotRegistered>,
    pub name_mismatch: Vec<NameMismatch>,
}

/// Names compare without any whitespace (the province's and the platform's spacing differ).
fn same_name(a: &str, b: &str) -> bool {
    a.chars()
        .filter(|c| !c.is_whitespace())
        .eq(b.chars().filter(|c| !c.is_whitespace()))
}

/// Checks the active teachers in the caller's scope against the roster in `bytes` (XLSX, or
/// CSV in UTF-8 or GB18030).
pub async fn reconcile(db: &Db, ctx: &Ctx, bytes: Bytes) -> AppResult<Reconciliation> {
    ctx.require(Action::Reconcile)?;
    let rows = sheet::read_upload(bytes, ROSTER_COLUMNS, ROSTER_COLUMNS).await?;
    let roster_rows = rows.len();
    let roster: HashMap<String, String> = rows
        .into_iter()
        .filter(|r| !r.cells[1].is_empty())
        .map(|mut r| (r.cells[1].to_uppercase(), std::mem::take(&mut r.cells[0])))
        .collect();
    let scope = authz::scope(&ctx.actor);
    let reach = Reach {
        scope: &scope,
        district_id: None,
        school_id: None,
    };
    let mut tx = db.begin().await?;
    let mut out = Reconciliation {
        roster_rows,
        teachers_checked: 0,
        not_registered: Vec::new(),
        name_mismatch: Vec::new(),
    };
    let now = now_ms();
    let mut cursor: Option<String> = None;
    loop {
        let page = exports::teachers(&mut tx, db.vault(), &reach, cursor.as_deref(), 5000).await?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.teacher_id.clone());
        let full = page.len() == 5000;
        out.teachers_checked += page.len();
        let checked: Vec<String> = page.iter().map(|t| t.teacher_id.clone()).collect();
        let found: Vec<Finding> = page
            .into_iter()
            .filter_map(|t| check(&roster, t, now, &mut out))
            .collect();
        findings::replace(&mut tx, &checked, &found).await?;
        if !full {
            break;
        }
    }
    let place = Place {
        district_id: ctx.actor.district_id.clone(),
        school_id: (ctx.actor.role == Role::SchoolAdmin).then(|| ctx.actor.org_id.clone()),
    };
    let detail = json!({
        "roster_rows": out.roster_rows,
        "teachers_checked": out.teachers_checked,
        "not_registered": out.not_registered.len(),
        "name_mismatch": out.name_mismatch.len(),
    });
    let target = ctx.actor.org_id.clone();
    record(
        &mut tx,
        db.vault(),
        ctx,
        "reconciliation.run",
        ("org", &target),
        &place,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Files the teacher under the list they belong to, and returns what is to be remembered.
fn check(
    roster: &HashMap<String, String>,
    t: RosterTeacher,
    now: i64,
    out: &mut Reconciliation,
) -> Option<Finding> {
    let id_number = IdNumber::mask_str(&t.id_number);
    let (kind, provincial_name) = match roster.get(&t.id_number) {
        None => (FindingKind::NotRegistered, None),
        Some(provincial) if !same_name(provincial, &t.name) => {
            (FindingKind::NameMismatch, Some(provincial.clone()))
        }
        Some(_) => return None,
    };
    let finding = Finding {
        teacher_id: t.teacher_id.clone(),
        kind,
        provincial_name: provincial_name.clone(),
        found_at: now,
        reminded_at: None,
    };
    match provincial_name {
        None => out.not_registered.push(NotRegistered {
            teacher_id: t.teacher_id,
            name: t.name,
            id_number,
            school_id: t.school_id,
            school_name: t.school_name,
        }),
        Some(provincial_name) => out.name_mismatch.push(NameMismatch {
            teacher_id: t.teacher_id,
            name: t.name,
            provincial_name,
            id_number,
            school_id: t.school_id,
            school_name: t.school_name,
        }),
    }
    Some(finding)
}

/// The two lists as worksheets.
pub fn tables(r: &Reconciliation) -> Vec<Table> {
    let text = |s: &str| Cell::Text(s.to_owned());
    vec![
        Table::new(
            "未在省平台登记",
            vec!["姓名", "身份证号", "学校"],
            r.not_registered
                .iter()
                .map(|t| vec![text(&t.name), text(&t.id_number), text(&t.school_name)])
                .collect(),
        ),
        Table::new(
            "姓名不一致",
            vec!["姓名", "省平台姓名", "身份证号", "学校"],
            r.name_mismatch
                .iter()
                .map(|t| {
                    vec![
                        text(&t.name),
                        text(&t.provincial_name),
                        text(&t.id_number),
                        text(&t.school_name),
                    ]
                })
                .collect(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_whitespace() {
        assert!(same_name("张 三", "张三"));
        assert!(same_name(" 李四\u{3000}", "李四"));
        assert!(!same_name("张三", "张山"));
    }
}
