//! A cookie session opened through the login form, as a browser opens it: the pages' tests
//! and the login form's own tests share it.

use reqwest::header::{COOKIE, SET_COOKIE};

use crate::helpers::{PASSWORD, TestApp};

/// The `Set-Cookie` header that sets the cookie `name`, with its attributes.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The cookie's value in a `Set-Cookie` header.
pub fn value_of(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
}

/// The login form as a person fills it (the login page first, for its CSRF cookie), without
/// settling the password: answers the form's response.
pub async fn form_login_as_is(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    let start = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    let csrf_cookie = set_cookie(&start, "xueshi_csrf").expect("the login page sets a CSRF cookie");
    let csrf = value_of(&csrf_cookie).to_owned();
    let page = start.text().await.unwrap();
    assert!(page.contains(&csrf), "the form repeats the CSRF token");
    app.client
        .post(format!("{}/login", app.address))
        .header(COOKIE, format!("xueshi_csrf={csrf}"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap()
}

/// Logs in through the login form; answers the session's `Set-Cookie` header.
pub async fn form_login(app: &TestApp, username: &str) -> String {
    app.settle_password(username).await;
    let resp = form_login_as_is(app, username, PASSWORD).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/home");
    set_cookie(&resp, "xueshi_session").expect("a session cookie")
}

/// What a logged-in browser sends: the session cookie, and the CSRF token its forms carry.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub async fn session(app: &TestApp, username: &str) -> Session {
    session_from(&form_login(app, username).await)
}

/// The browser's session from the `Set-Cookie` header that opened it.
pub fn session_from(set_cookie: &str) -> Session {
    let token = value_of(set_cookie);
    Session {
        cookie: format!("xueshi_session={token}"),
        csrf: xueshi_server::auth::csrf::csrf_for_session(
            &xueshi_server::auth::sessions::token_hash(token),
        ),
    }
}

/// A page as the logged-in browser gets it: its status and HTML.
pub async fn page(app: &TestApp, s: &Session, path: &str) -> (reqwest::StatusCode, String) {
    let resp = app
        .client
        .get(format!("{}{path}", app.address))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// A form as the logged-in browser submits it (its CSRF token added): the status, the HTML
/// and where a redirect goes.
pub async fn post(
    app: &TestApp,
    s: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> (reqwest::StatusCode, String, Option<String>) {
    let mut fields = form.to_vec();
    fields.push(("csrf", &s.csrf));
    let resp = app
        .client
        .post(format!("{}{path}", app.address))
        .header(COOKIE, &s.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    (resp.status(), resp.text().await.unwrap(), location)
}
