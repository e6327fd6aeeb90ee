//! `xueshi bench …`: generate realistic data fast and measure the deadline-day operations
//! (see docs/benchmarks.md for how the figures were taken).

use std::time::{Duration, Instant};
use xueshi_store::sealed;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use xueshi_domain::{
    ActivityType, Category, OrgKind, OrgStatus, Ownership, Policy, RecordStatus, SchoolType,
    Source, TeacherStatus, check_char,
};
use xueshi_store::models::Org;
use xueshi_store::repo::sql::Sql;
use xueshi_store::repo::{audit, orgs, policies};
use xueshi_store::{Db, now_ms};

use crate::config::Config;
use crate::services::{Ctx, new_id, sheet, trainings, verification};

/// Bench teachers have ids of this form, so their number is part of the id.
const BENCH_ID_PREFIX: &str = "00000000-0000-7000-8000-";

fn bench_id(n: u64) -> String {
    format!("{BENCH_ID_PREFIX}{n:012}")
}

/// A valid, unique ID number for bench teacher `n` (unique up to 13 million).
pub(super) fn bench_id_number(n: u64, area: &str) -> String {
    let day = (n / 1000) % 13_440;
    let (year, month, dom) = (1960 + day / 336, 1 + (day % 336) / 28, 1 + day % 28);
    let first17 = format!("{area}{year:04}{month:02}{dom:02}{:03}", n % 1000);
    format!("{first17}{}", check_char(&first17))
}

pub(super) fn bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_owned());
    bar
}

/// Fills the database with `teachers` teachers in Guangzhou's 11 districts (60 a school) and
/// `per_teacher` records each in `year`: one public course, then professional and elective.
pub async fn seed(
    config: Config,
    teachers: u64,
    per_teacher: u64,
    year: i32,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        teachers > 0 && (1..=1000).contains(&per_teacher),
        "教师数须大于0，每人记录数须在1到1000之间"
    );
    let db = crate::app::open_db(&config).await?;
    let started = Instant::now();
    let mut tx = db.begin().await?;
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM teachers WHERE id LIKE ");
    q.bind(format!("{BENCH_ID_PREFIX}%"));
    let existing: i64 = sqlx_count(&mut tx, &q).await?;
    anyhow::ensure!(
        existing == 0,
        "数据库中已有压测数据（{existing} 名教师），请使用新的数据目录或数据库"
    );
    if policies::get(&mut tx, year).await?.is_none() {
        policies::upsert(
            &mut tx,
            &Policy {
                year,
                ..Policy::guangzhou_2021()
            },
        )
        .await?;
    }
    let city = orgs::city(&mut tx).await?;
    let mut schools = Vec::new();
    let school_count = teachers.div_ceil(60);
    for (d, (name, area)) in crate::demo::DISTRICTS.iter().enumerate() {
        let district = org(&format!("压测{name}"), OrgKind::District, &city, None);
        orgs::insert(&mut tx, &district).await?;
        for s in (d as u64..school_count).step_by(crate::demo::DISTRICTS.len()) {
            let school = org(
                &format!("压测{name}第{s}学校"),
                OrgKind::School,
                &district,
                Some(s),
            );
            orgs::insert(&mut tx, &school).await?;
            schools.push((school.id, *area));
        }
    }
    tx.commit().await?;

    let progress = bar(teachers, "教师");
    let now = now_ms();
    let mut n = 0;
    while n < teachers {
        let mut tx = db.begin().await?;
        for _ in 0..50 {
            let end = (n + 1000).min(teachers);
            if n >= end {
                break;
            }
            let mut q = Sql::new(
                "INSERT INTO teachers (id, name, id_number, id_number_index, school_id, status, \
                 created_at, updated_at) VALUES ",
            );
            for i in n..end {
                let (school, area) = &schools[(i % schools.len() as u64) as usize];
                q.push(if i == n { "(" } else { ", (" })
                    .bind(bench_id(i))
                    .push(", ")
                    .bind(format!("教师{i}"));
                let number = bench_id_number(i, area);
                q.push(", ")
                    .bind(sealed::seal_field(
                        db.vault(),
                        &bench_id(i),
                        "id_number",
                        &number,
                    ))
                    .push(", ")
                    .bind(sealed::id_number_index(db.vault(), &number));
                q.push(", ").bind(school.as_str());
                q.push(", ")
                    .bind_code(TeacherStatus::Active)
                    .push(", ")
                    .bind(now)
                    .push(", ")
                    .bind(now)
                    .push(")");
            }
            q.execute(&mut tx).await?;
            progress.inc(end - n);
            n = end;
        }
        tx.commit().await?;
    }
    progress.finish();

    let progress = bar(per_teacher, "记录（每批每位教师一条）");
    for g in 1..=per_teacher as i64 {
        let mut tx = db.begin().await?;
        // Hours vary with the teacher's number so that some teachers fall short.
        let mut q = Sql::new(
            "INSERT INTO records (id, teacher_id, year, category, activity_type, title, hours, source, \
             status, created_at, updated_at) SELECT ",
        );
        q.bind(format!("bench-{year}-{g}-"))
            .push(" || t.id, t.id, ")
            .bind(year as i64);
        q.push(", ").bind_code(match g {
            1 => Category::Public,
            g if g % 5 == 0 => Category::Elective,
            _ => Category::Professional,
        });
        q.push(", ").bind_code(
            [
                ActivityType::RemoteTraining,
                ActivityType::TeachingResearch,
                ActivityType::TrainingCourse,
                ActivityType::AcademicEvent,
            ][(g % 4) as usize],
        );
        q.push(", ").bind(format!("压测培训{g}")).push(", ");
        if g == 1 {
            q.push("300");
        } else {
            q.push("10 + (CAST(substr(t.id, 25, 12) AS BIGINT) * 7 + ")
                .bind(g * 13)
                .push(") % 100");
        }
        q.push(", ")
            .bind_code(if g == 1 {
                Source::PublicCourse
            } else {
                Source::Organizer
            })
            .push(", ")
            .bind_code(RecordStatus::Approved)
            .push(", ");
        q.bind(now)
            .push(", ")
            .bind(now)
            .push(" FROM teachers t WHERE t.id LIKE ")
            .bind(format!("{BENCH_ID_PREFIX}%"));
        q.execute(&mut tx).await?;
        tx.commit().await?;
        progress.inc(1);
    }
    progress.finish();
    let mut tx = db.begin().await?;
    let entry = audit::NewAudit {
        ip: Some("cli"),
        action: "bench.seed",
        target_type: "org",
        target_id: &city.id,
        detail: json!({ "teachers": teachers, "records_per_teacher": per_teacher, "year": year }),
        ..Default::default()
    };
    audit::insert(&mut tx, db.vault(), &entry).await?;
    tx.commit().await?;
    analyze(&db).await?;
    db.close().await;
    println!(
        "已生成 {teachers} 名教师、{} 条{year}年度学时记录，用时 {:.1} 秒",
        teachers * per_teacher,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(super) fn org(name: &str, kind: OrgKind, parent: &Org, serial: Option<u64>) -> Org {
    let id = new_id();
    let district_id = if kind == OrgKind::District {
        Some(id.clone())
    } else {
        parent.district_id.clone()
    };
    Org {
        id,
        name: name.to_owned(),
        kind,
        parent_id: Some(parent.id.clone()),
        district_id,
        ownership: serial.map(|s| {
            if s % 7 == 0 {
                Ownership::Private
            } else {
                Ownership::Public
            }
        }),
        school_type: serial.map(|s| {
            [
                SchoolType::Primary,
                SchoolType::Secondary,
                SchoolType::NineYear,
            ][(s % 3) as usize]
        }),
        city_affiliated: false,
        status: OrgStatus::Active,
        created_at: now_ms(),
    }
}

pub(super) async fn sqlx_count(c: &mut xueshi_store::Conn, q: &Sql) -> anyhow::Result<i64> {
    let row = q
        .fetch_optional(c)
        .await?
        .ok_or_else(|| anyhow::anyhow!("COUNT answered no row"))?;
    Ok(xueshi_store::Row::try_get(&row, "n")?)
}

/// Refreshes planner statistics after a bulk load, as an operator would.
pub(super) async fn analyze(db: &Db) -> anyhow::Result<()> {
    let mut c = db.pool().acquire().await?;
    Sql::new("ANALYZE").execute(&mut c).await?;
    Ok(())
}

/// Times the bare aggregate and the verification run over the same records, `runs` times.
pub async fn verify(config: Config, year: i32, runs: u32) -> anyhow::Result<()> {
    let db = crate::app::open_db(&config).await?;
    let ctx = Ctx::system(&db).await?;
    let mut q = Sql::new(
        "SELECT COUNT(*) AS n FROM (SELECT teacher_id, category, SUM(hours) AS h FROM records \
         WHERE status = ",
    );
    q.bind_code(RecordStatus::Approved)
        .push(" AND year = ")
        .bind(year as i64)
        .push(" GROUP BY teacher_id, category) x");
    let (mut bare, mut full) = (Vec::new(), Vec::new());
    let mut summary = None;
    for run in 1..=runs.max(1) {
        let started = Instant::now();
        let groups = {
            let mut c = db.pool().acquire().await?;
            sqlx_count(&mut c, &q).await?
        };
        bare.push(started.elapsed());
        let started = Instant::now();
        summary = Some(
            verification::run(&db, &ctx, year, |_, _| {})
                .await
                .map_err(crate::cli::cli_error)?,
        );
        full.push(started.elapsed());
        println!(
            "第{run}次：聚合查询 {:.2} 秒（{groups} 组），年度验证 {:.2} 秒",
            bare[bare.len() - 1].as_secs_f64(),
            full[full.len() - 1].as_secs_f64()
        );
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (b, f) = (median(&mut bare), median(&mut full));
    let s = summary.expect("at least one run");
    println!(
        "{:?} {year}年度：教师 {}，合格 {}；聚合查询中位数 {:.2} 秒，年度验证中位数 {:.2} 秒，比值 {:.2}",
        db.backend(),
        s.teachers,
        s.passed,
        b.as_secs_f64(),
        f.as_secs_f64(),
        f.as_secs_f64() / b.as_secs_f64()
    );
    db.close().await;
    Ok(())
}

/// Imports an XLSX of `rows` bench teachers into a new city training, end to end through
/// the same code as the upload endpoint (parse, check, write), twice: new, then updates.
pub async fn import(config: Config, rows: u64) -> anyhow::Result<()> {
    let db = crate::app::open_db(&config).await?;
    let ctx = Ctx::system(&db).await?;
    let mut c = db.pool().acquire().await?;
    let mut q = Sql::new("SELECT id, name, id_number FROM teachers WHERE id LIKE ");
    q.bind(format!("{BENCH_ID_PREFIX}%"))
        .push(" ORDER BY id LIMIT ")
        .bind(rows as i64);
    let found = q.fetch_all(&mut c).await?;
    drop(c);
    anyhow::ensure!(
        found.len() as u64 == rows,
        "只有 {} 名压测教师，请先运行 xueshi bench seed",
        found.len()
    );
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in trainings::SHEET_COLUMNS.iter().enumerate() {
        sheet.write_string(0, col as u16, *h)?;
    }
    for (i, row) in found.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, xueshi_store::Row::try_get::<String, _>(row, "name")?)?;
        let id: String = xueshi_store::Row::try_get(row, "id")?;
        let number: String = xueshi_store::Row::try_get(row, "id_number")?;
        sheet.write_string(
            r,
            1,
            sealed::open_field(db.vault(), &id, "id_number", &number)?,
        )?;
        sheet.write_number(r, 2, 6.5)?;
    }
    let bytes = book.save_to_buffer()?;
    let training = trainings::create(
        &db,
        &ctx,
        trainings::CreateTraining {
            title: format!("压测导入{}", new_id()),
            organizer_id: ctx.actor.org_id.clone(),
            level: OrgKind::City,
            category: xueshi_domain::Category::Professional,
            activity_type: xueshi_domain::ActivityType::TrainingCourse,
            start_date: "2099-06-01".into(),
            end_date: "2099-06-30".into(),
            hours: 8.0,
        },
    )
    .await
    .map_err(crate::cli::cli_error)?;
    for pass in ["新登记", "重复登记（全部更新）"] {
        let started = Instant::now();
        let parsed = sheet::read(
            &bytes,
            trainings::SHEET_COLUMNS,
            &trainings::SHEET_COLUMNS[..2],
        )
        .map_err(crate::cli::cli_error)?;
        let done = trainings::register(
            &db,
            &ctx,
            &training.id,
            trainings::from_sheet(parsed),
            false,
            "bench",
        )
        .await
        .map_err(crate::cli::cli_error)?
        .map_err(|p| anyhow::anyhow!("{} 行有误", p.len()))?;
        println!(
            "{:?} 导入 {rows} 行 XLSX（{} KB）{pass}：{:.2} 秒（新增 {}，更新 {}）",
            db.backend(),
            bytes.len() / 1024,
            started.elapsed().as_secs_f64(),
            done.registered,
            done.updated
        );
    }
    db.close().await;
    Ok(())
}
