use reqwest::Method;
use serde_json::json;

use std::time::{Duration, Instant};

use xueshi_server::client_ip::ProxyList;

use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app, spawn_app_with, tree};

#[tokio::test]
async fn login_answers_a_token_and_me_the_user() {
    let app = spawn_app().await;
    let body = app.try_login("city", PASSWORD).await.expect(200);
    assert_eq!(body["user"]["role"], "city_admin");
    assert_eq!(body["user"]["teacher_id"], serde_json::Value::Null);
    let token = body["token"].as_str().unwrap();
    let me = app.api_get("/me", token).await.expect(200);
    assert_eq!(me["username"], "city");
    assert_eq!(me["org_id"], app.city_id.as_str());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let app = spawn_app().await;
    let wrong = app
        .try_login("city", "not-the-password")
        .await
        .expect_error(401, "unauthenticated");
    let unknown = app
        .try_login("nobody", "not-the-password")
        .await
        .expect_error(401, "unauthenticated");
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401() {
    let app = spawn_app().await;
    app.call(Method::GET, "/api/v1/me", None, None)
        .await
        .expect_error(401, "unauthenticated");
    app.api_get("/me", "forged-token")
        .await
        .expect_error(401, "unauthenticated");
    app.api_get("/orgs", "")
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let app = spawn_app().await;
    let token = app.login("city", PASSWORD).await;
    let answer = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(answer.status.as_u16(), 204);
    app.api_get("/me", &token)
        .await
        .expect_error(401, "unauthenticated");
    // Other sessions of the same user live on.
    app.api_get("/me", &app.city_token).await.expect(200);
}

#[tokio::test]
async fn five_failures_lock_a_username_even_for_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.try_login("city", "wrong-password")
            .await
            .expect_error(401, "unauthenticated");
    }
    app.try_login("city", "wrong-password")
        .await
        .expect_error(429, "rate_limited");
    app.try_login("city", PASSWORD)
        .await
        .expect_error(429, "rate_limited");
    // Sessions already open are not affected.
    app.api_get("/me", &app.city_token).await.expect(200);
}

#[tokio::test]
async fn unknown_usernames_are_throttled_exactly_like_known_ones() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.try_login("ghost", "wrong-password")
            .await
            .expect_error(401, "unauthenticated");
    }
    app.try_login("ghost", "wrong-password")
        .await
        .expect_error(429, "rate_limited");
}

#[tokio::test]
async fn many_failures_from_one_address_slow_it_but_never_lock_others_out() {
    let app = spawn_app_with(|c| c.login_delay_cap_ms = 40).await;
    for i in 0..60 {
        app.try_login(&format!("user{i}"), "wrong-password")
            .await
            .expect_error(401, "unauthenticated");
    }
    // Everyone behind that address (a school's NAT) still gets in, a little slower.
    let started = Instant::now();
    app.try_login("city", PASSWORD).await.expect(200);
    assert!(started.elapsed() >= Duration::from_millis(40));
}

#[tokio::test]
async fn the_lock_lasts_fifteen_minutes_from_the_fifth_failure() {
    let app = spawn_app().await;
    app.try_login("city", "wrong-password")
        .await
        .expect_error(401, "unauthenticated");
    app.clock.advance(Duration::from_secs(10 * 60));
    for _ in 0..4 {
        app.try_login("city", "wrong-password")
            .await
            .expect_error(401, "unauthenticated");
    }
    // The first failure leaves the window: the lock stays (it counts from the fifth).
    app.clock.advance(Duration::from_secs(6 * 60));
    let locked = app.try_login("city", PASSWORD).await;
    assert_eq!(locked.status, 429);
    app.clock.advance(Duration::from_secs(8 * 60));
    app.try_login("city", PASSWORD)
        .await
        .expect_error(429, "rate_limited");
    app.clock.advance(Duration::from_secs(61));
    app.try_login("city", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn failed_logins_and_lockouts_are_audited() {
    let app = spawn_app().await;
    for _ in 0..5 {
        app.try_login("city", "wrong-password").await;
    }
    app.try_login("nobody", "wrong-password").await;
    let me = app.api_get("/me", &app.city_token).await.expect(200);
    let actions = app.audit_actions(me["id"].as_str().unwrap()).await;
    let failed = actions.iter().filter(|a| *a == "auth.login_failed").count();
    assert_eq!(failed, 5, "{actions:?}");
    assert!(actions.contains(&"auth.locked".to_owned()), "{actions:?}");
    let unknown = app.audit_actions("nobody").await;
    assert_eq!(unknown, ["auth.login_failed"]);
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_as_far_as_trusted_proxies_wrote_it() {
    // Without trusted proxies, a client cannot choose its own address.
    let app = spawn_app().await;
    let forged = login_via(&app, "6.6.6.6").await;
    assert_eq!(forged, "127.0.0.1");

    // Behind a trusted proxy (127.0.0.1 here), the right-most hop it did not write.
    let app = spawn_app_with(|c| {
        c.trusted_proxies = ProxyList::parse("127.0.0.0/8").unwrap();
        c.login_delay_cap_ms = 10;
    })
    .await;
    assert_eq!(login_via(&app, "198.51.100.7").await, "198.51.100.7");
    assert_eq!(
        login_via(&app, "6.6.6.6, 198.51.100.7").await,
        "198.51.100.7"
    );
    // Random left-most values do not dodge the per-address count.
    for i in 0..15 {
        let body = json!({ "username": format!("ghost{i}"), "password": "wrong-password" });
        app.client
            .post(format!("{}/api/v1/auth/login", app.address))
            .header("x-forwarded-for", format!("10.9.{i}.1, 198.51.100.7"))
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    let started = Instant::now();
    login_via(&app, "1.1.1.1, 198.51.100.7").await;
    assert!(started.elapsed() >= Duration::from_millis(10));
}

/// Logs the city in with an `X-Forwarded-For` header; answers the address the audit recorded.
async fn login_via(app: &TestApp, forwarded_for: &str) -> String {
    let body = json!({ "username": "city", "password": PASSWORD });
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .header("x-forwarded-for", forwarded_for)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let user: serde_json::Value = resp.json().await.unwrap();
    let id = user["user"]["id"].as_str().unwrap();
    let page = app
        .api_get(&format!("/audit?target_id={id}&limit=200"), &app.city_token)
        .await
        .expect(200);
    // Newest first.
    let logins: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "auth.login")
        .collect();
    logins.first().unwrap()["ip"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_teacher_logs_in_with_their_id_number_in_either_case() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    // Find an ID number ending in X to check case folding.
    let n = (0..200).find(|n| id_number(*n).ends_with('X')).unwrap();
    let body = json!({ "name": "陈伟", "id_number": id_number(n), "school_id": t.school, "password": PASSWORD });
    let teacher = app
        .post("/teachers", &app.city_token, body)
        .await
        .expect(201);
    let lower = id_number(n).to_lowercase();
    let login = app.try_login(&lower, PASSWORD).await.expect(200);
    assert_eq!(login["user"]["role"], "teacher");
    assert_eq!(login["user"]["teacher_id"], teacher["id"]);
}

#[tokio::test]
async fn a_departed_teacher_cannot_log_in_and_their_sessions_end() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let teacher = app.teacher(&t.school, "李芳", 7).await;
    let token = app.login(&id_number(7), PASSWORD).await;
    app.patch(
        &format!("/teachers/{teacher}"),
        &t.school_token,
        json!({ "status": "departed" }),
    )
    .await
    .expect(200);
    app.api_get("/me", &token)
        .await
        .expect_error(401, "unauthenticated");
    app.try_login(&id_number(7), PASSWORD)
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn staff_of_an_archived_school_cannot_log_in() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    app.patch(
        &format!("/orgs/{}", t.school),
        &t.district_token,
        json!({ "status": "archived" }),
    )
    .await
    .expect(200);
    app.api_get("/me", &t.school_token)
        .await
        .expect_error(401, "unauthenticated");
    app.try_login("荔湾_school", PASSWORD)
        .await
        .expect_error(401, "unauthenticated");
    // Reactivated, the school's staff are back.
    app.patch(
        &format!("/orgs/{}", t.school),
        &t.district_token,
        json!({ "status": "active" }),
    )
    .await
    .expect(200);
    app.try_login("荔湾_school", PASSWORD).await.expect(200);
}

#[tokio::test]
async fn logins_are_audited_without_the_password() {
    let app = spawn_app().await;
    let body = app.try_login("city", PASSWORD).await.expect(200);
    let user_id = body["user"]["id"].as_str().unwrap();
    let audit = app
        .api_get(&format!("/audit?target_id={user_id}"), &app.city_token)
        .await
        .expect(200);
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "auth.login");
    assert_eq!(entry["ip"], "127.0.0.1");
    assert!(!audit.to_string().contains(PASSWORD));
}
