use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, tree};

fn user(username: &str, role: &str, org: &str) -> serde_json::Value {
    json!({ "username": username, "password": PASSWORD, "role": role, "org_id": org })
}

#[tokio::test]
async fn admins_create_admins_inside_their_scope() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let created = app
        .post(
            "/users",
            &t.district_token,
            user("deputy", "school_admin", &t.school),
        )
        .await
        .expect(201);
    assert_eq!(created["role"], "school_admin");
    assert_eq!(created["org_id"], t.school.as_str());
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());
    app.login("deputy", PASSWORD).await;
    app.post(
        "/users",
        &t.school_token,
        user("deputy2", "school_admin", &t.school),
    )
    .await
    .expect(201);
    // A school admin sees their district but may not create its administrators.
    app.post(
        "/users",
        &t.school_token,
        user("boss", "district_admin", &t.district),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        "/users",
        &t.school_token,
        user("boss", "school_admin", &t.district),
    )
    .await
    .expect_error(403, "forbidden");
}

#[tokio::test]
async fn admins_outside_the_scope_are_refused() {
    let app = spawn_app().await;
    let a = tree(&app, "越秀").await;
    let b = tree(&app, "海珠").await;
    app.post(
        "/users",
        &a.district_token,
        user("intruder", "school_admin", &b.school),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        "/users",
        &a.school_token,
        user("intruder", "school_admin", &b.school),
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn teachers_and_providers_never_create_accounts() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    app.teacher(&t.school, "王老师", 3).await;
    let teacher_token = app.login(&crate::helpers::id_number(3), PASSWORD).await;
    app.post(
        "/users",
        &teacher_token,
        user("x", "school_admin", &t.school),
    )
    .await
    .expect_error(403, "forbidden");
}

#[tokio::test]
async fn the_role_must_fit_the_organisation() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let answer = app
        .post(
            "/users",
            &app.city_token,
            user("mismatch", "district_admin", &t.school),
        )
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "role");
    let teacher = app
        .post("/users", &app.city_token, user("t", "teacher", &t.school))
        .await
        .expect_error(422, "invalid");
    assert_eq!(teacher["error"]["details"][0]["field"], "role");
}

#[tokio::test]
async fn usernames_are_unique_and_passwords_long_enough() {
    let app = spawn_app().await;
    let t = tree(&app, "黄埔").await;
    app.post(
        "/users",
        &app.city_token,
        user("黄埔_school", "school_admin", &t.school),
    )
    .await
    .expect_error(409, "duplicate");
    let weak = json!({ "username": "weak", "password": "123", "role": "school_admin", "org_id": t.school });
    let answer = app
        .post("/users", &app.city_token, weak)
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "password");
}
