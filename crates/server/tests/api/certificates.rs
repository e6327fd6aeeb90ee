//! Certificates: the teacher's PDF, the public check of its code (JSON and page), and the
//! bulk ZIP of a school or district.

use std::io::Read;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, id_number, policy, spawn_app, tree};

async fn run(app: &TestApp, year: i32) {
    app.post(
        &format!("/verifications/{year}/run"),
        &app.city_token,
        json!({"force": true}),
    )
    .await
    .expect(200);
}

/// The code a passed year's certificate carries.
async fn code_of(app: &TestApp, teacher: &str, year: i32) -> String {
    app.api_get(
        &format!("/teachers/{teacher}/verification/{year}"),
        &app.city_token,
    )
    .await
    .expect(200)["certificate_code"]
        .as_str()
        .expect("a passed year has a code")
        .to_owned()
}

/// A download: status, content type and bytes.
async fn download(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, resp.bytes().await.unwrap().to_vec())
}

/// A public page, no login: status and HTML.
async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// The PDF's text without the spaces and line breaks of its layout, or `None` (with a note)
/// when `pdftotext` is not installed and `XUESHI_REQUIRE_PDFTOTEXT` is not `1`.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    // -layout: by default pdftotext drops a hyphen that ends a line, as if it split a word,
    // and the verification code may end a line with one.
    let text = crate::helpers::pdftotext(pdf, true)?;
    assert_eq!(text.matches('\u{c}').count(), 1, "one page");
    Some(text.chars().filter(|c| !c.is_whitespace()).collect())
}

/// The code with one character changed.
fn tampered(code: &str) -> String {
    let mut chars: Vec<char> = code.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

async fn verify(app: &TestApp, code: &str) -> crate::helpers::Answer {
    app.call(Method::GET, &format!("/api/v1/verify/{code}"), None, None)
        .await
}

#[tokio::test]
async fn a_passed_teacher_downloads_a_certificate_that_anyone_can_check() {
    let app = spawn_app().await;
    let yuexiu = tree(&app, "越秀").await;
    let haizhu = tree(&app, "海珠").await;
    let chen = app.teacher(&yuexiu.school, "陈大伟", 1).await;
    let short = app.teacher(&yuexiu.school, "李四", 2).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&chen, 2030, 30.0, 60.0, 18.5).await;
    app.earn(&short, 2030, 30.0, 42.0, 10.0).await;
    run(&app, 2030).await;
    let code = code_of(&app, &chen, 2030).await;

    // The teacher themself downloads their certificate.
    let token = app.login(&id_number(1), PASSWORD).await;
    let path = format!("/api/v1/teachers/{chen}/certificates/2030.pdf");
    let (status, content_type, pdf) = download(&app, &path, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    if let Some(text) = pdf_text(&pdf) {
        let masked = format!("{}********{}", &id_number(1)[..6], &id_number(1)[14..]);
        for expected in [
            "继续教育学时证明",
            "陈大伟",
            masked.as_str(),
            "越秀小学",
            "2030年度",
            "公需科目",
            "30",
            "专业科目（含上年结转0学时）",
            "60",
            "个人选修科目",
            "18.5",
            "合计",
            "108.5",
            "验证结论：合格",
            "广州市教育局",
            "扫码核验",
            code.as_str(),
            &format!("http://127.0.0.1:8080/verify/{code}"),
        ] {
            assert!(text.contains(expected), "{expected} missing from: {text}");
        }
        assert!(
            !text.contains(&id_number(1)),
            "the full ID number is masked"
        );
    }
    assert!(
        app.audit_actions(&chen)
            .await
            .contains(&"certificate.download".to_owned()),
        "the download is audited"
    );

    // Their school may print it; another school may not know it exists.
    let (status, _, _) = download(&app, &path, &yuexiu.school_token).await;
    assert_eq!(status, StatusCode::OK);
    let answer = app
        .api_get(
            &format!("/teachers/{chen}/certificates/2030.pdf"),
            &haizhu.school_token,
        )
        .await;
    answer.expect_error(404, "not_found");
    // No certificate for a year not passed, nor for a year not verified.
    app.api_get(
        &format!("/teachers/{short}/certificates/2030.pdf"),
        &app.city_token,
    )
    .await
    .expect_error(409, "conflict");
    app.api_get(
        &format!("/teachers/{chen}/certificates/2029.pdf"),
        &app.city_token,
    )
    .await
    .expect_error(404, "not_found");

    // Anyone can check the code: the JSON answer and the page the QR code opens.
    let checked = verify(&app, &code).await.expect(200);
    assert_eq!(
        checked,
        json!({
            "valid": true, "year": 2030, "name_masked": "陈*伟", "passed": true, "revoked": false,
            "school": "越秀小学",
            "hours": { "public": 30, "professional": 60, "elective": 18.5, "total": 108.5, "carried_in": 0 }
        })
    );
    let (status, html) = page(&app, &format!("/verify/{code}")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "证书核验结果",
        "有效",
        "陈*伟",
        "越秀小学",
        "2030年度",
        "108.5",
    ] {
        assert!(html.contains(expected), "{expected} missing from the page");
    }
    assert!(!html.contains("陈大伟"), "the page masks the name");

    // A code changed in one character, or made up, is refused.
    verify(&app, &tampered(&code))
        .await
        .expect_error(404, "not_found");
    verify(&app, "not-a-code")
        .await
        .expect_error(404, "not_found");
    let (status, html) = page(&app, &format!("/verify/{}", tampered(&code))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("未找到该证明"));
}

#[tokio::test]
async fn a_certificate_whose_pass_was_taken_away_no_longer_verifies() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    let teacher = app.teacher(&t.school, "王五", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    run(&app, 2030).await;
    let code = code_of(&app, &teacher, 2030).await;
    assert_eq!(verify(&app, &code).await.expect(200)["valid"], true);

    // The professional training turns out to be a duplicate: revoked, and the year re-run.
    let records = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2030"),
            &app.city_token,
        )
        .await
        .expect(200);
    let professional = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "professional")
        .expect("a professional record");
    app.post(
        &format!("/records/{}/revoke", professional["id"].as_str().unwrap()),
        &t.district_token,
        json!({ "reason": "重复登记，一经查实取消" }),
    )
    .await
    .expect(200);
    run(&app, 2030).await;

    let checked = verify(&app, &code).await.expect(200);
    assert_eq!(checked["valid"], false);
    assert_eq!(checked["passed"], false);
    assert_eq!(checked["revoked"], true);
    assert_eq!(checked["name_masked"], "王*");
    assert_eq!(checked["hours"]["professional"], 0);
    let (status, html) = page(&app, &format!("/verify/{code}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("已失效"),
        "the page says the certificate is void"
    );
    app.api_get(
        &format!("/teachers/{teacher}/certificates/2030.pdf"),
        &app.city_token,
    )
    .await
    .expect_error(409, "conflict");
}

/// The ZIP's entries: name and content.
fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a ZIP");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        out.push((file.name().unwrap().into_owned(), bytes));
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_school_or_district_downloads_all_its_certificates_as_one_zip() {
    let app = spawn_app().await;
    let tianhe = tree(&app, "天河").await;
    let other_school = app.school(&tianhe.district, "天河二小").await;
    let baiyun = tree(&app, "白云").await;
    let a = app.teacher(&tianhe.school, "张三", 1).await;
    let b = app.teacher(&tianhe.school, "李#[四]*", 2).await;
    let failed = app.teacher(&tianhe.school, "赵六", 3).await;
    let c = app.teacher(&other_school, "钱七", 4).await;
    let d = app.teacher(&baiyun.school, "孙八", 5).await;
    app.set_policy(2030, policy(2030)).await;
    for teacher in [&a, &b, &c, &d] {
        app.earn(teacher, 2030, 30.0, 42.0, 18.0).await;
    }
    app.earn(&failed, 2030, 10.0, 0.0, 0.0).await;
    run(&app, 2030).await;

    // The school: its own passed teachers, one PDF each.
    let (status, content_type, zip) =
        download(&app, "/api/v1/certificates/2030.zip", &tianhe.school_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/zip");
    let files = entries(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    // `*` is not allowed in file names on Windows: replaced.
    assert_eq!(
        names,
        ["天河小学-张三-2030.pdf", "天河小学-李#[四]_-2030.pdf"]
    );
    for (name, pdf) in &files {
        assert!(pdf.starts_with(b"%PDF"), "{name} is a PDF");
    }
    if let Some(text) = pdf_text(&files[1].1) {
        assert!(
            text.contains("李#[四]*"),
            "the name prints literally: {text}"
        );
    }
    assert!(
        app.audit_actions(&tianhe.school)
            .await
            .contains(&"certificate.bulk_download".to_owned())
    );

    // The district: every school of its own.
    let (status, _, zip) = download(
        &app,
        "/api/v1/certificates/2030.zip",
        &tianhe.district_token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<String> = entries(&zip).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "天河二小-钱七-2030.pdf",
            "天河小学-张三-2030.pdf",
            "天河小学-李#[四]_-2030.pdf"
        ]
    );

    // The city names what it wants; nobody reaches outside their scope.
    let path = format!("/certificates/2030.zip?school_id={}", baiyun.school);
    app.api_get("/certificates/2030.zip", &app.city_token)
        .await
        .expect_error(400, "bad_request");
    let (status, _, zip) = download(&app, &format!("/api/v1{path}"), &app.city_token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(entries(&zip)[0].0, "白云小学-孙八-2030.pdf");
    app.api_get(&path, &tianhe.school_token)
        .await
        .expect_error(404, "not_found");
    app.api_get(&path, &tianhe.district_token)
        .await
        .expect_error(404, "not_found");
    app.api_get(
        &format!("/certificates/2030.zip?district_id={}", tianhe.district),
        &baiyun.district_token,
    )
    .await
    .expect_error(404, "not_found");
    let teacher = app.login(&id_number(1), PASSWORD).await;
    app.api_get("/certificates/2030.zip", &teacher)
        .await
        .expect_error(403, "forbidden");
    // A year nobody passed has nothing to print.
    app.api_get("/certificates/2031.zip", &tianhe.school_token)
        .await
        .expect_error(409, "conflict");
}
