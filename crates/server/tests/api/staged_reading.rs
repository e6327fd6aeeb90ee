//! 识别结果 on the new-declaration form (issue 19): a certificate chosen there is read before
//! the declaration exists and its fields offered with one tap; the token it returns goes with
//! the form, and the evidence it becomes keeps that reading. Only its teacher can see it.

use std::time::{Duration, Instant};

use crate::form_session::{Session, page, session};
use crate::helpers::{TestApp, id_number, spawn_app_with};
use crate::reading::{CERTIFICATE, ocr_installed, once_read};
use crate::teacher_screens::{declaration_id, post_form};

/// Posts a multipart form as the browser's script does; status and body (or redirect).
async fn post_multipart(
    app: &TestApp,
    s: &Session,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<Vec<u8>>,
) -> (u16, String) {
    let files = file.map(|b| ("file", "证书.png", b)).into_iter().collect();
    post_form(app, s, path, fields, files).await
}

fn kept_token(html: &str) -> String {
    html.split("name=\"kept\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a kept file")
        .to_owned()
}

fn poll_path(token: &str, n: u32) -> String {
    let token: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    format!("/declarations/new/read?token={token}&n={n}")
}

#[tokio::test]
async fn a_certificate_chosen_on_the_new_form_is_read_and_offered_before_saving() {
    if !ocr_installed() {
        return;
    }
    let app = spawn_app_with(|c| c.evidence_reading = true).await;
    let s = crate::declaring::scene_in(app, "白云", 1).await;
    let app = &s.app;
    let teacher = session(app, &id_number(1)).await;
    let (status, html) = page(app, &teacher, "/declarations/new").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"data-read="/declarations/new/read""#),
        "{html}"
    );

    let (status, part) = post_multipart(
        app,
        &teacher,
        "/declarations/new/read",
        &[],
        Some(CERTIFICATE.to_vec()),
    )
    .await;
    assert_eq!(status, 200, "{part}");
    let token = kept_token(&part);
    assert!(part.contains("hx-trigger=\"load delay:2s\""), "{part}");

    // The part polls until the background reader is done, then offers each field.
    let started = Instant::now();
    let html = loop {
        let (status, html) = page(app, &teacher, &poll_path(&token, 1)).await;
        assert_eq!(status, 200, "{html}");
        if html.contains("已识别") {
            break html;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{html}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(html.contains(r#"data-fill-fields="hours=24""#), "{html}");
    assert!(
        html.contains("start_date=2021-03-05&#10;end_date=2021-03-07"),
        "{html}"
    );
    assert!(!html.contains("hx-get"), "done: no more polling: {html}");
    assert!(html.contains(&token), "the token still goes with the form");

    // Another teacher cannot read it through the token.
    app.teacher(&s.tree.school, "王老师", 2).await;
    let other = session(app, &id_number(2)).await;
    let (status, html) = page(app, &other, &poll_path(&token, 1)).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("之前选择的文件已失效"), "{html}");

    // Saved with the form, the file becomes evidence that keeps the reading.
    let fields = [
        ("category", "professional"),
        ("activity_type", "training_course"),
        ("title", "信息技术应用能力提升"),
        ("organizer", "广州市教育研究院"),
        ("start_date", "2030-06-01"),
        ("end_date", "2030-06-03"),
        ("hours", "24"),
        ("certificate_states_hours", "true"),
        ("kept", token.as_str()),
        ("intent", "save"),
    ];
    let (status, location) = post_multipart(app, &teacher, "/declarations", &fields, None).await;
    assert_eq!(status, 303, "{location}");
    let id = declaration_id(&location);
    let d = once_read(app, &s.token, &id).await;
    let evidence = d["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{d}");
    assert_eq!(evidence[0]["reading"]["status"], "done", "{d}");
    assert_eq!(evidence[0]["reading"]["fields"]["hours"], 24.0, "{d}");
}

#[tokio::test]
async fn with_reading_off_the_form_sends_the_file_with_itself() {
    let app = spawn_app_with(|c| c.evidence_reading = false).await;
    let s = crate::declaring::scene_in(app, "花都", 1).await;
    let app = &s.app;
    let teacher = session(app, &id_number(1)).await;
    let (status, html) = page(app, &teacher, "/declarations/new").await;
    assert_eq!(status, 200);
    assert!(!html.contains("data-read="), "{html}");
    let (status, _) = post_multipart(
        app,
        &teacher,
        "/declarations/new/read",
        &[],
        Some(CERTIFICATE.to_vec()),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_file_the_platform_refuses_is_said_beside_the_field() {
    let app = spawn_app_with(|c| c.evidence_reading = true).await;
    let s = crate::declaring::scene_in(app, "从化", 1).await;
    let app = &s.app;
    let teacher = session(app, &id_number(1)).await;
    let (status, html) = post_multipart(
        app,
        &teacher,
        "/declarations/new/read",
        &[],
        Some(b"not a picture".to_vec()),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(!html.contains("name=\"kept\""), "{html}");
    // Without the form's token, nothing is taken.
    let forged = Session {
        cookie: teacher.cookie.clone(),
        csrf: "forged".into(),
    };
    let (status, _) = post_multipart(
        app,
        &forged,
        "/declarations/new/read",
        &[],
        Some(CERTIFICATE.to_vec()),
    )
    .await;
    assert_eq!(status, 403);
}
