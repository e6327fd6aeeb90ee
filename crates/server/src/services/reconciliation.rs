//! Reconciliation against the provincial roster (省平台名册): the teachers in the caller's
//! scope whom the province does not know by ID number, and those it knows under another
//! name, so that schools can correct them before the provincial export.

use std::collections::HashMap;

use axum::body::Bytes;
use serde::Serialize;
use xueshi_domain::IdNumber;
use xueshi_domain::authz::{self, Action};
use xueshi_store::Db;
use xueshi_store::repo::exports::{self, RosterTeacher};
use xueshi_store::repo::reports::Reach;

use super::exports::{Cell, Table};
use super::{Ctx, sheet};
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
    let mut c = db.pool().acquire().await?;
    let mut out = Reconciliation {
        roster_rows,
        teachers_checked: 0,
        not_registered: Vec::new(),
        name_mismatch: Vec::new(),
    };
    let mut cursor: Option<String> = None;
    loop {
        let page = exports::teachers(&mut c, db.vault(), &reach, cursor.as_deref(), 5000).await?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.teacher_id.clone());
        let full = page.len() == 5000;
        out.teachers_checked += page.len();
        for t in page {
            check(&roster, t, &mut out);
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

fn check(roster: &HashMap<String, String>, t: RosterTeacher, out: &mut Reconciliation) {
    let id_number = IdNumber::mask_str(&t.id_number);
    match roster.get(&t.id_number) {
        None => out.not_registered.push(NotRegistered {
            teacher_id: t.teacher_id,
            name: t.name,
            id_number,
            school_id: t.school_id,
            school_name: t.school_name,
        }),
        Some(provincial) if !same_name(provincial, &t.name) => {
            out.name_mismatch.push(NameMismatch {
                teacher_id: t.teacher_id,
                name: t.name,
                provincial_name: provincial.clone(),
                id_number,
                school_id: t.school_id,
                school_name: t.school_name,
            })
        }
        Some(_) => {}
    }
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
