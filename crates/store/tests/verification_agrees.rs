//! The set-based verification agrees with the domain's rule. Random ledgers — categories,
//! activity types under caps, revoked records, carry-over with and without a cap, teachers
//! registered late, departed during or before a year, moved between schools — are verified
//! over three chained years by `repo::verification::run_year`, and every stored result must
//! equal what `domain::cohort::is_verified`, `ledger::year_totals` and `ledger::evaluate`
//! make of that teacher's records (the carry-in being the domain's own carry-out of the year
//! before). `XUESHI_VERIFICATION_CASES` sets the number of ledgers (default 256 on SQLite, 64
//! on PostgreSQL, where each costs ~0.6 s).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlx::Executor;
use time::{Date, Duration, Month};
use xueshi_domain::ledger::{RecordLine, evaluate, year_totals};
use xueshi_domain::policy::{CarryOver, Deadlines, Minimums};
use xueshi_domain::{
    ActivityType, Category, Hours, OrgKind, OrgStatus, Policy, RecordStatus, SHANGHAI, Source,
    TeacherStatus, cohort,
};
use xueshi_store::models::{Org, Record, Teacher};
use xueshi_store::repo::{orgs, records, teachers, verification};

const FIRST_YEAR: i32 = 2030;
/// Records are of the first few activity types, so that the caps drawn on them bite.
const ACTIVITIES: usize = 4;
const YEARS: i32 = 3;

#[derive(Clone, Debug)]
struct PolicyDraw {
    minimums: [i64; 4],
    caps: Vec<(usize, i64)>,
    carry_enabled: bool,
    carry_cap: Option<i64>,
}

#[derive(Clone, Debug)]
struct RecordDraw {
    year: i32,
    category: usize,
    activity: usize,
    tenths: i64,
    revoked: bool,
}

#[derive(Clone, Debug)]
struct TeacherDraw {
    school: usize,
    /// Days after 1 January of the year before the first.
    registered: i64,
    /// Days after the same day, when departed.
    departed: Option<i64>,
    records: Vec<RecordDraw>,
}

#[derive(Clone, Debug)]
struct World {
    policies: Vec<PolicyDraw>,
    teachers: Vec<TeacherDraw>,
}

fn policy_draw() -> impl Strategy<Value = PolicyDraw> {
    (
        [0..=300i64, 0..=600i64, 0..=200i64, 0..=1200i64],
        prop::collection::vec((0..ACTIVITIES, 1..=300i64), 0..3),
        any::<bool>(),
        prop::option::of(1..=200i64),
    )
        .prop_map(|(minimums, caps, carry_enabled, carry_cap)| PolicyDraw {
            minimums,
            caps,
            carry_enabled,
            carry_cap,
        })
}

fn record_draw() -> impl Strategy<Value = RecordDraw> {
    (
        0..YEARS,
        0..3usize,
        0..ACTIVITIES,
        1..=400i64,
        prop::bool::weighted(0.15),
    )
        .prop_map(|(year, category, activity, tenths, revoked)| RecordDraw {
            year: FIRST_YEAR + year,
            category,
            activity,
            tenths,
            revoked,
        })
}

/// A day from the epoch, often one either side of a new year (where the cohort rule turns).
fn day_draw() -> impl Strategy<Value = i64> {
    let span = 365 * (YEARS as i64 + 2);
    let new_years: Vec<i64> = (1..=YEARS as i64 + 1)
        .map(|y| (epoch().replace_year(epoch().year() + y as i32).unwrap() - epoch()).whole_days())
        .collect();
    prop_oneof![
        2 => 0..span,
        1 => prop::sample::select(new_years.clone()),
        1 => prop::sample::select(new_years).prop_map(|d| d - 1),
    ]
}

fn teacher_draw() -> impl Strategy<Value = TeacherDraw> {
    (
        0..2usize,
        day_draw(),
        prop::option::weighted(0.25, day_draw()),
        prop::collection::vec(record_draw(), 0..10),
    )
        .prop_map(|(school, registered, departed, records)| TeacherDraw {
            school,
            registered,
            departed,
            records,
        })
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(policy_draw(), YEARS as usize),
        prop::collection::vec(teacher_draw(), 1..10),
    )
        .prop_map(|(policies, teachers)| World { policies, teachers })
}

fn epoch() -> Date {
    Date::from_calendar_date(FIRST_YEAR - 1, Month::January, 1).unwrap()
}

fn policy(year: i32, d: &PolicyDraw) -> Policy {
    let h = Hours::from_tenths;
    let mut caps = BTreeMap::new();
    for (activity, cap) in &d.caps {
        caps.insert(ActivityType::ALL[*activity], h(*cap));
    }
    let day = |m, d| Date::from_calendar_date(year + 1, m, d).unwrap();
    Policy {
        year,
        minimums: Minimums {
            public: h(d.minimums[0]),
            professional: h(d.minimums[1]),
            elective: h(d.minimums[2]),
            total: h(d.minimums[3]),
        },
        deadlines: Deadlines {
            declaration: day(Month::January, 5),
            registration: day(Month::January, 5),
            school_review: day(Month::January, 10),
            district_review: day(Month::January, 15),
        },
        carry_over: CarryOver {
            enabled: d.carry_enabled,
            cap: d.carry_cap.map(h),
        },
        activity_caps: caps,
    }
}

const CATEGORIES: [Category; 3] = [Category::Public, Category::Professional, Category::Elective];

/// The source a record of the category could have (public hours come from public courses).
fn source(category: Category) -> Source {
    match category {
        Category::Public => Source::PublicCourse,
        _ => Source::Organizer,
    }
}

struct Shared {
    runtime: tokio::runtime::Runtime,
    test: common::TestDb,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let test = runtime.block_on(common::open());
        Shared { runtime, test }
    })
}

/// Stores `world`, runs the three years and compares every result with the domain's.
async fn check(world: &World) -> Result<(), TestCaseError> {
    let db = &shared().test.db;
    let vault = &shared().test.vault;
    let mut tx = db.begin().await.unwrap();
    for table in ["verification_results", "records", "teachers", "orgs"] {
        (&mut *tx)
            .execute(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .await
            .unwrap();
    }
    let org = |id: &str, kind, parent: Option<&str>| Org {
        id: id.into(),
        name: id.into(),
        kind,
        parent_id: parent.map(Into::into),
        district_id: (kind != OrgKind::City).then(|| "district".into()),
        ownership: None,
        school_type: None,
        city_affiliated: false,
        status: OrgStatus::Active,
        created_at: 0,
    };
    orgs::insert(&mut tx, &org("city", OrgKind::City, None))
        .await
        .unwrap();
    orgs::insert(&mut tx, &org("district", OrgKind::District, Some("city")))
        .await
        .unwrap();
    for school in ["school-0", "school-1"] {
        orgs::insert(&mut tx, &org(school, OrgKind::School, Some("district")))
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for (n, t) in world.teachers.iter().enumerate() {
        let id = uuid::Uuid::now_v7().to_string();
        let registered = epoch() + Duration::days(t.registered);
        let created_at = registered
            .with_hms(12, 0, 0)
            .unwrap()
            .assume_offset(SHANGHAI)
            .unix_timestamp()
            * 1000;
        let teacher = Teacher {
            id: id.clone(),
            name: format!("教师{n}"),
            id_number: format!("4401061980010{n:05}"),
            school_id: format!("school-{}", t.school),
            phone: None,
            status: if t.departed.is_some() {
                TeacherStatus::Departed
            } else {
                TeacherStatus::Active
            },
            departed_on: t
                .departed
                .map(|d| (epoch() + Duration::days(d)).to_string()),
            created_at,
            user_id: None,
        };
        teachers::insert(&mut tx, vault, &teacher).await.unwrap();
        for (k, r) in t.records.iter().enumerate() {
            let category = CATEGORIES[r.category];
            let record = Record {
                id: format!("{id}-{k}"),
                teacher_id: id.clone(),
                year: r.year,
                category,
                activity_type: ActivityType::ALL[r.activity],
                title: format!("学习{k}"),
                hours: Hours::from_tenths(r.tenths),
                source: source(category),
                status: if r.revoked {
                    RecordStatus::Revoked
                } else {
                    RecordStatus::Approved
                },
                course_id: None,
                training_id: None,
                declaration_id: None,
                start_date: None,
                end_date: None,
                created_by: None,
                created_at,
                revoke_reason: None,
            };
            records::insert(&mut tx, &record).await.unwrap();
        }
        ids.push(id);
    }
    tx.commit().await.unwrap();

    // The domain's carry-out of the year before, per teacher.
    let mut carried: HashMap<usize, Hours> = HashMap::new();
    for (offset, draw) in world.policies.iter().enumerate() {
        let year = FIRST_YEAR + offset as i32;
        let policy = policy(year, draw);
        let mut tx = db.begin().await.unwrap();
        verification::run_year(&mut tx, &policy).await.unwrap();
        tx.commit().await.unwrap();
        let mut c = db.pool().acquire().await.unwrap();
        let mut next_carried = HashMap::new();
        for (n, t) in world.teachers.iter().enumerate() {
            let mut lines: Vec<RecordLine> = t
                .records
                .iter()
                .filter(|r| r.year == year && !r.revoked)
                .map(|r| RecordLine {
                    category: CATEGORIES[r.category],
                    activity_type: ActivityType::ALL[r.activity],
                    source: source(CATEGORIES[r.category]),
                    hours: Hours::from_tenths(r.tenths),
                })
                .collect();
            let carried_in = carried.get(&n).copied().unwrap_or(Hours::ZERO);
            if carried_in > Hours::ZERO {
                lines.push(RecordLine {
                    category: Category::Professional,
                    activity_type: ActivityType::Other,
                    source: Source::CarryOver,
                    hours: carried_in,
                });
            }
            let (status, departed_on) = match t.departed {
                Some(d) => (TeacherStatus::Departed, Some(epoch() + Duration::days(d))),
                None => (TeacherStatus::Active, None),
            };
            let verified = cohort::is_verified(
                year,
                status,
                departed_on,
                epoch() + Duration::days(t.registered),
                !lines.is_empty(),
            );
            let stored = verification::get(&mut c, year, &ids[n]).await.unwrap();
            let Some(stored) = stored else {
                prop_assert!(!verified, "teacher {n} of {year} is of the cohort: {t:?}");
                continue;
            };
            prop_assert!(
                verified,
                "teacher {n} of {year} is not of the cohort: {t:?}"
            );
            let expected = evaluate(&year_totals(&lines, &policy), &policy);
            let got = (
                stored.public,
                stored.professional,
                stored.elective,
                stored.carried_in,
                stored.total,
                stored.passed,
                stored.carry_out,
            );
            let want = (
                expected.public,
                expected.professional,
                expected.elective,
                expected.carried_in,
                expected.total,
                expected.passed,
                expected.carry_out,
            );
            prop_assert_eq!(
                got,
                want,
                "teacher {} of {}: {:?}, {:?}",
                n,
                year,
                t,
                policy
            );
            prop_assert_eq!(&stored.school_id, &format!("school-{}", t.school));
            next_carried.insert(n, expected.carry_out);
        }
        carried = next_carried;
    }
    Ok(())
}

fn postgres() -> bool {
    std::env::var("XUESHI_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

#[test]
fn every_stored_result_equals_the_domains_ledger() {
    let cases = std::env::var("XUESHI_VERIFICATION_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if postgres() { 64 } else { 256 });
    let mut runner = TestRunner::new(Config {
        cases,
        // A failing ledger is shrunk, but each try is a database round: keep it short.
        max_shrink_iters: 64,
        ..Config::default()
    });
    let shared = shared();
    let result = runner.run(&world(), |w| shared.runtime.block_on(check(&w)));
    if let Err(e) = result {
        panic!("{e}");
    }
}
