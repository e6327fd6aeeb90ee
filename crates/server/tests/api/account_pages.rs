//! The account pages in the browser's terms (forms, cookies, redirects): the forced password
//! change, forgot password, the administrators' resets, the auditor's page, the banners.

use reqwest::Response;
use reqwest::header::{COOKIE, LOCATION};
use xueshi_server::config::AdminMfa;

use crate::form_session::{Session, form_login_as_is, session, session_from, set_cookie, value_of};
use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app, spawn_app_with, tree};

fn session_of(resp: &Response) -> Session {
    session_from(&set_cookie(resp, "xueshi_session").expect("a session cookie"))
}

async fn get(app: &TestApp, s: &Session, path: &str) -> (u16, String, String) {
    let resp = app
        .client
        .get(format!("{}{path}", app.address))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

async fn post(app: &TestApp, s: &Session, path: &str, form: &[(&str, &str)]) -> Response {
    app.client
        .post(format!("{}{path}", app.address))
        .header(COOKIE, &s.cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_teacher_changes_the_initial_password_before_seeing_any_page() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    app.teacher(&t.school, "陈伟", 1).await;
    let login = form_login_as_is(&app, &id_number(1), PASSWORD).await;
    assert_eq!(login.headers()[LOCATION], "/account/password");
    let s = session_of(&login);
    for path in ["/home", "/"] {
        let (status, location, _) = get(&app, &s, path).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/account/password"),
            "{path}"
        );
    }
    let (status, _, page) = get(&app, &s, "/account/password").await;
    assert_eq!(status, 200);
    assert!(page.contains("须先修改"), "{page}");
    assert!(!page.contains(&id_number(1)), "the ID number is masked");
    let csrf = s.csrf.clone();
    let mismatch = post(
        &app,
        &s,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("new_password", "my own long pass 7"),
            ("confirm_password", "something else 8"),
        ],
    )
    .await;
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("两次输入的新密码不一致")
    );
    let done = post(
        &app,
        &s,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("new_password", "my own long pass 7"),
            ("confirm_password", "my own long pass 7"),
        ],
    )
    .await;
    assert_eq!(done.headers()[LOCATION], "/home?done=password");
    let new = session_of(&done);
    let (status, _, page) = get(&app, &new, "/home?done=password").await;
    assert_eq!(status, 200);
    assert!(page.contains("密码已修改"));
    // The pending session is gone.
    assert_eq!(get(&app, &s, "/home").await.0, 303);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_pages() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let body = serde_json::json!({ "name": "孙丽", "id_number": id_number(6),
        "school_id": t.school, "password": PASSWORD, "phone": "13800138006" });
    app.post("/teachers", &t.school_token, body)
        .await
        .expect(201);
    let form = app
        .client
        .get(format!("{}/login/forgot", app.address))
        .send()
        .await
        .unwrap();
    let csrf = value_of(&set_cookie(&form, "xueshi_csrf").unwrap()).to_owned();
    let cookie = format!("xueshi_csrf={csrf}");
    let sent = app
        .client
        .post(format!("{}/login/forgot", app.address))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str()), ("username", &id_number(6))])
        .send()
        .await
        .unwrap();
    let next_csrf = value_of(&set_cookie(&sent, "xueshi_csrf").unwrap()).to_owned();
    assert!(sent.text().await.unwrap().contains("验证码已发送"));
    let message = &app.outbox.messages().await[0];
    let code: String = message
        .body
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    let reset = app
        .client
        .post(format!("{}/login/reset", app.address))
        .header(COOKIE, format!("xueshi_csrf={next_csrf}"))
        .form(&[
            ("csrf", next_csrf.as_str()),
            ("username", &id_number(6)),
            ("code", &code),
            ("new_password", "a brand new pass 9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reset.headers()[LOCATION], "/home?done=password");
    let login = form_login_as_is(&app, &id_number(6), "a brand new pass 9").await;
    assert_eq!(login.headers()[LOCATION], "/home");
}

#[tokio::test]
async fn a_school_resets_a_teachers_password_from_the_teacher_page_after_confirming() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    let teacher = app.teacher(&t.school, "王强", 3).await;
    let s = session(&app, "番禺_school").await;
    let (_, _, page) = get(&app, &s, &format!("/teachers/{teacher}")).await;
    let link = page
        .split("href=\"")
        .find(|p| p.starts_with("/accounts/"))
        .and_then(|p| p.split('"').next())
        .expect("a reset link")
        .replace("&amp;", "&");
    let (status, _, confirm) = get(&app, &s, &link).await;
    assert_eq!(status, 200);
    assert!(
        confirm.contains("确认重置") && !confirm.contains(&id_number(3)),
        "{confirm}"
    );
    let user = link.split('/').nth(2).unwrap().to_owned();
    let csrf = s.csrf.clone();
    let back = format!("/teachers/{teacher}");
    let done = post(
        &app,
        &s,
        &format!("/accounts/{user}/reset"),
        &[("csrf", &csrf), ("what", "password"), ("back", &back)],
    )
    .await;
    let page = done.text().await.unwrap();
    let temporary = page
        .split("<code>")
        .nth(1)
        .and_then(|p| p.split("</code>").next())
        .expect("the temporary password")
        .to_owned();
    let login = app.login_as_is(&id_number(3), &temporary).await.expect(200);
    assert_eq!(login["next"], "change_password");
}

#[tokio::test]
async fn the_city_creates_an_auditor_whose_pages_are_the_audit_log() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    app.teacher(&t.school, "周敏", 31).await;
    app.login(&id_number(31), PASSWORD).await;
    let s = session(&app, "city").await;
    let (status, _, page) = get(&app, &s, "/accounts").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("越秀_district") && page.contains("审计管理员"),
        "{page}"
    );
    let csrf = s.csrf.clone();
    let city = app.city_id.clone();
    let created = post(
        &app,
        &s,
        "/accounts",
        &[
            ("csrf", &csrf),
            ("username", "audit_1"),
            ("role", "auditor"),
            ("org_id", &city),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(created.headers()[LOCATION], "/accounts?done=created");
    app.settle_password("audit_1").await;
    let auditor = session(&app, "audit_1").await;
    let (status, location, _) = get(&app, &auditor, "/home").await;
    assert_eq!((status, location.as_str()), (303, "/audit"));
    let (status, _, page) = get(&app, &auditor, "/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("新增账号") && page.contains("登录"), "{page}");
    // The teacher who logged in is named by a masked number.
    let number = id_number(31);
    assert!(!page.contains(&number), "{page}");
    let masked = xueshi_domain::IdNumber::mask_str(&number);
    assert!(page.contains(&masked), "{page}");
    assert_eq!(get(&app, &auditor, "/teachers").await.0, 403);
    assert_eq!(get(&app, &auditor, "/accounts").await.0, 403);
}

#[tokio::test]
async fn pages_warn_before_the_roles_idle_logout_and_say_when_the_second_factor_is_off() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    app.teacher(&t.school, "李芳", 2).await;
    let teacher = session(&app, &id_number(2)).await;
    let admin = session(&app, "白云_school").await;
    let (_, _, page) = get(&app, &teacher, "/home").await;
    assert!(page.contains(r#"data-idle-seconds="1800""#));
    assert!(
        page.contains("演示模式"),
        "the demo banner while the second factor is off"
    );
    let (_, _, page) = get(&app, &admin, "/home").await;
    assert!(page.contains(r#"data-idle-seconds="900""#));

    let required = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let page = required
        .client
        .get(format!("{}/", required.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("演示模式"));
}
