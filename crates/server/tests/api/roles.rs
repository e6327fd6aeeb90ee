//! Who reaches which route: every route of the OpenAPI document is called with a pending
//! token (a sign-in step owed) and with the auditor's token; cookie calls from other sites.

use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use xueshi_server::config::AdminMfa;

use crate::form_session::session;
use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with, tree};

/// Every (method, path) of the API, with its parameters filled in with made-up values, and
/// whether the document marks it public (`security: [{}]`: no token is looked at).
async fn every_route(app: &TestApp) -> Vec<(Method, String, bool)> {
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let filled = path
            .replace("{year}", "2030")
            .replace("{code}", "XS-NOPE")
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "0192f0a0-0000-7000-8000-000000000000"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().unwrap() {
            let public = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
            });
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            routes.push((method, format!("/api/v1{filled}"), public));
        }
    }
    routes
}

async fn call(app: &TestApp, method: &Method, path: &str, token: &str) -> (u16, Value) {
    let body = (method != Method::GET).then(|| json!({}));
    let answer = app.call(method.clone(), path, Some(token), body).await;
    (answer.status.as_u16(), answer.body)
}

#[tokio::test]
async fn a_pending_token_reaches_only_the_sign_in_steps() {
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let district = app.district("荔湾区").await;
    let body = json!({ "username": "pending_admin", "password": PASSWORD,
        "role": "district_admin", "org_id": district });
    app.post("/users", &app.city_token, body).await.expect(201);
    let allowed = [
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/mfa/enroll",
        "/api/v1/auth/mfa/verify",
        "/api/v1/auth/password",
        "/api/v1/auth/password/forgot",
        "/api/v1/auth/password/reset",
        "/api/v1/me",
        "/api/v1/openapi.json",
    ];
    let routes = every_route(&app).await;
    assert!(routes.len() > 60, "{}", routes.len());
    let mut public: Vec<String> = routes
        .iter()
        .filter(|r| r.2)
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    public.sort();
    assert_eq!(
        public,
        [
            "GET /api/v1/school-applications/districts",
            "GET /api/v1/verify/XS-NOPE",
            "POST /api/v1/school-applications",
        ],
        "the public operations"
    );
    for (method, path, public) in routes {
        if public || allowed.contains(&path.as_str()) {
            continue;
        }
        // A fresh pending token each time: nothing a route does may use one up.
        let pending = app.login_as_is("pending_admin", PASSWORD).await.expect(200);
        let token = pending["token"].as_str().unwrap();
        let (status, body) = call(&app, &method, &path, token).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("step_required")),
            "{method} {path}: {body}"
        );
        assert_eq!(body["error"]["details"]["next"], "mfa_enroll");
    }
}

#[tokio::test]
async fn the_auditor_reads_the_whole_audit_log_and_changes_nothing() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    app.teacher(&t.school, "陈伟", 1).await;
    let body = json!({ "username": "auditor", "password": PASSWORD, "role": "auditor",
        "org_id": app.city_id });
    // Only the city creates one, and only in the city organisation.
    app.post("/users", &t.district_token, body.clone())
        .await
        .expect_error(403, "forbidden");
    let mut at_school = body.clone();
    at_school["org_id"] = json!(t.school);
    at_school["username"] = json!("auditor2");
    let refused = app.post("/users", &app.city_token, at_school).await;
    assert!(matches!(refused.status.as_u16(), 403 | 422), "{refused:?}");
    let auditor = app.post("/users", &app.city_token, body).await.expect(201);
    assert_eq!(auditor["role"], "auditor");
    let token = app.login("auditor", PASSWORD).await;

    // Everything, a school's entries included.
    let page = app.api_get("/audit?limit=200", &token).await.expect(200);
    let items = page["items"].as_array().unwrap();
    assert!(
        items.iter().any(|e| e["action"] == "teacher.create"),
        "{page}"
    );
    // The school admin reads only its own part; the auditor reads more.
    let school_view = app
        .api_get("/audit?limit=200", &t.school_token)
        .await
        .expect(200);
    assert!(school_view["items"].as_array().unwrap().len() < items.len());

    let allowed = [
        "/api/v1/audit",
        "/api/v1/me",
        "/api/v1/auth/logout",
        "/api/v1/openapi.json",
    ];
    for (method, path, public) in every_route(&app).await {
        if public || allowed.contains(&path.as_str()) || path.starts_with("/api/v1/auth/") {
            continue;
        }
        let (status, body) = call(&app, &method, &path, &token).await;
        assert_eq!(status, 403, "{method} {path}: {body}");
    }
    // It changed nothing: its entries are its login and its refused attempts at changes.
    let actor = auditor["id"].as_str().unwrap();
    let after = app
        .api_get(
            &format!("/audit?actor_id={actor}&limit=200"),
            &app.city_token,
        )
        .await
        .expect(200);
    let actions = after["items"].as_array().unwrap();
    for e in actions {
        assert!(
            e["action"] == "auth.login"
                || (e["action"] == "access.denied"
                    && !e["target_id"].as_str().unwrap().starts_with("GET")),
            "{e}"
        );
    }
    assert!(actions.iter().any(|e| e["action"] == "access.denied"));
}

#[tokio::test]
async fn cookie_api_calls_that_change_something_must_come_from_our_own_pages() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    app.teacher(&t.school, "王强", 3).await;
    let s = session(&app, &crate::helpers::id_number(3)).await;
    let post = |headers: &[(&str, String)]| {
        let mut req = app
            .client
            .post(format!("{}/api/v1/auth/logout", app.address))
            .header(COOKIE, &s.cookie);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        req.send()
    };
    for headers in [
        vec![],
        vec![("origin", "https://evil.example".to_owned())],
        vec![
            ("sec-fetch-site", "cross-site".to_owned()),
            ("origin", "null".to_owned()),
        ],
        vec![("x-csrf-token", "forged".to_owned())],
    ] {
        let resp = post(&headers).await.unwrap();
        assert_eq!(resp.status(), 403, "{headers:?}");
    }
    // Still logged in; a same-origin call goes through.
    let resp = post(&[("origin", app.address.clone())]).await.unwrap();
    assert_eq!(resp.status(), 204);
    // Bearer calls are not affected (another site cannot send them).
    let token = app.login(&crate::helpers::id_number(3), PASSWORD).await;
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/logout", app.address))
        .bearer_auth(&token)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
}

#[tokio::test]
async fn the_page_csrf_token_also_passes_for_cookie_api_calls() {
    let app = spawn_app().await;
    let s = session(&app, "city").await;
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/logout", app.address))
        .header(COOKIE, &s.cookie)
        .header("x-csrf-token", &s.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
}

/// The registry self-service routes (API.md, "Registry self-service") for each role, as
/// `domain::authz` decides: 403 for a role that may never, 404 outside the scope, and for a
/// role that may, what the request itself earns (a `maybe` decision is 422, a reminder with
/// nothing found 409) — so that the table changes nothing while it probes.
#[tokio::test]
async fn each_role_reaches_the_registry_routes_as_authz_says() {
    let app = spawn_app().await;
    let t = tree(&app, "从化").await;
    let teacher = app.teacher(&t.school, "黄明", 41).await;
    let teacher_token = app.login(&crate::helpers::id_number(41), PASSWORD).await;
    let provider = app
        .post(
            "/orgs",
            &app.city_token,
            json!({ "name": "从化培训中心", "kind": "provider", "parent_id": app.city_id }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let provider_token = app
        .admin("conghua_provider", "provider_admin", &provider)
        .await;
    app.post(
        "/users",
        &app.city_token,
        json!({ "username": "matrix_auditor", "password": PASSWORD, "role": "auditor",
            "org_id": app.city_id }),
    )
    .await
    .expect(201);
    let auditor_token = app.login("matrix_auditor", PASSWORD).await;
    let correction = app
        .post(
            &format!("/teachers/{teacher}/corrections"),
            &teacher_token,
            json!({ "name": "黄明明", "reason": "录入错误" }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let application = app
        .call(
            Method::POST,
            "/api/v1/school-applications",
            None,
            Some(
                json!({ "name": "从化区新学校", "district_id": t.district, "ownership": "public",
                "school_type": "primary", "contact_name": "周", "contact_phone": "13600000000",
                "admin_username": "conghua_new" }),
            ),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = tree(&app, "增城").await;

    let maybe = json!({ "decision": "maybe" });
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/school-applications".into(), None),
        (
            Method::POST,
            format!("/school-applications/{application}/review"),
            Some(maybe.clone()),
        ),
        (Method::GET, "/corrections".into(), None),
        (
            Method::POST,
            format!("/corrections/{correction}/review"),
            Some(maybe.clone()),
        ),
        (
            Method::POST,
            format!("/teachers/{teacher}/corrections"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/teachers/{teacher}/correction-reminder"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/teachers/{teacher}/archive.pdf"),
            None,
        ),
        (
            Method::GET,
            format!("/reports/archive?school_id={}", t.school),
            None,
        ),
    ];
    // One column per route above.
    let expected: [(&str, &str, [u16; 8]); 7] = [
        (
            "teacher",
            &teacher_token,
            [403, 403, 200, 403, 422, 403, 200, 403],
        ),
        (
            "school_admin",
            &t.school_token,
            [403, 403, 200, 403, 403, 409, 200, 200],
        ),
        (
            "district_admin",
            &t.district_token,
            [200, 422, 200, 422, 403, 409, 200, 200],
        ),
        (
            "other district",
            &other.district_token,
            [200, 404, 200, 404, 403, 404, 404, 404],
        ),
        (
            "city_admin",
            &app.city_token,
            [200, 422, 200, 422, 403, 409, 200, 200],
        ),
        (
            "provider_admin",
            &provider_token,
            [403, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "auditor",
            &auditor_token,
            [403, 403, 403, 403, 403, 403, 403, 403],
        ),
    ];
    // Out of scope a decision must not even be read: the other district sends a real one.
    let reject = json!({ "decision": "reject", "reason": "探测" });
    let mut wrong = Vec::new();
    for (role, token, statuses) in expected {
        for ((method, path, body), want) in routes.iter().zip(statuses) {
            let body = match body {
                Some(b) if *b == maybe && role == "other district" => Some(reject.clone()),
                other => other.clone(),
            };
            let got = app
                .call(method.clone(), &format!("/api/v1{path}"), Some(token), body)
                .await
                .status
                .as_u16();
            if got != want {
                wrong.push(format!("{role} {method} {path}: {got}, expected {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
