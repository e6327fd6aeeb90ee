//! `xueshi bench seed-declarations`: one district with a deep second-level review queue and
//! logged-in teachers and reviewers, for the load test of declarations and review
//! (scripts/bench/declarations.mjs; figures in docs/benchmarks.md).

use std::path::Path;
use std::time::Instant;
use xueshi_store::sealed;

use serde_json::json;
use time::{Duration, OffsetDateTime};
use xueshi_domain::{
    ActivityType, Category, Deadlines, Decision, DeclarationStatus, OrgKind, Policy, ReviewLevel,
    Role, TeacherStatus,
};
use xueshi_store::models::User;
use xueshi_store::repo::sql::Sql;
use xueshi_store::repo::{audit, orgs, policies, sessions, users};
use xueshi_store::{Db, now_ms};

use super::bench::{analyze, bar, bench_id_number, org, sqlx_count};
use crate::auth::sessions::{new_token, token_hash};
use crate::config::Config;
use crate::services::new_id;

/// Teachers of this bench have ids of this form (apart from `bench seed`'s).
const PREFIX: &str = "00000000-0000-7000-9000-";
/// Their ID numbers follow `bench seed`'s million.
const ID_NUMBER_OFFSET: u64 = 12_000_000;
/// Pending declarations per teacher.
const PER_TEACHER: u64 = 5;
const TEACHERS_PER_SCHOOL: u64 = 200;
/// The password of every bench login, for trying the queue in a browser.
pub const PASSWORD: &str = "xueshi-bench";

/// What the load script needs: where, and the bearer tokens to act with.
#[derive(serde::Serialize)]
struct Logins {
    year: i32,
    district_id: String,
    district_username: String,
    district_token: String,
    teacher_tokens: Vec<String>,
    /// The teacher each token is for, in the same order.
    teacher_ids: Vec<String>,
    pending: u64,
}

pub async fn seed(config: Config, pending: u64, submitters: u64, out: &Path) -> anyhow::Result<()> {
    let teachers = pending.div_ceil(PER_TEACHER);
    anyhow::ensure!(
        pending > 0 && teachers <= 1_000_000 && (1..=teachers).contains(&submitters),
        "待审申报数须在1到500万之间，提交教师数须在1到教师数（待审数÷{PER_TEACHER}）之间"
    );
    let db = crate::app::open_db(&config).await?;
    let started = Instant::now();
    let year = open_year(&db).await?;
    let now = now_ms();
    let password_hash = crate::auth::password::hash(PASSWORD)
        .await
        .map_err(super::cli_error)?;

    let mut tx = db.begin().await?;
    let mut q = Sql::new("SELECT COUNT(*) AS n FROM teachers WHERE id LIKE ");
    q.bind(format!("{PREFIX}%"));
    let existing = sqlx_count(&mut tx, &q).await?;
    anyhow::ensure!(
        existing == 0,
        "数据库中已有审核压测数据（{existing} 名教师），请使用新的数据目录或数据库"
    );
    let city = orgs::city(&mut tx).await?;
    let district = org("压测审核区", OrgKind::District, &city, None);
    orgs::insert(&mut tx, &district).await?;
    let district_user = staff(
        format!("bench_district_{}", &district.id[district.id.len() - 6..]),
        &password_hash,
        Role::DistrictAdmin,
        &district.id,
    );
    users::insert(&mut tx, &district_user).await?;
    let mut schools = Vec::new();
    for s in 0..teachers.div_ceil(TEACHERS_PER_SCHOOL) {
        let school = org(
            &format!("压测审核区第{s}学校"),
            OrgKind::School,
            &district,
            Some(s),
        );
        orgs::insert(&mut tx, &school).await?;
        let admin = staff(
            format!("bench_school_{}", &school.id[school.id.len() - 8..]),
            &password_hash,
            Role::SchoolAdmin,
            &school.id,
        );
        users::insert(&mut tx, &admin).await?;
        schools.push(school.id);
    }
    tx.commit().await?;

    let progress = bar(teachers, "教师及其待复审申报");
    let mut n = 0;
    while n < teachers {
        let end = (n + 500).min(teachers);
        let mut tx = db.begin().await?;
        insert_teachers(&mut tx, db.vault(), n..end, &schools, &password_hash, now).await?;
        insert_pending(&mut tx, n..end, year, now).await?;
        tx.commit().await?;
        progress.inc(end - n);
        n = end;
    }
    progress.finish();

    let expires = now + 7 * 24 * 3600 * 1000;
    let mut tx = db.begin().await?;
    let district_token = new_token();
    sessions::insert(
        &mut tx,
        &sessions::NewSession {
            token_hash: &token_hash(&district_token),
            user_id: &district_user.id,
            kind: "bearer",
            now,
            expires_at: expires,
            next_step: None,
        },
    )
    .await?;
    let mut teacher_tokens = Vec::new();
    for i in 0..submitters {
        let token = new_token();
        sessions::insert(
            &mut tx,
            &sessions::NewSession {
                token_hash: &token_hash(&token),
                user_id: &user_id(i),
                kind: "bearer",
                now,
                expires_at: expires,
                next_step: None,
            },
        )
        .await?;
        teacher_tokens.push(token);
    }
    let entry = audit::NewAudit {
        ip: Some("cli"),
        action: "bench.seed_declarations",
        target_type: "org",
        target_id: &district.id,
        detail: json!({ "pending": pending, "teachers": teachers, "year": year }),
        ..Default::default()
    };
    audit::insert(&mut tx, db.vault(), &entry).await?;
    tx.commit().await?;
    analyze(&db).await?;
    db.close().await;

    let logins = Logins {
        year,
        district_id: district.id,
        district_username: district_user.username,
        district_token,
        teacher_ids: (0..submitters).map(teacher_id).collect(),
        teacher_tokens,
        pending,
    };
    write_secret(out, &serde_json::to_vec_pretty(&logins)?)?;
    println!(
        "已生成 {teachers} 名教师、{pending} 项{year}年度待区复审申报及 {submitters} 名已登录教师，\
         用时 {:.1} 秒；登录令牌写入 {}（请勿外传）",
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

fn teacher_id(n: u64) -> String {
    format!("{PREFIX}{n:012}")
}

/// The login of teacher `n`, known without a lookup so sessions can be written for it.
fn user_id(n: u64) -> String {
    format!("00000000-0000-7000-a000-{n:012}")
}

fn staff(username: String, password_hash: &str, role: Role, org_id: &str) -> User {
    User {
        id: new_id(),
        login: username.clone(),
        username,
        password_hash: password_hash.to_owned(),
        role,
        org_id: org_id.to_owned(),
        teacher_id: None,
        created_at: now_ms(),
        must_change_password: false,
    }
}

/// The current credit year, with a policy whose deadlines are still ahead (moved later if
/// the bench runs after them), so that submissions and reviews are accepted.
async fn open_year(db: &Db) -> anyhow::Result<i32> {
    let today = OffsetDateTime::now_utc()
        .to_offset(xueshi_domain::SHANGHAI)
        .date();
    let year = today.year();
    let mut tx = db.begin().await?;
    let mut policy = policies::get(&mut tx, year).await?.unwrap_or(Policy {
        year,
        ..Policy::guangzhou_2021()
    });
    let year_end = time::Date::from_calendar_date(year, time::Month::December, 31)?;
    let declaration = year_end.max(today + Duration::days(7));
    policy.deadlines = Deadlines {
        declaration,
        registration: declaration,
        school_review: declaration + Duration::days(10),
        district_review: declaration + Duration::days(20),
    };
    policies::upsert(&mut tx, &policy).await?;
    tx.commit().await?;
    Ok(year)
}

/// Teachers `range` with their logins (username = ID number, as teachers log in).
async fn insert_teachers(
    c: &mut xueshi_store::Conn,
    v: &xueshi_store::Vault,
    range: std::ops::Range<u64>,
    schools: &[String],
    password_hash: &str,
    now: i64,
) -> anyhow::Result<()> {
    let mut teachers = Sql::new(
        "INSERT INTO teachers (id, name, id_number, id_number_index, school_id, status, created_at, \
         updated_at) VALUES ",
    );
    let mut users = Sql::new(
        "INSERT INTO users (id, username, password_hash, role, org_id, teacher_id, created_at) VALUES ",
    );
    for (k, i) in range.enumerate() {
        let school = &schools[(i / TEACHERS_PER_SCHOOL) as usize];
        let id_number = bench_id_number(ID_NUMBER_OFFSET + i, "440106");
        let sep = if k == 0 { "(" } else { ", (" };
        teachers.push(sep).bind(teacher_id(i)).push(", ");
        teachers.bind(format!("审核压测教师{i}")).push(", ");
        teachers.bind(sealed::seal_field(
            v,
            &teacher_id(i),
            "id_number",
            &id_number,
        ));
        teachers
            .push(", ")
            .bind(sealed::id_number_index(v, &id_number))
            .push(", ");
        teachers.bind(school.as_str()).push(", ");
        teachers.bind_code(TeacherStatus::Active).push(", ");
        teachers.bind(now).push(", ").bind(now).push(")");
        users.push(sep).bind(user_id(i)).push(", ");
        users.bind(sealed::login_key(v, &id_number));
        users.push(", ").bind(password_hash).push(", ");
        users.bind_code(Role::Teacher).push(", ");
        users.bind(school.as_str()).push(", ").bind(teacher_id(i));
        users.push(", ").bind(now).push(")");
    }
    teachers.execute(c).await?;
    users.execute(c).await?;
    Ok(())
}

/// Each teacher's declarations, approved by the school and waiting for the district, each
/// with its certificate and the school's review in its history.
async fn insert_pending(
    c: &mut xueshi_store::Conn,
    range: std::ops::Range<u64>,
    year: i32,
    now: i64,
) -> anyhow::Result<()> {
    let teachers = |q: &mut Sql| {
        q.push(" FROM teachers t JOIN orgs s ON s.id = t.school_id CROSS JOIN (VALUES (1), (2), (3), (4), (5)) k WHERE t.id >= ")
            .bind(teacher_id(range.start))
            .push(" AND t.id < ")
            .bind(teacher_id(range.end));
    };
    // The key of declaration (teacher n, k), also its evidence's and review's.
    const KEY: &str = "substr(t.id, 25) || '-' || CAST(k.column1 AS TEXT)";
    let mut q = Sql::new(
        "INSERT INTO declarations (id, teacher_id, school_id, district_id, city_affiliated, year, \
         category, activity_type, title, title_normalized, organizer, start_date, end_date, hours, \
         status, foreign_certificate, certificate_states_hours, submitted_at, queued_at, \
         created_at, updated_at) SELECT ",
    );
    q.push(&format!(
        "'bench-decl-' || {KEY}, t.id, t.school_id, s.district_id, 0, "
    ))
    .bind(year as i64);
    q.push(", ")
        .bind_code(Category::Professional)
        .push(", ")
        .bind_code(ActivityType::TrainingCourse);
    q.push(&format!(
        ", '审核压测培训' || {KEY}, '审核压测培训' || {KEY}, '压测主办单位', "
    ));
    q.bind(format!("{year}-03-01"))
        .push(", ")
        .bind(format!("{year}-03-02"));
    q.push(", 80, ")
        .bind_code(DeclarationStatus::SchoolApproved)
        .push(", 0, 1, ");
    // Queued over the last few days, teacher by teacher; each one's five a minute apart.
    let queued = format!("{now} - CAST(substr(t.id, 25) AS BIGINT) * 20000 - k.column1 * 60000");
    q.push(&format!("{queued}, {queued}, {queued}, {queued}"));
    teachers(&mut q);
    q.execute(c).await?;

    let mut q = Sql::new(
        "INSERT INTO evidence (id, declaration_id, kind, sha256, phash, phash_checked_at, size, \
         content_type, storage_key, created_at) SELECT ",
    );
    q.push(&format!(
        "'bench-evid-' || {KEY}, 'bench-decl-' || {KEY}, 'certificate', \
         'bench-sha256-' || {KEY}, NULL, "
    ))
    .bind(now)
    .push(&format!(", 300000, 'application/pdf', 'bench/' || {KEY}, "))
    .bind(now);
    teachers(&mut q);
    q.execute(c).await?;

    let mut q = Sql::new(
        "INSERT INTO reviews (id, declaration_id, level, decision, hours, reviewer_id, at) SELECT ",
    );
    q.push(&format!("'bench-rev-' || {KEY}, 'bench-decl-' || {KEY}, "))
        .bind_code(ReviewLevel::School)
        .push(", ")
        .bind_code(Decision::Approve)
        .push(", NULL, (SELECT MIN(u.id) FROM users u WHERE u.org_id = t.school_id AND u.role = ")
        .bind_code(Role::SchoolAdmin)
        .push("), ")
        .bind(now);
    teachers(&mut q);
    q.execute(c).await?;
    Ok(())
}

/// Writes a file only its owner may read (it holds login tokens).
fn write_secret(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)?;
    Ok(())
}

/// A phone photo of a certificate as teachers send it: paper with grain, lines of dark
/// strokes, a red seal; about 300 KB of JPEG.
pub fn sample_scan() -> anyhow::Result<Vec<u8>> {
    use image::{Rgb, RgbImage};
    let (w, h) = (1600u32, 1130u32);
    let mut seed = 0x2021_u32;
    let mut noise = move || {
        // xorshift: grain that JPEG cannot compress away, as in a real photo.
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let img = RgbImage::from_fn(w, h, |x, y| {
        let grain = (noise() % 24) as u8;
        let (dx, dy) = (x as i32 - 1250, y as i32 - 850);
        let in_line = (150..1450).contains(&x) && y > 200 && y < 760 && y % 70 < 28;
        if (dx * dx + dy * dy) < 120 * 120 && (dx * dx + dy * dy) > 100 * 100 {
            Rgb([190 + grain / 2, 30, 30])
        } else if in_line && (x / 9 + y / 7) % 5 != 0 {
            Rgb([40 + grain, 40 + grain, 45 + grain])
        } else {
            Rgb([228 + grain, 224 + grain, 212 + grain])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75).encode_image(&img)?;
    Ok(out.into_inner())
}
