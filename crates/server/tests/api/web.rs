use reqwest::header::COOKIE;

use crate::form_session::{Session, form_login, session, set_cookie, value_of};
use crate::helpers::{PASSWORD, id_number, spawn_app, tree};

#[tokio::test]
async fn the_start_page_is_the_login_form() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["cache-control"],
        "no-store",
        "a login form is never served from a cache"
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("<form method=\"post\" action=\"/login\""));
    assert!(html.contains("教师请使用身份证号登录"));
}

#[tokio::test]
async fn a_teacher_logs_in_through_the_form_with_an_httponly_strict_cookie() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    app.teacher(&t.school, "陈伟", 1).await;
    let session = form_login(&app, &id_number(1)).await;
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    let cookie = format!("xueshi_session={}", value_of(&session));
    let home = app
        .client
        .get(format!("{}/home", app.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(
        html.contains("陈伟") && html.contains("天河小学") && html.contains("教师"),
        "{html}"
    );
    // The API accepts the same session.
    let me = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn a_login_form_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(format!("{}/login", app.address))
        .form(&[
            ("username", "city"),
            ("password", PASSWORD),
            ("csrf", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(set_cookie(&resp, "xueshi_session").is_none());
}

#[tokio::test]
async fn a_wrong_password_is_explained_on_the_form() {
    let app = spawn_app().await;
    let start = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    let csrf = value_of(&set_cookie(&start, "xueshi_csrf").unwrap()).to_owned();
    let resp = app
        .client
        .post(format!("{}/login", app.address))
        .header(COOKIE, format!("xueshi_csrf={csrf}"))
        .form(&[
            ("username", "city"),
            ("password", "wrong-password"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let html = resp.text().await.unwrap();
    assert!(html.contains("用户名或密码错误"));
    assert!(html.contains("value=\"city\""), "the username is kept");
}

#[tokio::test]
async fn logging_out_ends_the_cookie_session() {
    let app = spawn_app().await;
    let Session { cookie, csrf } = session(&app, "city").await;
    let forged = app
        .client
        .post(format!("{}/logout", app.address))
        .header(COOKIE, &cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let resp = app
        .client
        .post(format!("{}/logout", app.address))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let home = app
        .client
        .get(format!("{}/home", app.address))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        home.status(),
        303,
        "home sends a logged-out visitor to the login form"
    );
}
