//! Reading certificates (issue 19): an uploaded certificate is read in the background, its
//! fields offered, and the reviewer warned where the declaration claims more than it says;
//! a blurred photo is flagged; with reading off, everything else works.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::declaring::form;
use crate::form_session::{page, session};
use crate::helpers::{id_number, spawn_app_with};

/// A certificate rendered in Noto Serif CJK: 陈伟, 2021年3月5日至7日, 共计24学时,
/// 《信息技术应用能力提升》, 广州市教育研究院.
pub const CERTIFICATE: &[u8] = include_bytes!("../../../files/tests/fixtures/certificate.png");
/// The same certificate for 陈老师 (the scenes' teacher), 2030年6月1日至3日, 24 学时.
const CERTIFICATE_2030: &[u8] =
    include_bytes!("../../../files/tests/fixtures/certificate-2030.png");

pub fn ocr_installed() -> bool {
    let found = std::process::Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("chi_sim"));
    if !found && std::env::var_os("XUESHI_REQUIRE_OCR").is_some() {
        panic!("XUESHI_REQUIRE_OCR is set but tesseract with chi_sim is missing");
    }
    found
}

fn kinds(d: &Value) -> Vec<&str> {
    d["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect()
}

/// The declaration once its evidence has been read by the server's background reader.
pub async fn once_read(app: &crate::helpers::TestApp, token: &str, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let d = app.declaration(token, id).await;
        let statuses: Vec<&str> = d["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reading"]["status"].as_str().unwrap())
            .collect();
        if statuses.iter().all(|s| *s != "pending") {
            return d;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "still not read: {d}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn blurred(png: &[u8]) -> Vec<u8> {
    let image = image::load_from_memory(png).unwrap().blur(4.0);
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_certificate_is_read_its_fields_offered_and_a_larger_claim_flagged() {
    if !ocr_installed() {
        return;
    }
    let app = spawn_app_with(|c| c.evidence_reading = true).await;
    let s = crate::declaring::scene_in(app, "越秀", 1).await;
    let app = &s.app;
    let mut body = form("信息技术应用能力提升", "2030-06-01", "2030-06-03");
    body["hours"] = 32.into();
    let id = app.declare(&s.token, body).await;
    let uploaded = app
        .upload(
            &s.token,
            &id,
            "certificate",
            "证书.png",
            CERTIFICATE.to_vec(),
        )
        .await
        .expect(201);
    assert_eq!(uploaded["reading"]["status"], "pending", "{uploaded}");

    // The teacher is offered what was read (识别结果，请核对).
    let mine = once_read(app, &s.token, &id).await;
    let reading = &mine["evidence"][0]["reading"];
    assert_eq!(reading["status"], "done", "{reading}");
    assert!(
        reading["text"].as_str().unwrap().contains("学时"),
        "{reading}"
    );
    let fields = &reading["fields"];
    assert_eq!(fields["hours"], 24.0, "{reading}");
    assert_eq!(fields["start_date"], "2021-03-05");
    assert_eq!(fields["end_date"], "2021-03-07");
    assert_eq!(fields["title"], "信息技术应用能力提升");
    assert_eq!(fields["organizer"], "广州市教育研究院");
    assert_eq!(fields["name"], "陈伟");
    assert_eq!(fields["is_chinese"], true);
    assert!(reading["confidence"]["hours"].as_f64().unwrap() > 0.9);
    assert_eq!(reading["quality"]["ok"], true, "{reading}");
    assert_eq!(
        mine["warnings"],
        serde_json::json!([]),
        "teachers get no warnings"
    );

    // The teacher's edit form offers each field read with one tap (填入).
    let teacher = session(app, &id_number(1)).await;
    let (status, html) = page(app, &teacher, &format!("/declarations/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(html.contains("识别结果"), "{html}");
    assert!(html.contains(r#"data-fill-fields="hours=24""#), "{html}");
    assert!(
        html.contains("start_date=2021-03-05&#10;end_date=2021-03-07"),
        "{html}"
    );

    app.submit(&s.token, &id).await.expect(200);
    let seen = app.declaration(&s.tree.school_token, &id).await;
    let found = kinds(&seen);
    for expected in [
        "certificate_hours_lower",
        "certificate_dates_outside",
        "certificate_name_differs",
    ] {
        assert!(found.contains(&expected), "{expected} missing: {seen}");
    }
    assert!(!found.contains(&"photo_unclear"), "{seen}");
    let hours = seen["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "certificate_hours_lower")
        .unwrap();
    assert_eq!(hours["message"], "证书所载学时（24）少于申报学时（32）");

    // The reviewer reads the text beside the picture, its hours and dates marked.
    let school = session(app, "越秀_school").await;
    let (status, html) = page(app, &school, &format!("/review/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<mark>共计24学时</mark>"), "{html}");
    assert!(html.contains("<mark>2021年3月5日至7日</mark>"), "{html}");
    assert!(
        html.contains("证书所载学时（24）少于申报学时（32）"),
        "{html}"
    );
}

#[tokio::test]
async fn a_blurred_photo_is_flagged_for_the_reviewer() {
    if !ocr_installed() {
        return;
    }
    let app = spawn_app_with(|c| c.evidence_reading = true).await;
    let s = crate::declaring::scene_in(app, "荔湾", 1).await;
    let app = &s.app;
    let id = app
        .declare(&s.token, form("课堂观察研修", "2030-06-01", "2030-06-03"))
        .await;
    app.upload(
        &s.token,
        &id,
        "certificate",
        "模糊.png",
        blurred(CERTIFICATE),
    )
    .await
    .expect(201);
    let mine = once_read(app, &s.token, &id).await;
    let problems = &mine["evidence"][0]["reading"]["quality"]["problems"];
    assert!(
        problems.as_array().unwrap().iter().any(|p| p == "blurred"),
        "{mine}"
    );
    app.submit(&s.token, &id).await.expect(200);
    let seen = app.declaration(&s.tree.school_token, &id).await;
    assert!(kinds(&seen).contains(&"photo_unclear"), "{seen}");
}

#[tokio::test]
async fn with_reading_off_evidence_says_so_and_all_else_works() {
    let app = spawn_app_with(|c| c.evidence_reading = false).await;
    let s = crate::declaring::scene_in(app, "海珠", 1).await;
    let app = &s.app;
    let id = app
        .declare(
            &s.token,
            form("信息技术应用能力提升", "2030-06-01", "2030-06-03"),
        )
        .await;
    let uploaded = app
        .upload(
            &s.token,
            &id,
            "certificate",
            "证书.png",
            CERTIFICATE.to_vec(),
        )
        .await
        .expect(201);
    assert_eq!(uploaded["reading"]["status"], "off", "{uploaded}");
    app.submit(&s.token, &id).await.expect(200);
    let seen = app.declaration(&s.tree.school_token, &id).await;
    assert_eq!(seen["evidence"][0]["reading"]["status"], "off");
    assert_eq!(
        seen["evidence"][0]["reading"]["fields"]["hours"],
        Value::Null
    );
    assert!(
        !kinds(&seen).iter().any(|k| k.starts_with("certificate_")),
        "{seen}"
    );
}

#[tokio::test]
async fn the_queue_shows_the_clear_cases_first_when_asked() {
    if !ocr_installed() {
        return;
    }
    let app = spawn_app_with(|c| c.evidence_reading = true).await;
    let s = crate::declaring::scene_in(app, "天河", 1).await;
    let app = &s.app;
    let mut ids = Vec::new();
    // The second copy re-encoded: one file twice would be refused as a duplicate.
    let jpeg = {
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
        image::load_from_memory(CERTIFICATE_2030)
            .unwrap()
            .to_rgb8()
            .write_with_encoder(encoder)
            .unwrap();
        out
    };
    for (title, hours, file) in [
        ("信息技术应用能力提升", 24, CERTIFICATE_2030.to_vec()),
        ("信息化教学设计研修", 32, jpeg),
    ] {
        let mut body = form(title, "2030-06-01", "2030-06-03");
        body["hours"] = hours.into();
        let id = app.declare(&s.token, body).await;
        app.upload(&s.token, &id, "certificate", "证书.png", file)
            .await
            .expect(201);
        once_read(app, &s.token, &id).await;
        app.submit(&s.token, &id).await.expect(200);
        ids.push(id);
    }
    let (agrees, claims_more) = (&ids[0], &ids[1]);
    let seen = app.declaration(&s.tree.school_token, agrees).await;
    assert!(
        !kinds(&seen).iter().any(|k| k.starts_with("certificate_")),
        "{seen}"
    );

    let school = session(app, "天河_school").await;
    let (_, all) = page(app, &school, "/review").await;
    assert!(all.contains(agrees.as_str()) && all.contains(claims_more.as_str()));
    assert!(
        all.contains("学时不符？"),
        "the badge names the finding: {all}"
    );
    let (status, clear) = page(app, &school, "/review?warned=agrees").await;
    assert_eq!(status, 200);
    assert!(clear.contains(agrees.as_str()), "{clear}");
    assert!(!clear.contains(claims_more.as_str()), "{clear}");
}
