use reqwest::Method;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_checks_the_database() {
    let app = spawn_app().await;
    let answer = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["status"], "ok");
    app.db.close().await;
    let down = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(down.status, 503);
}

async fn get_metrics(app: &TestApp, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(format!("{}/metrics", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let resp = request.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn metrics_are_not_public_but_answer_with_their_token() {
    let app = spawn_app_with(|c| c.metrics_token = Some("scrape-secret-1".into())).await;
    let (status, text) = get_metrics(&app, None).await;
    assert_eq!(status, 404);
    assert!(!text.contains("http_requests_total"));
    assert_eq!(get_metrics(&app, Some("wrong")).await.0, 404);
    // A session token is not the metrics token.
    assert_eq!(get_metrics(&app, Some(&app.city_token)).await.0, 404);
    assert_eq!(get_metrics(&app, Some("scrape-secret-1")).await.0, 200);
}

#[tokio::test]
async fn metrics_answer_on_their_own_listener() {
    let app = spawn_app_with(|c| c.metrics_bind = Some("127.0.0.1:0".into())).await;
    app.api_get("/orgs/city", &app.city_token).await.expect(200);
    assert_eq!(get_metrics(&app, None).await.0, 404);
    let port = app.metrics_port.expect("a metrics listener");
    let text = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains(r#"route="/api/v1/orgs/city""#), "{text}");
    assert!(text.contains(r#"status="200""#));
    assert!(text.contains("http_request_duration_seconds_bucket"));
}

/// Every implemented endpoint is in the OpenAPI document, which parses.
#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = spawn_app().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/auth/login", "post"),
        ("/auth/logout", "post"),
        ("/me", "get"),
        ("/orgs/city", "get"),
        ("/orgs", "post"),
        ("/orgs", "get"),
        ("/orgs/{id}", "get"),
        ("/orgs/{id}", "patch"),
        ("/users", "post"),
        ("/teachers", "post"),
        ("/teachers", "get"),
        ("/teachers/{id}", "get"),
        ("/teachers/{id}", "patch"),
        ("/policies/{year}", "put"),
        ("/policies/{year}", "get"),
        ("/audit", "get"),
        ("/courses", "post"),
        ("/courses/{id}/completions", "post"),
        ("/trainings", "post"),
        ("/trainings", "get"),
        ("/trainings/{id}", "get"),
        ("/trainings/{id}/attendance", "post"),
        ("/trainings/{id}/attendance/import", "post"),
        ("/trainings/attendance/template.xlsx", "get"),
        ("/teachers/{id}/records", "get"),
        ("/teachers/{id}/progress", "get"),
        ("/records/{id}/revoke", "post"),
        ("/verifications/{year}/run", "post"),
        ("/verifications/{year}/preview", "post"),
        ("/verifications/{year}", "get"),
        ("/jobs/{id}", "get"),
        ("/teachers/{id}/verification/{year}", "get"),
        ("/reports/{year}/summary", "get"),
        ("/reports/{year}/shortfalls", "get"),
        ("/reports/{year}/allowance", "get"),
        ("/exports/{year}/provincial", "get"),
        ("/reconciliation", "post"),
        ("/announcements", "post"),
        ("/announcements", "get"),
        ("/announcements/{id}", "get"),
        ("/announcements/{id}", "delete"),
        ("/announcements/{id}/attachments", "post"),
        ("/announcements/{id}/attachments/{attachment_id}", "get"),
        ("/orgs/{id}/contacts", "put"),
        ("/contacts", "get"),
        ("/declarations", "post"),
        ("/declarations", "get"),
        ("/declarations/hours-helper", "get"),
        ("/declarations/{id}", "get"),
        ("/declarations/{id}", "patch"),
        ("/declarations/{id}", "delete"),
        ("/declarations/{id}/copy", "post"),
        ("/declarations/{id}/evidence", "post"),
        ("/declarations/{id}/evidence/{evidence_id}", "get"),
        ("/declarations/{id}/evidence/{evidence_id}", "delete"),
        ("/declarations/{id}/evidence/{evidence_id}/thumbnail", "get"),
        ("/declarations/{id}/submit", "post"),
        ("/declarations/{id}/withdraw", "post"),
        ("/declarations/{id}/review", "post"),
        ("/reviews/batch", "post"),
        ("/notifications", "get"),
        ("/notifications/{id}/read", "post"),
        ("/teachers/{id}/certificates/{year}.pdf", "get"),
        ("/certificates/{year}.zip", "get"),
        ("/verify/{code}", "get"),
        ("/auth/mfa/enroll", "post"),
        ("/auth/mfa/verify", "post"),
        ("/auth/password", "post"),
        ("/auth/password/forgot", "post"),
        ("/auth/password/reset", "post"),
        ("/users/{id}/password-reset", "post"),
        ("/users/{id}/mfa-reset", "post"),
        ("/teachers/{id}/transfer-requests", "post"),
        ("/transfer-requests", "get"),
        ("/transfer-requests/{id}", "get"),
        ("/transfer-requests/{id}/review", "post"),
        ("/transfer-requests/{id}/cancel", "post"),
        ("/teachers/{id}/corrections", "post"),
        ("/corrections", "get"),
        ("/corrections/{id}/review", "post"),
        ("/teachers/{id}/correction-reminder", "post"),
        ("/teachers/{id}/archive.pdf", "get"),
        ("/reports/archive", "get"),
        ("/school-applications", "post"),
        ("/school-applications", "get"),
        ("/school-applications/districts", "get"),
        ("/school-applications/{id}/review", "post"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the document"
        );
    }
    assert_eq!(
        paths.len(),
        74,
        "a path was added without a test here: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
}

/// Every `$ref` of the document resolves, every operation declares the answers any request
/// may get, and `details` is described as what it is: a list of findings or an object.
#[tokio::test]
async fn the_openapi_document_is_complete_and_its_references_resolve() {
    let app = spawn_app().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 100);
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("a schema reference");
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "429"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("422"), "{method} {path} lacks 422");
            }
        }
    }
    let details = &schemas["ErrorDetail"]["properties"]["details"]["oneOf"];
    assert_eq!(details[0]["type"], "array");
    assert_eq!(details[1]["type"], "object");
}

fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Personal data on disk is the server user's alone: the data directory and the evidence
/// directory 0700, the SQLite database and its WAL 0600 — also when they were looser.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_files_are_readable_by_the_server_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let app = spawn_app_with(|c| {
        c.data_dir = data.clone();
        c.database_url = None;
    })
    .await;
    app.api_get("/me", &app.city_token).await.expect(200);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("evidence")), 0o700);
    assert_eq!(mode(&data.join("xueshi.db")), 0o600);

    // The command line's database, made from nothing, is private too.
    let out = dir.path().join("migrated");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_xueshi"))
        .args(["migrate", "--data-dir"])
        .arg(&out)
        .env_remove("DATABASE_URL")
        .env_remove("XUESHI_DATABASE_URL")
        .status()
        .unwrap();
    assert!(status.success());
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(
            mode(&path) & 0o077,
            0,
            "{} is readable by others",
            path.display()
        );
    }
}
