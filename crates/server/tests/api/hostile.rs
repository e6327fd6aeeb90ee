//! Hostile input from issue 12, case by case: each answered with a clear error while the
//! server keeps serving everyone else. Fixtures: fixtures/hostile (scripts/fixtures/hostile.py).

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::declaring::{form, scene};
use crate::helpers::{TestApp, Tree, spawn_app, spawn_app_with, tree};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/hostile/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

async fn post_file(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("名单.xlsx"));
    let resp = app
        .client
        .post(format!("{}/api/v1{path}", app.address))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert!(
        text.len() < 200_000,
        "an error body stays small: {} bytes",
        text.len()
    );
    (status, serde_json::from_str(&text).unwrap())
}

/// `GET path` (a path from the server's root), with a bearer token when given.
async fn fetch(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

/// An 8-hour professional training of the tree's school in 2030.
async fn school_training(app: &TestApp, t: &Tree) -> String {
    app.training(
        &t.school_token,
        &t.school,
        "school",
        "professional",
        "training_course",
        8.0,
        2030,
    )
    .await
}

/// The server still answers another user at once.
async fn still_serving(app: &TestApp) {
    app.api_get("/orgs/city", &app.city_token).await.expect(200);
}

#[tokio::test]
async fn hostile_spreadsheets_are_refused_before_and_while_parsing() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let teacher = {
        app.teacher(&t.school, "陈伟", 1).await;
        app.login(&crate::helpers::id_number(1), crate::helpers::PASSWORD)
            .await
    };
    let training = school_training(&app, &t).await;
    let import = format!("/trainings/{training}/attendance/import");
    // A teacher may not register attendance: refused before a byte of the file is read.
    let (status, body) = post_file(&app, &import, &teacher, fixture("sparse-range.xlsx")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let cases = [
        ("sparse-range.xlsx", "50列"),
        ("deflate-bomb.xlsx", "100MB"),
        ("shared-strings-claim.xlsx", "文本超过"),
    ];
    for (name, says) in cases {
        let (status, body) = post_file(&app, &import, &t.school_token, fixture(name)).await;
        assert_eq!(status, 422, "{name}: {body}");
        assert_eq!(body["error"]["code"], "invalid");
        let message = body["error"]["details"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{name}: {message}");
        still_serving(&app).await;
    }
    let (status, body) = post_file(
        &app,
        &import,
        &t.school_token,
        fixture("lying-sizes-bomb.xlsx"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // The provincial roster goes through the same reader.
    let (status, body) = post_file(
        &app,
        "/reconciliation",
        &t.district_token,
        fixture("sparse-range.xlsx"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    still_serving(&app).await;
}

#[tokio::test]
async fn a_file_of_thousands_of_bad_rows_answers_a_thousand_and_says_it_cut() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    let training = school_training(&app, &t).await;
    let mut csv = String::from("姓名,身份证号,学时\n");
    for i in 0..3000 {
        csv.push_str(&format!("某人{i},不是身份证号,8\n"));
    }
    let (status, body) = post_file(
        &app,
        &format!("/trainings/{training}/attendance/import"),
        &t.school_token,
        csv.into_bytes(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["details"].as_array().unwrap().len(), 1000);
    assert_eq!(body["error"]["details_truncated"], true);
    assert!(body["error"]["message"].as_str().unwrap().contains("3000"));
}

#[tokio::test]
async fn hostile_evidence_is_refused_or_stored_without_its_metadata() {
    let s = scene("海珠").await;
    let id = s
        .app
        .declare(&s.token, form("证书", "2030-06-01", "2030-06-02"))
        .await;
    let bomb = s
        .app
        .upload(
            &s.token,
            &id,
            "certificate",
            "a.png",
            fixture("pixel-bomb.png"),
        )
        .await;
    let body = bomb.expect_error(422, "invalid");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("4000万像素")
    );
    still_serving(&s.app).await;
    let html = s
        .app
        .upload(
            &s.token,
            &id,
            "certificate",
            "c.pdf",
            fixture("html-with-pdf-magic.pdf"),
        )
        .await;
    assert!(
        html.expect_error(415, "unsupported_media")["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PDF")
    );
    for name in ["javascript.pdf", "embedded-file.pdf", "launch.pdf"] {
        s.app
            .upload(&s.token, &id, "certificate", name, fixture(name))
            .await
            .expect_error(415, "unsupported_media");
    }
    let photo = fixture("gps-comment.jpg");
    let e = s
        .app
        .upload(&s.token, &id, "certificate", "p.jpg", photo.clone())
        .await
        .expect(201);
    assert_eq!(e["original_sha256"], xueshi_files::sha256_hex(&photo));
    let resp = fetch(&s.app, e["url"].as_str().unwrap(), Some(&s.token)).await;
    let headers = resp.headers().clone();
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-type"], "image/jpeg");
    let served = resp.bytes().await.unwrap();
    assert_eq!(e["sha256"], xueshi_files::sha256_hex(&served));
    let has = |needle: &[u8]| served.windows(needle.len()).any(|w| w == needle);
    assert!(
        !has(b"<script>") && !has(b"xmpmeta") && !has(&[0x88, 0x25]),
        "no GPS, XMP or comment"
    );
    // A PDF is a download, never a page of the platform.
    let pdf = s
        .app
        .upload(&s.token, &id, "hours_proof", "p.pdf", fixture("plain.pdf"))
        .await
        .expect(201);
    let resp = fetch(&s.app, pdf["url"].as_str().unwrap(), Some(&s.token)).await;
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
}

#[tokio::test]
async fn control_characters_are_refused_alike_on_every_backend() {
    let s = scene("天河").await;
    // Even before anyone is logged in.
    let login = s
        .app
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "a\u{0}b", "password": "x"})),
        )
        .await;
    let body = login.expect_error(422, "invalid");
    assert_eq!(body["error"]["details"][0]["field"], "username");
    let mut declaration = form("标题\u{0}", "2030-06-01", "2030-06-02");
    s.app
        .post("/declarations", &s.token, declaration.clone())
        .await
        .expect_error(422, "invalid");
    declaration["title"] = json!("两行\n标题");
    s.app
        .post("/declarations", &s.token, declaration)
        .await
        .expect_error(422, "invalid");
    // A NUL in a path or a query is refused too, never a server error.
    let answer = s.app.api_get("/declarations/a%00b", &s.token).await;
    assert!(
        matches!(answer.status.as_u16(), 404 | 422),
        "{}",
        answer.body
    );
    let answer = s
        .app
        .api_get("/declarations?teacher_id=a%00b", &s.token)
        .await;
    answer.expect_error(422, "invalid");
}

#[tokio::test]
async fn every_page_and_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/api/v1/orgs/city", "/static/app.js"] {
        let resp = fetch(&app, path, Some(&app.city_token)).await;
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(!h.contains_key("strict-transport-security"));
    }
    let secure = spawn_app_with(|c| c.secure_cookies = true).await;
    let resp = fetch(&secure, "/", None).await;
    assert!(
        resp.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
}

#[tokio::test]
async fn slow_clients_are_disconnected_while_others_are_served() {
    let app = spawn_app_with(|c| c.header_timeout_secs = 1).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(s);
    }
    // An idle connection that never starts a request is held no longer either.
    slow.push(tokio::net::TcpStream::connect(&host).await.unwrap());
    still_serving(&app).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for s in &mut slow {
        let mut buf = [0u8; 512];
        // Closed: a 408 answer or nothing, then end of stream.
        let closed = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert_eq!(closed, Ok(true), "a slow connection is closed");
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn requests_over_the_rate_limits_are_told_when_to_retry() {
    let app = spawn_app_with(|c| {
        c.user_rate = 3;
        c.address_rate = 3;
    })
    .await;
    // Made first: the city administrator's own budget is spent below.
    let t = tree(&app, "番禺").await;
    let mut limited = None;
    for _ in 0..40 {
        let answer = app.api_get("/orgs/city", &app.city_token).await;
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.expect("a burst past 3× the rate is limited");
    assert_eq!(limited.code(), "rate_limited");
    // Everyone else behind the same address (a school's NAT) keeps their own budget.
    app.api_get("/orgs/city", &t.school_token).await.expect(200);
    // Public lookups are limited per address.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let resp = fetch(&app, "/api/v1/verify/NOSUCHCODE", None).await;
        statuses.push((
            resp.status().as_u16(),
            resp.headers().get("retry-after").is_some(),
        ));
    }
    assert_eq!(statuses[..3], [(404, false); 3]);
    assert_eq!(statuses[3], (429, true));
}

#[tokio::test]
async fn a_form_with_control_characters_is_refused_before_its_handler() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(format!("{}/login", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=city%00&password=x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("username") && page.contains("U+0000"),
        "{page}"
    );
}
