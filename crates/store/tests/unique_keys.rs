//! A unique violation names its constraint alike on SQLite and PostgreSQL, so that each
//! service answers for its own (an ID number already registered, a username taken) and no
//! other is mistaken for it.

mod common;

use common::fixtures::{course, org, teacher, user};
use xueshi_domain::{Category, OrgKind};
use xueshi_store::models::Course;
use xueshi_store::repo::{courses, orgs, teachers, users};
use xueshi_store::{StoreError, UniqueKey};

fn key<T: std::fmt::Debug>(result: Result<T, StoreError>) -> UniqueKey {
    match result {
        Err(StoreError::Unique(key)) => key,
        other => panic!("not a unique violation: {other:?}"),
    }
}

#[tokio::test]
async fn each_unique_violation_is_named_for_its_constraint() {
    let test = common::open().await;
    let v = &test.vault;
    let mut c = test.db.pool().acquire().await.unwrap();
    orgs::insert(&mut c, &org("c", "广州市", OrgKind::City, None))
        .await
        .unwrap();
    orgs::insert(&mut c, &org("d", "天河区", OrgKind::District, Some("c")))
        .await
        .unwrap();
    orgs::insert(&mut c, &org("s", "天河小学", OrgKind::School, Some("d")))
        .await
        .unwrap();
    let twin = orgs::insert(&mut c, &org("s2", "天河小学", OrgKind::School, Some("d"))).await;
    assert_eq!(key(twin), UniqueKey::OrgSiblingName);

    teachers::insert(&mut c, v, &teacher("t1", "440106198001010011"))
        .await
        .unwrap();
    let again = teachers::insert(&mut c, v, &teacher("t2", "440106198001010011")).await;
    assert_eq!(key(again), UniqueKey::TeacherIdNumber);

    users::insert(&mut c, &user("u1", "tianhe_admin"))
        .await
        .unwrap();
    let taken = users::insert(&mut c, &user("u2", "tianhe_admin")).await;
    assert_eq!(key(taken), UniqueKey::Username);

    courses::insert(&mut c, &course("k1"), Some("心理健康教育"))
        .await
        .unwrap();
    let copy = courses::insert(&mut c, &course("k2"), Some("心理健康教育")).await;
    assert_eq!(key(copy), UniqueKey::PublicTopic);
    // A course of another category has no topic, and any number may share a title.
    let elective = Course {
        category: Category::Elective,
        ..course("k3")
    };
    courses::insert(&mut c, &elective, None).await.unwrap();
    courses::insert(
        &mut c,
        &Course {
            id: "k4".into(),
            ..elective
        },
        None,
    )
    .await
    .unwrap();
}
