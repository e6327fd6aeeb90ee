//! Reports of a year (SPEC §7): where every district or school stands, who is still short of
//! a minimum, and which private-school teachers qualify for the allowance. Figures come from
//! the stored verification results once the year is verified, else from live progress; the
//! answer says which (`basis`). The database sums per school; schools roll up here.

use std::collections::{HashMap, HashSet};
use xueshi_store::Vault;

use serde::{Deserialize, Serialize};
use xueshi_domain::authz::{self, Action, Scope};
use xueshi_domain::{Category, FieldError, Hours, IdNumber, OrgKind, Policy, Role, time_rules};
use xueshi_store::Conn;
use xueshi_store::models::Org;
use xueshi_store::repo::reports::{
    self, Basis, CategoryHours, Reach, SchoolTally, Shortfall, ShortfallFilter,
};
use xueshi_store::repo::{orgs, policies};

use super::Ctx;
use crate::error::{AppError, AppResult};

/// Which figures a report rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportBasis {
    /// The stored results of the year's verification run.
    Verified,
    /// Provisional progress from the effective records so far.
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    District,
    School,
}

/// Hours per category and in all (professional includes carried hours).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HoursDto {
    pub public: Hours,
    pub professional: Hours,
    pub elective: Hours,
    pub total: Hours,
}

impl From<CategoryHours> for HoursDto {
    fn from(h: CategoryHours) -> HoursDto {
        HoursDto {
            public: h.public,
            professional: h.professional,
            elective: h.elective,
            total: h.total,
        }
    }
}

/// One district, school or (for the city) the city-affiliated schools.
#[derive(Clone, Debug, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub org_id: String,
    pub name: String,
    pub teachers: i64,
    pub passed: i64,
    /// passed / teachers, a fraction between 0 and 1 (4 decimals); 0 without teachers.
    pub pass_rate: f64,
    /// Declarations waiting for the school's review (待学校初审).
    pub pending_school: i64,
    /// Declarations waiting for the district's or city's review (待区/市审核).
    pub pending_second: i64,
    /// Pending declarations whose review deadline is over (逾期未审核).
    pub overdue: i64,
    /// Hours summed over the group's teachers.
    pub hours: HoursDto,
    /// Hours per teacher (the sum divided by `teachers`, rounded to a tenth).
    pub average_hours: HoursDto,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub year: i32,
    pub basis: ReportBasis,
    pub group_by: GroupBy,
    /// The business date the pending and overdue counts were taken.
    pub as_of: String,
    pub groups: Vec<Group>,
    /// Every group together (`org_id`: the caller's organisation, `name`: 合计).
    pub total: Group,
}

/// The report's facts: verified results once they exist, else live progress.
pub struct Year {
    pub policy: Option<Policy>,
    pub basis: ReportBasis,
}

impl Year {
    pub fn source(&self, year: i32) -> Basis<'_> {
        match (&self.basis, &self.policy) {
            (ReportBasis::Live, Some(p)) => Basis::Live(p),
            _ => Basis::Verified(year),
        }
    }

    pub fn policy(&self, year: i32) -> AppResult<&Policy> {
        self.policy.as_ref().ok_or_else(|| no_policy(year))
    }
}

fn no_policy(year: i32) -> AppError {
    AppError::Invalid(vec![FieldError::new(
        "year",
        format!("{year}年度尚未设置年度政策"),
    )])
}

pub async fn year_basis(c: &mut Conn, year: i32) -> AppResult<Year> {
    let policy = policies::get(c, year).await?;
    let basis = if xueshi_store::repo::verification::has_results(c, year).await? {
        ReportBasis::Verified
    } else if policy.is_some() {
        ReportBasis::Live
    } else {
        return Err(no_policy(year));
    };
    Ok(Year { policy, basis })
}

/// Checks an optional `district_id` or `school_id` filter: it must name an organisation of
/// that kind the caller sees, or the answer is 404.
pub async fn filter_org(
    c: &mut Conn,
    ctx: &Ctx,
    id: Option<&str>,
    kind: OrgKind,
) -> AppResult<Option<Org>> {
    let Some(id) = id else { return Ok(None) };
    match orgs::get(c, id).await? {
        Some(org) if org.kind == kind && authz::sees_org(&ctx.actor, &org.place()) => Ok(Some(org)),
        _ => Err(AppError::NotFound),
    }
}

fn rate(passed: i64, teachers: i64) -> f64 {
    if teachers == 0 {
        0.0
    } else {
        (passed as f64 / teachers as f64 * 10_000.0).round() / 10_000.0
    }
}

fn average(sum: Hours, teachers: i64) -> Hours {
    if teachers == 0 {
        Hours::ZERO
    } else {
        Hours::from_tenths((sum.tenths() * 2 + teachers) / (teachers * 2))
    }
}

impl Group {
    fn new(org_id: &str, name: &str) -> Group {
        Group {
            org_id: org_id.to_owned(),
            name: name.to_owned(),
            ..Group::default()
        }
    }

    fn add(&mut self, t: &SchoolTally) {
        self.teachers += t.teachers;
        self.passed += t.passed;
        self.hours.public += t.hours.public;
        self.hours.professional += t.hours.professional;
        self.hours.elective += t.hours.elective;
        self.hours.total += t.hours.total;
    }

    fn add_group(&mut self, g: &Group) {
        self.teachers += g.teachers;
        self.passed += g.passed;
        self.pending_school += g.pending_school;
        self.pending_second += g.pending_second;
        self.overdue += g.overdue;
        self.hours.public += g.hours.public;
        self.hours.professional += g.hours.professional;
        self.hours.elective += g.hours.elective;
        self.hours.total += g.hours.total;
    }

    fn finish(&mut self) {
        self.pass_rate = rate(self.passed, self.teachers);
        let h = &self.hours;
        self.average_hours = HoursDto {
            public: average(h.public, self.teachers),
            professional: average(h.professional, self.teachers),
            elective: average(h.elective, self.teachers),
            total: average(h.total, self.teachers),
        };
    }

    fn is_empty(&self) -> bool {
        self.teachers == 0 && self.pending_school == 0 && self.pending_second == 0
    }
}

#[derive(Default)]
struct Groups {
    order: Vec<Group>,
    index: HashMap<String, usize>,
}

impl Groups {
    fn place(&mut self, id: &str, name: &str) -> usize {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        self.order.push(Group::new(id, name));
        self.index.insert(id.to_owned(), self.order.len() - 1);
        self.order.len() - 1
    }
}

/// The name of the group the city's affiliated schools (局属学校) form.
pub const CITY_AFFILIATED: &str = "市局属学校";

/// The summary of `year`, grouped by district (the city's default) or by school.
pub async fn summary(
    c: &mut Conn,
    ctx: &Ctx,
    year: i32,
    group_by: Option<GroupBy>,
    district_id: Option<&str>,
    today: time::Date,
) -> AppResult<Summary> {
    ctx.require(Action::ViewReports)?;
    let group_by = group_by.unwrap_or(match ctx.actor.role {
        Role::CityAdmin => GroupBy::District,
        _ => GroupBy::School,
    });
    if group_by == GroupBy::District && ctx.actor.role == Role::SchoolAdmin {
        return Err(AppError::invalid("group_by", "学校只能按学校汇总"));
    }
    let district = filter_org(c, ctx, district_id, OrgKind::District).await?;
    let basis = year_basis(c, year).await?;
    let scope = authz::scope(&ctx.actor);
    let reach = Reach {
        scope: &scope,
        district_id: district.as_ref().map(|d| d.id.as_str()),
        school_id: None,
    };
    let tallies = reports::tallies(c, basis.source(year), &reach).await?;
    let pending = reports::pending(c, year, &reach).await?;
    let schools = reports::schools(c, &reach, true).await?;
    let city = orgs::city(c).await?;

    // Each school's group, and the groups in the order they are shown.
    let mut groups = Groups::default();
    let mut school_group: HashMap<&str, usize> = HashMap::new();
    if group_by == GroupBy::District {
        let districts = reports::districts(c).await?;
        for d in districts.iter().filter(|d| match (&scope, &district) {
            (_, Some(only)) => d.id == only.id,
            (Scope::District(own), None) => d.id == *own,
            _ => true,
        }) {
            groups.place(&d.id, &d.name);
        }
        for s in &schools {
            let i = match s.district_id.as_deref().filter(|_| !s.city_affiliated) {
                Some(d) => match groups.index.get(d) {
                    Some(i) => *i,
                    None => continue,
                },
                None => groups.place(&city.id, CITY_AFFILIATED),
            };
            school_group.insert(&s.id, i);
        }
    } else {
        for s in &schools {
            school_group.insert(&s.id, groups.place(&s.id, &s.name));
        }
    }
    let mut order = groups.order;
    for t in &tallies {
        if let Some(i) = school_group.get(t.school_id.as_str()) {
            order[*i].add(t);
        }
    }
    let (school_late, second_late) = match &basis.policy {
        Some(p) => (
            today > p.deadlines.school_review,
            today > p.deadlines.district_review,
        ),
        None => (false, false),
    };
    for p in &pending {
        if let Some(i) = school_group.get(p.school_id.as_str()) {
            let g = &mut order[*i];
            g.pending_school += p.school;
            g.pending_second += p.second;
            g.overdue +=
                if school_late { p.school } else { 0 } + if second_late { p.second } else { 0 };
        }
    }
    // Archived schools show only while they still have teachers or pending work.
    let archived: HashSet<&str> = schools
        .iter()
        .filter(|s| !s.is_active())
        .map(|s| s.id.as_str())
        .collect();
    let mut groups: Vec<Group> = order
        .into_iter()
        .filter(|g| {
            !(group_by == GroupBy::School && archived.contains(&g.org_id.as_str()) && g.is_empty())
        })
        .collect();
    // By name, the city-affiliated schools last.
    groups.sort_by(|a, b| (a.org_id == city.id, &a.name).cmp(&(b.org_id == city.id, &b.name)));
    let mut total = Group::new(&ctx.actor.org_id, "合计");
    for g in &mut groups {
        g.finish();
        total.add_group(g);
    }
    total.finish();
    Ok(Summary {
        year,
        basis: basis.basis,
        group_by,
        as_of: time_rules::format_date(today),
        groups,
        total,
    })
}

/// A teacher still short of a minimum, with what they lack.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShortfallDto {
    pub teacher_id: String,
    pub name: String,
    /// Masked (`440106********123X`).
    pub id_number: String,
    pub school_id: String,
    pub school_name: String,
    /// `active | departed`
    pub status: String,
    pub hours: HoursDto,
    /// How much is missing to each minimum (0 where it is met).
    pub lacking: HoursDto,
}

impl ShortfallDto {
    pub fn new(s: Shortfall, policy: &Policy) -> ShortfallDto {
        let m = &policy.minimums;
        let h = s.hours;
        ShortfallDto {
            teacher_id: s.teacher_id,
            name: s.name,
            id_number: IdNumber::mask_str(&s.id_number),
            school_id: s.school_id,
            school_name: s.school_name,
            status: s.status,
            hours: h.into(),
            lacking: HoursDto {
                public: m.public.saturating_sub(h.public),
                professional: m.professional.saturating_sub(h.professional),
                elective: m.elective.saturating_sub(h.elective),
                total: m.total.saturating_sub(h.total),
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Shortfalls {
    pub year: i32,
    pub basis: ReportBasis,
    pub items: Vec<ShortfallDto>,
    pub next_cursor: Option<String>,
}

/// Which shortfall: a category, or `total` (the total below its minimum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShortOf {
    Public,
    Professional,
    Elective,
    Total,
}

#[derive(Debug, Default)]
pub struct ShortfallQuery<'a> {
    pub district_id: Option<&'a str>,
    pub school_id: Option<&'a str>,
    pub category: Option<ShortOf>,
    pub cursor: Option<String>,
    /// `None`: every row (downloads).
    pub limit: Option<i64>,
}

/// Teachers in the caller's scope short of a minimum in `year`, by teacher id.
pub async fn shortfalls(
    c: &mut Conn,
    v: &Vault,
    ctx: &Ctx,
    year: i32,
    q: ShortfallQuery<'_>,
) -> AppResult<Shortfalls> {
    ctx.require(Action::ViewReports)?;
    let district = filter_org(c, ctx, q.district_id, OrgKind::District).await?;
    let school = filter_org(c, ctx, q.school_id, OrgKind::School).await?;
    let basis = year_basis(c, year).await?;
    let policy = basis.policy(year)?;
    let scope = authz::scope(&ctx.actor);
    let reach = Reach {
        scope: &scope,
        district_id: district.as_ref().map(|d| d.id.as_str()),
        school_id: school.as_ref().map(|s| s.id.as_str()),
    };
    let limit = q.limit.map(|l| l.clamp(1, 500));
    let filter = ShortfallFilter {
        category: match q.category {
            Some(ShortOf::Public) => Some(Category::Public),
            Some(ShortOf::Professional) => Some(Category::Professional),
            Some(ShortOf::Elective) => Some(Category::Elective),
            Some(ShortOf::Total) | None => None,
        },
        total_only: q.category == Some(ShortOf::Total),
        active_only: false,
        cursor: q.cursor,
        limit: limit.map(|l| l + 1),
    };
    let mut rows = reports::shortfalls(c, v, basis.source(year), policy, &reach, &filter).await?;
    let next_cursor = match limit {
        Some(l) if rows.len() as i64 > l => {
            rows.truncate(l as usize);
            rows.last().map(|r| r.teacher_id.clone())
        }
        _ => None,
    };
    Ok(Shortfalls {
        year,
        basis: basis.basis,
        items: rows
            .into_iter()
            .map(|r| ShortfallDto::new(r, policy))
            .collect(),
        next_cursor,
    })
}

/// Records today's pending reviews per school, for the backlog over time (hourly; the last
/// snapshot of a day stands for it).
pub async fn snapshot_pending(db: &xueshi_store::Db, today: time::Date) -> AppResult<()> {
    let mut tx = db.begin().await?;
    xueshi_store::repo::snapshots::take(&mut tx, &today.to_string()).await?;
    tx.commit().await?;
    Ok(())
}

/// Pending reviews (at school level, at second level) per day of the last `days` days, in
/// the caller's scope.
pub async fn pending_series(
    c: &mut Conn,
    ctx: &Ctx,
    today: time::Date,
    days: i64,
) -> AppResult<Vec<(String, i64, i64)>> {
    ctx.require(Action::ViewReports)?;
    let from = today - time::Duration::days(days - 1);
    let scope = authz::scope(&ctx.actor);
    let reach = xueshi_store::repo::reports::Reach {
        scope: &scope,
        district_id: None,
        school_id: None,
    };
    Ok(xueshi_store::repo::snapshots::series(c, &from.to_string(), &reach).await?)
}

/// The caller's whole scope as a report's reach.
fn whole(scope: &Scope) -> Reach<'_> {
    Reach {
        scope,
        district_id: None,
        school_id: None,
    }
}

/// The schools in the caller's scope (archived ones too when asked), by name.
pub async fn schools_in_scope(c: &mut Conn, ctx: &Ctx, archived: bool) -> AppResult<Vec<Org>> {
    let scope = authz::scope(&ctx.actor);
    Ok(xueshi_store::repo::reports::schools(c, &whole(&scope), archived).await?)
}

/// Declarations awaiting review in the caller's scope, per school and level.
pub async fn pending_in_scope(
    c: &mut Conn,
    ctx: &Ctx,
    year: i32,
) -> AppResult<Vec<xueshi_store::repo::reports::PendingTally>> {
    let scope = authz::scope(&ctx.actor);
    Ok(xueshi_store::repo::reports::pending(c, year, &whole(&scope)).await?)
}

/// Whether `year` has been verified at all.
pub async fn is_verified(c: &mut Conn, year: i32) -> AppResult<bool> {
    Ok(xueshi_store::repo::verification::has_results(c, year).await?)
}
