//! Continuing-education archives (继续教育档案, the notice 五(二)2: 建立学校和教师的继续教育档案): a
//! teacher's every year as one PDF — the verification's result, or a not-yet-verified year's
//! effective hours as the ledger counts them, and the records — and a school's every verified
//! teacher-year as XLSX. Both audited: they carry personal data.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use xueshi_certificate::{ArchiveData, ArchiveRecord, ArchiveYear};
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{IdNumber, OrgKind, RecordStatus, Role, evaluate, year_totals};
use xueshi_store::models::{Org, Record, VerificationResult};
use xueshi_store::repo::{archive, orgs, policies, records, verification};

use super::exports::{Cell, Download, Table, XLSX, xlsx};
use super::{Ctx, Place, date_of, record, teachers};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// `2026年12月3日`, today in Shanghai.
fn today_zh() -> String {
    xueshi_domain::time_rules::format_date_zh(xueshi_domain::time_rules::business_date(
        time::OffsetDateTime::now_utc(),
    ))
}

fn record_dates(r: &Record) -> String {
    match (r.start_date.as_deref(), r.end_date.as_deref()) {
        (Some(start), Some(end)) if start != end => {
            format!("{start}至{}", &end[5.min(end.len())..])
        }
        (Some(day), _) | (None, Some(day)) => day.to_owned(),
        (None, None) => date_of(r.created_at).to_string(),
    }
}

fn archive_record(r: &Record) -> ArchiveRecord {
    ArchiveRecord {
        dates: record_dates(r),
        title: r.title.clone(),
        category: r.category.label_zh().to_owned(),
        hours: r.hours.to_string(),
        source: r.source.label_zh().to_owned(),
    }
}

fn verified_year(r: &VerificationResult, school: &str, rows: Vec<ArchiveRecord>) -> ArchiveYear {
    ArchiveYear {
        year: r.year,
        status: if r.passed { "合格" } else { "不合格" }.into(),
        passed: r.passed,
        note: format!(
            "{}年度验证结果（{}验证，时在{school}）",
            r.year,
            xueshi_domain::time_rules::format_date_zh(date_of(r.computed_at))
        ),
        public: r.public.to_string(),
        professional: r.professional.to_string(),
        elective: r.elective.to_string(),
        total: r.total.to_string(),
        carried_in: r.carried_in.to_string(),
        carry_out: r.carry_out.to_string(),
        records: rows,
    }
}

/// The teacher's archive as a PDF: the teacher themself, or administrators in scope.
pub async fn teacher_pdf(state: &AppState, ctx: &Ctx, teacher_id: &str) -> AppResult<Download> {
    let mut c = state.db.pool().acquire().await?;
    let (teacher, school) =
        teachers::visible_for_ledger(&mut c, state.db.vault(), ctx, teacher_id).await?;
    let results = verification::for_teacher(&mut c, &teacher.id).await?;
    let mut by_year: BTreeMap<i32, Vec<Record>> = BTreeMap::new();
    for r in records::for_teacher(&mut c, &teacher.id, None).await? {
        by_year.entry(r.year).or_default().push(r);
    }
    let years: BTreeSet<i32> = results
        .iter()
        .map(|r| r.year)
        .chain(by_year.keys().copied())
        .collect();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for year in years {
        let records = by_year.remove(&year).unwrap_or_default();
        let shown: Vec<ArchiveRecord> = records
            .iter()
            .filter(|r| r.status == RecordStatus::Approved)
            .map(archive_record)
            .collect();
        if let Some(result) = results.iter().find(|r| r.year == year) {
            if !names.contains_key(&result.school_id) {
                let name = orgs::get(&mut c, &result.school_id)
                    .await?
                    .map_or_else(String::new, |o| o.name);
                names.insert(result.school_id.clone(), name);
            }
            out.push(verified_year(result, &names[&result.school_id], shown));
            continue;
        }
        // Not verified yet: the effective hours as the ledger counts them today.
        let mut y = ArchiveYear {
            year,
            status: "未验证".into(),
            records: shown,
            ..Default::default()
        };
        match policies::get(&mut c, year).await? {
            Some(policy) => {
                let o = evaluate(
                    &year_totals(&xueshi_store::cached::effective_lines(&records), &policy),
                    &policy,
                );
                y.note = format!(
                    "尚未进行年度验证：以下为截至{}的有效学时（{}本年度要求），以年度验证结果为准",
                    today_zh(),
                    if o.passed { "已达到" } else { "未达到" }
                );
                y.public = o.public.to_string();
                y.professional = o.professional.to_string();
                y.elective = o.elective.to_string();
                y.total = o.total.to_string();
                y.carried_in = o.carried_in.to_string();
                y.carry_out = "—".into();
            }
            None => {
                y.note = "本年度学时政策尚未发布，尚未进行年度验证".into();
                for cell in [
                    &mut y.public,
                    &mut y.professional,
                    &mut y.elective,
                    &mut y.total,
                    &mut y.carried_in,
                    &mut y.carry_out,
                ] {
                    *cell = "—".into();
                }
            }
        }
        out.push(y);
    }
    let issuer = orgs::city(&mut c).await?.name;
    drop(c);
    let data = ArchiveData {
        name: teacher.name.clone(),
        id_number_masked: IdNumber::mask_str(&teacher.id_number),
        school: school.name.clone(),
        issuer,
        printed_on: today_zh(),
        years: out,
    };
    let renderer = crate::services::certificates::renderer(&state.config).await?;
    let (pdf, data) = tokio::task::spawn_blocking(move || (renderer.render_archive(&data), data))
        .await
        .map_err(render_failed)?;
    let pdf = pdf.map_err(render_failed)?;
    let mut tx = state.db.begin().await?;
    let detail = json!({ "years": data.years.iter().map(|y| y.year).collect::<Vec<_>>() });
    record(
        &mut tx,
        state.db.vault(),
        ctx,
        "teacher.archive_download",
        ("teacher", &teacher.id),
        &Place::of(&school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Download {
        filename: "archive.pdf".into(),
        chinese_name: format!("{}-继续教育档案.pdf", teacher.name),
        content_type: "application/pdf",
        bytes: pdf,
    })
}

fn render_failed(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("rendering an archive: {e}"))
}

/// The school a school archive is asked for: a school administrator's own by default; a
/// district's or the city's only in their scope.
async fn archive_school(c: &mut xueshi_store::Conn, ctx: &Ctx, id: Option<&str>) -> AppResult<Org> {
    ctx.require(Action::ViewReports)?;
    let id = match (id, ctx.actor.role) {
        (Some(id), _) => id.to_owned(),
        (None, Role::SchoolAdmin) => ctx.actor.org_id.clone(),
        (None, _) => return Err(AppError::invalid("school_id", "请选择学校")),
    };
    orgs::get(c, &id)
        .await?
        .filter(|o| o.kind == OrgKind::School && authz::sees_org(&ctx.actor, &o.place()))
        .ok_or(AppError::NotFound)
}

/// The school's archive as XLSX: one row per teacher and verified year.
pub async fn school_xlsx(
    state: &AppState,
    ctx: &Ctx,
    school_id: Option<&str>,
) -> AppResult<Download> {
    let mut c = state.db.pool().acquire().await?;
    let school = archive_school(&mut c, ctx, school_id).await?;
    let rows = archive::school_years(&mut c, state.db.vault(), &school.id).await?;
    drop(c);
    let count = rows.len();
    let text = |s: &str| Cell::Text(s.to_owned());
    let table = Table::new(
        "继续教育档案",
        vec![
            "姓名",
            "身份证号",
            "年度",
            "公需科目",
            "专业科目（含结转）",
            "个人选修科目",
            "合计",
            "上年结转",
            "结转下年",
            "验证结果",
        ],
        rows.into_iter()
            .map(|r| {
                let v = r.result;
                vec![
                    text(&r.name),
                    text(&IdNumber::mask_str(&r.id_number)),
                    Cell::Count(i64::from(v.year)),
                    Cell::Hours(v.public),
                    Cell::Hours(v.professional),
                    Cell::Hours(v.elective),
                    Cell::Hours(v.total),
                    Cell::Hours(v.carried_in),
                    Cell::Hours(v.carry_out),
                    text(if v.passed { "合格" } else { "不合格" }),
                ]
            })
            .collect(),
    );
    let bytes = xlsx(vec![table]).await?;
    let mut tx = state.db.begin().await?;
    record(
        &mut tx,
        state.db.vault(),
        ctx,
        "school.archive_download",
        ("org", &school.id),
        &Place::of(&school),
        json!({ "rows": count }),
    )
    .await?;
    tx.commit().await?;
    Ok(Download {
        filename: "school-archive.xlsx".into(),
        chinese_name: format!("{}-继续教育档案.xlsx", school.name),
        content_type: XLSX,
        bytes,
    })
}
