//! The store's own stories, on both backends: what a service writes it reads back typed
//! (domain enums, hours, flags), a stored value the domain does not know is `Corrupt`
//! rather than a guess, business dates keep the one spelling that text comparison orders,
//! and the queries that bind the domain's codes find what they should.

mod common;

use common::fixtures::{city_district_school, declaration, record, teacher};
use sqlx::Any;
use sqlx::pool::PoolConnection;
use xueshi_domain::{DeclarationStatus, Hours, OrgKind, RecordStatus, SchoolType, TeacherStatus};
use xueshi_store::StoreError;
use xueshi_store::repo::{declarations, orgs, records, teachers};

const ID_NUMBER: &str = "440106198001010011";

/// The city, its district and school, and the teacher `t` there.
async fn school_with_teacher() -> (common::TestDb, PoolConnection<Any>) {
    let test = common::open().await;
    let mut c = test.db.pool().acquire().await.unwrap();
    city_district_school(&mut c).await;
    teachers::insert(&mut c, &test.vault, &teacher("t", ID_NUMBER))
        .await
        .unwrap();
    (test, c)
}

#[tokio::test]
async fn what_is_written_reads_back_typed() {
    let (_test, mut c) = school_with_teacher().await;
    let school = orgs::get(&mut c, "s").await.unwrap().unwrap();
    assert_eq!(school.kind, OrgKind::School);
    assert!(!school.city_affiliated);
    assert_eq!(orgs::city(&mut c).await.unwrap().id, "c");
    let mut d = declaration("decl", "t", DeclarationStatus::Submitted);
    d.foreign_certificate = true;
    declarations::insert(&mut c, &d).await.unwrap();
    let read = declarations::get(&mut c, "decl").await.unwrap().unwrap();
    assert_eq!(read.status, DeclarationStatus::Submitted);
    assert_eq!(read.hours, Hours::from_whole(16));
    assert!(read.foreign_certificate && read.certificate_states_hours);
    assert_eq!(read.record_status, None);
    assert_eq!(read.teacher_name, "陈伟");
}

#[tokio::test]
async fn a_stored_code_the_domain_does_not_know_is_corrupt() {
    let test = common::open().await;
    let mut c = test.db.pool().acquire().await.unwrap();
    city_district_school(&mut c).await;
    sqlx::query("UPDATE orgs SET school_type = 'university' WHERE id = 's'")
        .execute(&mut *c)
        .await
        .unwrap();
    match orgs::get(&mut c, "s").await {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("school_type"), "{what}"),
        other => panic!("an unknown school type read as {other:?}"),
    }
    sqlx::query("UPDATE orgs SET school_type = $1 WHERE id = 's'")
        .bind(SchoolType::Primary.as_str())
        .execute(&mut *c)
        .await
        .unwrap();
    let school = orgs::get(&mut c, "s").await.unwrap().unwrap();
    assert_eq!(school.school_type, Some(SchoolType::Primary));
}

#[tokio::test]
async fn business_dates_are_stored_only_as_iso_text() {
    let test = common::open().await;
    let mut c = test.db.pool().acquire().await.unwrap();
    city_district_school(&mut c).await;
    let v = &test.vault;
    let mut t = teacher("t", ID_NUMBER);
    t.status = TeacherStatus::Departed;
    t.departed_on = Some("2030-3-5".into());
    assert!(
        teachers::insert(&mut c, v, &t).await.is_err(),
        "2030-3-5 sorts after 2030-12-31 as text"
    );
    t.departed_on = Some("2030-03-05".into());
    teachers::insert(&mut c, v, &t).await.unwrap();
    t.departed_on = Some("2030/03/06".into());
    assert!(teachers::update(&mut c, v, &t).await.is_err());

    let mut r = record("r", "t");
    r.end_date = Some("7 March 2030".into());
    assert!(records::insert(&mut c, &r).await.is_err());
    let mut d = declaration("decl", "t", DeclarationStatus::Draft);
    d.start_date = "20300401".into();
    assert!(declarations::insert(&mut c, &d).await.is_err());
}

#[tokio::test]
async fn hours_pending_are_those_of_declarations_under_review() {
    let (_test, mut c) = school_with_teacher().await;
    for (i, status) in DeclarationStatus::ALL.iter().enumerate() {
        declarations::insert(&mut c, &declaration(&format!("decl{i}"), "t", *status))
            .await
            .unwrap();
    }
    let pending = declarations::pending_tenths(&mut c, "t", 2030)
        .await
        .unwrap();
    // Submitted and school-approved: 16 hours each.
    assert_eq!(pending, Hours::from_whole(32).tenths());
    assert_eq!(DeclarationStatus::IN_REVIEW.len(), 2);
}

#[tokio::test]
async fn a_revoked_record_stays_revoked() {
    let (_test, mut c) = school_with_teacher().await;
    records::insert(&mut c, &record("r", "t")).await.unwrap();
    records::revoke(&mut c, "r", "u", "重复登记").await.unwrap();
    let r = records::get(&mut c, "r").await.unwrap().unwrap();
    assert_eq!(r.status, RecordStatus::Revoked);
    assert_eq!(r.revoke_reason.as_deref(), Some("重复登记"));
    assert!(matches!(
        records::revoke(&mut c, "r", "u", "again").await,
        Err(StoreError::NotFound)
    ));
}
