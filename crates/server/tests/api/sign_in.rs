//! The sign-in steps (API.md): a second factor for every role but teacher, passwords someone
//! else chose changed first, and the pending tokens in between.

use std::time::Duration;

use serde_json::{Value, json};
use xueshi_server::auth::totp::code_at;
use xueshi_server::config::AdminMfa;

use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app, spawn_app_with, tree};

async fn mfa_app() -> TestApp {
    spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await
}

/// A new district administrator, created by the city (not yet logged in), whose password
/// is settled; answers their user id.
async fn district_admin(app: &TestApp, username: &str) -> String {
    let user = new_district_admin(app, username).await;
    app.settle_password(username).await;
    user
}

async fn new_district_admin(app: &TestApp, username: &str) -> String {
    let district = app.district(&format!("{username}区")).await;
    let body = json!({ "username": username, "password": PASSWORD,
        "role": "district_admin", "org_id": district });
    let user = app.post("/users", &app.city_token, body).await.expect(201);
    user["id"].as_str().unwrap().to_owned()
}

fn token(answer: &Value) -> &str {
    answer["token"].as_str().unwrap()
}

#[tokio::test]
async fn an_administrator_needs_a_second_factor_and_a_pending_token_opens_nothing_else() {
    let app = mfa_app().await;
    district_admin(&app, "tianhe_admin").await;
    let pending = app.login_as_is("tianhe_admin", PASSWORD).await.expect(200);
    assert_eq!(pending["next"], "mfa_enroll");
    let pending_token = token(&pending);
    let refused = app
        .api_get("/orgs", pending_token)
        .await
        .expect_error(403, "step_required");
    assert_eq!(refused["error"]["details"]["next"], "mfa_enroll");
    app.api_get("/me", pending_token).await.expect(200);

    let enrolment = app
        .post("/auth/mfa/enroll", pending_token, json!({}))
        .await
        .expect(200);
    let secret = enrolment["secret"].as_str().unwrap();
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/") && uri.contains(secret),
        "{uri}"
    );
    app.post(
        "/auth/mfa/verify",
        pending_token,
        json!({ "code": "000000" }),
    )
    .await
    .expect_error(401, "unauthenticated");
    let code = code_at(secret, app.clock.now_ms()).unwrap();
    let done = app
        .post("/auth/mfa/verify", pending_token, json!({ "code": code }))
        .await
        .expect(200);
    assert_eq!(done["next"], Value::Null);
    assert_eq!(done["recovery_codes"].as_array().unwrap().len(), 10);
    // The pending token is dead; the new one opens everything the role may do.
    app.api_get("/me", pending_token)
        .await
        .expect_error(401, "unauthenticated");
    app.api_get("/orgs", token(&done)).await.expect(200);
    let me = app.api_get("/me", token(&done)).await.expect(200);
    let actions = app.audit_actions(me["id"].as_str().unwrap()).await;
    assert!(
        actions.contains(&"auth.mfa_verified".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_teacher_signs_in_with_a_password_alone() {
    let app = mfa_app().await;
    let t = tree(&app, "白云").await;
    app.teacher(&t.school, "陈伟", 1).await;
    app.settle_password(&id_number(1)).await;
    let login = app.login_as_is(&id_number(1), PASSWORD).await.expect(200);
    assert_eq!(login["next"], Value::Null);
}

#[tokio::test]
async fn each_code_is_accepted_once_within_one_step_of_drift() {
    let app = mfa_app().await;
    district_admin(&app, "liwan_admin").await;
    let full = app.try_login("liwan_admin", PASSWORD).await.expect(200);
    assert_eq!(full["next"], Value::Null);
    let secret = app.authenticators.lock().unwrap()["liwan_admin"].0.clone();
    let used = code_at(&secret, app.clock.now_ms()).unwrap();

    let again = app.login_as_is("liwan_admin", PASSWORD).await.expect(200);
    assert_eq!(again["next"], "mfa_verify");
    // The code just used is refused (replay), though still inside its window.
    app.post("/auth/mfa/verify", token(&again), json!({ "code": used }))
        .await
        .expect_error(401, "unauthenticated");
    // Two steps ahead is too far; the step before now is within the drift allowed.
    app.clock.advance(Duration::from_secs(60));
    let now = app.clock.now_ms();
    let ahead = code_at(&secret, now + 60_000).unwrap();
    app.post("/auth/mfa/verify", token(&again), json!({ "code": ahead }))
        .await
        .expect_error(401, "unauthenticated");
    let behind = code_at(&secret, now - 30_000).unwrap();
    app.post("/auth/mfa/verify", token(&again), json!({ "code": behind }))
        .await
        .expect(200);
}

#[tokio::test]
async fn recovery_codes_stand_in_for_the_authenticator_once_each() {
    let app = mfa_app().await;
    district_admin(&app, "panyu_admin").await;
    let pending = app.login_as_is("panyu_admin", PASSWORD).await.expect(200);
    let first = app.pass_mfa(&pending).await.expect(200);
    let codes = first["recovery_codes"].as_array().unwrap().clone();
    let code = codes[3].as_str().unwrap();

    let pending = app.login_as_is("panyu_admin", PASSWORD).await.expect(200);
    let done = app
        .post("/auth/mfa/verify", token(&pending), json!({ "code": code }))
        .await
        .expect(200);
    assert_eq!(done["recovery_codes"], Value::Null, "shown only once");
    let pending = app.login_as_is("panyu_admin", PASSWORD).await.expect(200);
    app.post("/auth/mfa/verify", token(&pending), json!({ "code": code }))
        .await
        .expect_error(401, "unauthenticated");
}

#[tokio::test]
async fn wrong_codes_count_toward_the_lockout() {
    let app = mfa_app().await;
    district_admin(&app, "huadu_admin").await;
    app.try_login("huadu_admin", PASSWORD).await.expect(200);
    let pending = app.login_as_is("huadu_admin", PASSWORD).await.expect(200);
    for _ in 0..4 {
        app.post(
            "/auth/mfa/verify",
            token(&pending),
            json!({ "code": "123456" }),
        )
        .await
        .expect_error(401, "unauthenticated");
    }
    app.post(
        "/auth/mfa/verify",
        token(&pending),
        json!({ "code": "654321" }),
    )
    .await;
    app.login_as_is("huadu_admin", PASSWORD)
        .await
        .expect_error(429, "rate_limited");
}

#[tokio::test]
async fn the_level_above_resets_a_second_factor_and_it_is_audited() {
    let app = mfa_app().await;
    let user = district_admin(&app, "nansha_admin").await;
    let district_token = app.login("nansha_admin", PASSWORD).await;
    // Not its own, not the city's.
    app.post(
        &format!("/users/{user}/mfa-reset"),
        &district_token,
        json!({}),
    )
    .await
    .expect_error(403, "forbidden");
    let city = app.api_get("/me", &app.city_token).await.expect(200);
    let city_id = city["id"].as_str().unwrap();
    let refused = app
        .post(
            &format!("/users/{city_id}/mfa-reset"),
            &district_token,
            json!({}),
        )
        .await;
    assert!(matches!(refused.status.as_u16(), 403 | 404), "{refused:?}");

    let answer = app
        .post(
            &format!("/users/{user}/mfa-reset"),
            &app.city_token,
            json!({}),
        )
        .await;
    assert_eq!(answer.status, 204);
    app.api_get("/me", &district_token)
        .await
        .expect_error(401, "unauthenticated");
    let again = app.login_as_is("nansha_admin", PASSWORD).await.expect(200);
    assert_eq!(again["next"], "mfa_enroll");
    assert!(
        app.audit_actions(&user)
            .await
            .contains(&"user.mfa_reset".to_owned())
    );
}

#[tokio::test]
async fn a_password_someone_else_chose_is_changed_before_anything_else() {
    let app = spawn_app().await;
    let t = tree(&app, "黄埔").await;
    app.teacher(&t.school, "刘洋", 4).await;
    let pending = app.login_as_is(&id_number(4), PASSWORD).await.expect(200);
    assert_eq!(pending["next"], "change_password");
    let refused = app
        .api_get("/orgs", token(&pending))
        .await
        .expect_error(403, "step_required");
    assert_eq!(refused["error"]["details"]["next"], "change_password");
    app.post(
        "/auth/password",
        token(&pending),
        json!({ "new_password": PASSWORD }),
    )
    .await
    .expect_error(422, "invalid");
    let changed = app
        .post(
            "/auth/password",
            token(&pending),
            json!({ "new_password": "my own long pass 7" }),
        )
        .await
        .expect(200);
    assert_eq!(changed["next"], Value::Null);
    app.api_get("/me", token(&pending))
        .await
        .expect_error(401, "unauthenticated");
    let login = app
        .login_as_is(&id_number(4), "my own long pass 7")
        .await
        .expect(200);
    assert_eq!(login["next"], Value::Null);
}

#[tokio::test]
async fn with_both_steps_owed_identity_comes_first() {
    let app = mfa_app().await;
    new_district_admin(&app, "zengcheng_admin").await;
    let pending = app
        .login_as_is("zengcheng_admin", PASSWORD)
        .await
        .expect(200);
    assert_eq!(pending["next"], "mfa_enroll");
    app.post(
        "/auth/password",
        token(&pending),
        json!({ "new_password": "another long pass 8" }),
    )
    .await
    .expect_error(403, "step_required");
    let verified = app.pass_mfa(&pending).await.expect(200);
    assert_eq!(verified["next"], "change_password");
}

#[tokio::test]
async fn changing_a_password_ends_every_other_session_and_follows_the_policy() {
    let app = spawn_app().await;
    let other = app.login("city", PASSWORD).await;
    let cases = [
        (
            json!({ "new_password": "long enough pass 1" }),
            "current_password",
        ),
        (
            json!({ "current_password": "wrong-one", "new_password": "long enough pass 1" }),
            "current_password",
        ),
        (
            json!({ "current_password": PASSWORD, "new_password": "short" }),
            "new_password",
        ),
        (
            json!({ "current_password": PASSWORD, "new_password": "the-city-admin!" }),
            "new_password",
        ),
        (
            json!({ "current_password": PASSWORD, "new_password": "1qaz2wsx3edc" }),
            "new_password",
        ),
    ];
    for (body, field) in cases {
        let answer = app
            .post("/auth/password", &app.city_token, body.clone())
            .await
            .expect_error(422, "invalid");
        assert_eq!(answer["error"]["details"][0]["field"], field, "{body}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(!message.is_ascii(), "a Chinese message: {message}");
    }
    let body = json!({ "current_password": PASSWORD, "new_password": "long enough pass 1" });
    let changed = app
        .post("/auth/password", &app.city_token, body)
        .await
        .expect(200);
    app.api_get("/me", &other)
        .await
        .expect_error(401, "unauthenticated");
    app.api_get("/me", &app.city_token)
        .await
        .expect_error(401, "unauthenticated");
    app.api_get("/me", token(&changed)).await.expect(200);
    let id = changed["user"]["id"].as_str().unwrap();
    let audit = app
        .api_get(&format!("/audit?target_id={id}"), token(&changed))
        .await
        .expect(200);
    assert_eq!(audit["items"][0]["action"], "auth.password_changed");
}

#[tokio::test]
async fn an_administrator_resets_a_password_in_scope_only() {
    let app = spawn_app().await;
    let t = tree(&app, "从化").await;
    let other = tree(&app, "花都").await;
    app.teacher(&t.school, "赵磊", 5).await;
    let session = app.login(&id_number(5), PASSWORD).await;
    let me = app.api_get("/me", &session).await.expect(200);
    let user = me["id"].as_str().unwrap();
    let path = format!("/users/{user}/password-reset");
    app.post(&path, &other.school_token, json!({}))
        .await
        .expect_error(404, "not_found");
    app.post(&path, &session, json!({}))
        .await
        .expect_error(403, "forbidden");
    let reset = app
        .post(&path, &t.school_token, json!({}))
        .await
        .expect(200);
    let temporary = reset["temporary_password"].as_str().unwrap();
    app.api_get("/me", &session)
        .await
        .expect_error(401, "unauthenticated");
    app.login_as_is(&id_number(5), PASSWORD)
        .await
        .expect_error(401, "unauthenticated");
    let login = app.login_as_is(&id_number(5), temporary).await.expect(200);
    assert_eq!(login["next"], "change_password");
    assert!(
        app.audit_actions(user)
            .await
            .contains(&"user.password_reset".to_owned())
    );
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_code_sent_to_the_registered_phone() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    let body = json!({ "name": "孙丽", "id_number": id_number(6), "school_id": t.school,
        "password": PASSWORD, "phone": "13800138006" });
    app.post("/teachers", &t.school_token, body)
        .await
        .expect(201);
    app.settle_password(&id_number(6)).await;

    let unknown = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/password/forgot",
            None,
            Some(json!({ "username": "nobody-here" })),
        )
        .await;
    assert_eq!(unknown.status, 202);
    let known = app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/password/forgot",
            None,
            Some(json!({ "username": id_number(6) })),
        )
        .await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    let sent = app.outbox.messages().await;
    assert_eq!(sent.len(), 1, "only the real account gets a message");
    assert_eq!(sent[0].phone.as_deref(), Some("13800138006"));
    let code: String = sent[0]
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();

    let reset = |code: String, new_password: &'static str| {
        let body = json!({ "username": id_number(6), "code": code, "new_password": new_password });
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/password/reset",
            None,
            Some(body),
        )
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    reset(wrong.into(), "a brand new pass 9")
        .await
        .expect_error(401, "unauthenticated");
    reset(code.clone(), "short")
        .await
        .expect_error(422, "invalid");
    let done = reset(code.clone(), "a brand new pass 9").await.expect(200);
    assert_eq!(done["next"], Value::Null);
    // Used once.
    reset(code, "another new pass 10")
        .await
        .expect_error(401, "unauthenticated");
    app.login_as_is(&id_number(6), "a brand new pass 9")
        .await
        .expect(200);
}

#[tokio::test]
async fn a_reset_code_lives_ten_minutes_and_five_tries() {
    let app = spawn_app().await;
    let t = tree(&app, "增城").await;
    let body = json!({ "name": "周杰", "id_number": id_number(8), "school_id": t.school,
        "password": PASSWORD, "phone": "13800138008" });
    app.post("/teachers", &t.school_token, body)
        .await
        .expect(201);
    let forgot = || {
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/password/forgot",
            None,
            Some(json!({ "username": id_number(8) })),
        )
    };
    let reset = |code: String| {
        let body = json!({ "username": id_number(8), "code": code,
            "new_password": "a brand new pass 9" });
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/password/reset",
            None,
            Some(body),
        )
    };
    forgot().await;
    // Asked again at once: no second message (a phone cannot be flooded).
    forgot().await;
    let first = app.outbox.messages().await[0].body.clone();
    assert_eq!(app.outbox.messages().await.len(), 1);
    let code: String = first.chars().filter(char::is_ascii_digit).take(6).collect();
    app.clock.advance(Duration::from_secs(10 * 60 + 1));
    reset(code).await.expect_error(401, "unauthenticated");
}
