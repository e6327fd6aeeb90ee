//! The private-school teaching allowance (民办学校从教津贴): teachers of private
//! compulsory-education schools qualify for year Y when their verification of Y−1 passed
//! (穗教规字〔2020〕2号).

use serde::Serialize;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{IdNumber, OrgKind, SchoolType, allowance};
use xueshi_store::Conn;
use xueshi_store::Vault;
use xueshi_store::repo::exports::{self, AllowanceRow};
use xueshi_store::repo::reports::Reach;

use super::Ctx;
use super::reports::filter_org;
use crate::error::AppResult;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AllowanceItem {
    pub teacher_id: String,
    pub name: String,
    /// Masked (`440106********123X`).
    pub id_number: String,
    pub school_id: String,
    pub school_name: String,
    pub school_type: SchoolType,
    /// The verification of year−1: passed, failed, or `null` when the teacher has no result.
    pub previous_year_passed: Option<bool>,
    /// Qualifies for the allowance: year−1 verified as passed.
    pub eligible: bool,
}

impl From<AllowanceRow> for AllowanceItem {
    fn from(r: AllowanceRow) -> AllowanceItem {
        AllowanceItem {
            teacher_id: r.teacher_id,
            name: r.name,
            id_number: IdNumber::mask_str(&r.id_number),
            school_id: r.school_id,
            school_name: r.school_name,
            school_type: r.school_type,
            previous_year_passed: r.previous_passed,
            eligible: allowance::eligible(r.ownership, r.school_type, r.previous_passed),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Allowance {
    pub year: i32,
    /// The year whose verification decides: `year − 1`.
    pub previous_year: i32,
    /// Whether `previous_year` has been verified at all.
    pub previous_year_verified: bool,
    pub items: Vec<AllowanceItem>,
    pub next_cursor: Option<String>,
}

/// Private compulsory-school teachers in the caller's scope, by teacher id; `limit: None`
/// lists them all (downloads).
pub async fn list(
    c: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
    year: i32,
    district_id: Option<&str>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Allowance> {
    ctx.require(Action::ViewReports)?;
    let district = filter_org(c, ctx, district_id, OrgKind::District).await?;
    let scope = authz::scope(&ctx.actor);
    let reach = Reach {
        scope: &scope,
        district_id: district.as_ref().map(|d| d.id.as_str()),
        school_id: None,
    };
    let previous_year = year - 1;
    let previous_year_verified =
        xueshi_store::repo::verification::has_results(c, previous_year).await?;
    let page = limit.map(|l| l.clamp(1, 500));
    let mut rows = Vec::new();
    let mut after = cursor.map(str::to_owned);
    loop {
        let want = page.map_or(5000, |p| p + 1 - rows.len() as i64);
        let batch = exports::allowance(c, v, previous_year, &reach, after.as_deref(), want).await?;
        let full = batch.len() as i64 == want;
        after = batch.last().map(|r| r.teacher_id.clone());
        rows.extend(batch);
        if page.is_some() || !full {
            break;
        }
    }
    let next_cursor = match page {
        Some(p) if rows.len() as i64 > p => {
            rows.truncate(p as usize);
            rows.last().map(|r| r.teacher_id.clone())
        }
        _ => None,
    };
    Ok(Allowance {
        year,
        previous_year,
        previous_year_verified,
        items: rows.into_iter().map(AllowanceItem::from).collect(),
        next_cursor,
    })
}
