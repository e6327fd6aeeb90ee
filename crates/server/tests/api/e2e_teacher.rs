//! A teacher on a phone (390×844) in a real browser: a returned declaration fixed from the
//! home page's to-do with its photo replaced, a bad hours value refused by the browser with
//! the chosen photo kept, a two-page certificate, withdraw and resubmit, a 12-megapixel photo
//! made small before upload, the certificate from the results page, the Chinese 404 page,
//! and every page's tap targets at least 44 px. `XUESHI_SCREENSHOTS=docs/screenshots` keeps
//! the screenshots.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use thirtyfour::prelude::*;

use crate::declaring::{certificate_image, png};
use crate::e2e::{browser, browser_available, fits_the_screen, login, screenshot, wait_for};
use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app_with, tree};
use xueshi_server::config::AdminMfa;

fn file_of(bytes: &[u8], suffix: &str) -> PathBuf {
    let path = tempfile::Builder::new()
        .suffix(suffix)
        .tempfile()
        .unwrap()
        .into_temp_path()
        .keep()
        .unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A 4,000 × 3,000 photo as a phone takes it: a certificate's blocks under fine grain, saved
/// as a high-quality JPEG of several megabytes.
fn twelve_megapixel_photo() -> PathBuf {
    let blocks = certificate_image(11);
    let mut noise = 0x2545_F491u32;
    let photo = image::RgbImage::from_fn(4000, 3000, |x, y| {
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        let base = blocks.get_pixel(x * 240 / 4000, y * 160 / 3000)[0] as i32;
        let v = (base + (noise % 24) as i32 - 12).clamp(0, 255) as u8;
        image::Rgb([v, v, v.saturating_sub(4)])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 92)
        .encode_image(&photo)
        .unwrap();
    file_of(&bytes, ".jpg")
}

async fn fill(d: &WebDriver, id: &str, text: &str) {
    let field = d.find(By::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn fill_declaration(d: &WebDriver, title: &str, day: &str, hours: &str) {
    fill(d, "title", title).await;
    fill(d, "organizer", "广州市教师发展中心").await;
    d.execute(
        "document.getElementById('start_date').value = arguments[0]; document.getElementById('end_date').value = arguments[0];",
        vec![json!(day)],
    )
    .await
    .unwrap();
    fill(d, "hours", hours).await;
}

async fn click(d: &WebDriver, by: By) {
    d.find(by).await.unwrap().click().await.unwrap();
}

async fn js(d: &WebDriver, script: &str) -> Value {
    d.execute(script, vec![]).await.unwrap().json().clone()
}

/// Visible controls lower than 44 px (inline links in running text are not controls).
async fn small_targets(d: &WebDriver) -> Value {
    js(
        d,
        "return [...document.querySelectorAll('a.button, button, nav.menu a, .who a, summary, select, \
         input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]\
         .filter((e) => e.offsetParent !== null)\
         .map((e) => [e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 12), e.getBoundingClientRect().height])\
         .filter(([, h]) => h < 44)",
    )
    .await
}

async fn declaration_of(app: &TestApp, token: &str, title: &str) -> Value {
    let list = app.api_get("/declarations", token).await.expect(200);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == title)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_teacher_on_a_phone_fixes_declares_withdraws_and_downloads_without_getting_stuck() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "越秀").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    let today = xueshi_domain::time_rules::business_date(time::OffsetDateTime::now_utc());
    let year = today.year();
    // Deadlines well ahead, whatever day the test runs.
    let mut p = crate::helpers::policy(year);
    p["deadlines"] = json!({ "declaration": format!("{}-12-31", year + 1), "registration": format!("{}-12-31", year + 1),
        "school_review": format!("{}-01-09", year + 2), "district_review": format!("{}-01-13", year + 2) });
    app.set_policy(year, p).await;
    let token = app.login(&id_number(1), PASSWORD).await;
    let day = today.to_string();
    let returned = app
        .ready(
            &token,
            crate::declaring::form("模糊照片的培训", &day, &day),
            21,
        )
        .await;
    app.submit(&token, &returned).await.expect(200);
    app.review(
        &t.school_token,
        &returned,
        json!({ "decision": "return", "comment": "证书照片模糊，请重新拍摄" }),
    )
    .await
    .expect(200);

    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    login(&d, &app, &id_number(1)).await.unwrap();
    let home = wait_for(&d, "待办").await;
    assert!(home.contains("证书照片模糊，请重新拍摄"), "{home}");
    assert!(fits_the_screen(&d).await);
    assert_eq!(small_targets(&d).await, json!([]), "on the home page");
    screenshot(&d, "teacher-home-todo-phone").await;

    // 去修改: the comment on top, the blurry photo replaced in place, then resubmitted.
    click(&d, By::LinkText("去修改")).await;
    let edit = wait_for(&d, "审核意见").await;
    assert!(edit.contains("学校初审退回修改：证书照片模糊"), "{edit}");
    assert!(fits_the_screen(&d).await);
    assert_eq!(small_targets(&d).await, json!([]), "on the edit page");
    screenshot(&d, "teacher-returned-edit-phone").await;
    let sharp = file_of(&png(22), ".png");
    d.find(By::Css("form.replace input[type=file]"))
        .await
        .unwrap()
        .send_keys(sharp.display().to_string())
        .await
        .unwrap();
    wait_for(&d, "已替换该文件").await;
    let files = app.declaration(&token, &returned).await["evidence"].clone();
    assert_eq!(files.as_array().unwrap().len(), 1, "replaced, not added");
    click(&d, By::Css("button[value=submit]")).await;
    wait_for(&d, "申报已提交").await;
    assert_eq!(
        app.declaration(&token, &returned).await["status"],
        "submitted"
    );
    app.review(&t.school_token, &returned, json!({ "decision": "approve" }))
        .await
        .expect(200);
    app.review(
        &t.district_token,
        &returned,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
    assert_eq!(
        app.declaration(&token, &returned).await["status"],
        "approved"
    );

    // A bad hours value: the browser refuses it before sending, and the photo stays chosen.
    d.goto(format!("{}/declarations/new", app.address))
        .await
        .unwrap();
    wait_for(&d, "新建学时申报").await;
    fill_declaration(&d, "两页证书的培训", &day, "7.55").await;
    let pages = [file_of(&png(23), ".png"), file_of(&png(24), ".png")];
    d.find(By::Id("certificate"))
        .await
        .unwrap()
        .send_keys(format!("{}\n{}", pages[0].display(), pages[1].display()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        js(
            &d,
            "return document.querySelectorAll('#certificate-preview img').length"
        )
        .await,
        json!(2),
        "both pages previewed"
    );
    click(&d, By::Css("button[value=submit]")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        d.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/declarations/new")
    );
    assert_eq!(
        js(&d, "return document.getElementById('hours').validity.valid").await,
        json!(false)
    );
    assert_eq!(
        js(
            &d,
            "return document.getElementById('certificate').files.length"
        )
        .await,
        json!(2),
        "the chosen photos are kept"
    );
    fill(&d, "hours", "7.5").await;
    click(&d, By::Css("button[value=submit]")).await;
    wait_for(&d, "申报已提交").await;
    let two = declaration_of(&app, &token, "两页证书的培训").await;
    let two = app.declaration(&token, two["id"].as_str().unwrap()).await;
    assert_eq!(two["evidence"].as_array().unwrap().len(), 2, "{two}");
    assert_eq!(two["hours"], json!(7.5));

    // 撤回 asks, then opens a copy to edit and submit again.
    click(&d, By::XPath("//button[contains(., '撤回申报')]")).await;
    let question = d.get_alert_text().await.unwrap();
    assert!(question.contains("确认撤回“两页证书的培训”"), "{question}");
    d.accept_alert().await.unwrap();
    let copy = wait_for(&d, "已复制为这份草稿").await;
    assert!(copy.contains("第 2 个文件"), "the files came along: {copy}");
    click(&d, By::Css("button[value=submit]")).await;
    wait_for(&d, "申报已提交").await;
    let list = app.api_get("/declarations", &token).await.expect(200);
    let statuses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["title"] == "两页证书的培训")
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"withdrawn") && statuses.contains(&"submitted"),
        "{statuses:?}"
    );

    // The same once more: refused as a duplicate, naming it, and kept as one draft that goes.
    d.goto(format!("{}/declarations/new", app.address))
        .await
        .unwrap();
    wait_for(&d, "新建学时申报").await;
    fill_declaration(&d, "两页证书的培训", &day, "7.5").await;
    let again = file_of(&png(25), ".png");
    d.find(By::Id("certificate"))
        .await
        .unwrap()
        .send_keys(again.display().to_string())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    click(&d, By::Css("button[value=submit]")).await;
    let refused = wait_for(&d, "未能提交").await;
    assert!(refused.contains("已保存为草稿"), "{refused}");
    assert!(d.find(By::LinkText("查看已有的申报")).await.is_ok());
    click(&d, By::XPath("//button[contains(., '删除草稿')]")).await;
    d.accept_alert().await.unwrap();
    wait_for(&d, "草稿已删除").await;
    let list = app
        .api_get("/declarations?status=draft", &token)
        .await
        .expect(200);
    assert_eq!(list["items"], json!([]), "no draft left behind");

    // A 12-megapixel photo is made a ≤ 2,000 px JPEG in the browser before it is sent.
    d.goto(format!("{}/declarations/new", app.address))
        .await
        .unwrap();
    wait_for(&d, "新建学时申报").await;
    let big = twelve_megapixel_photo();
    let original = std::fs::metadata(&big).unwrap().len();
    fill_declaration(&d, "手机拍摄的证书", &day, "8").await;
    d.find(By::Id("certificate"))
        .await
        .unwrap()
        .send_keys(big.display().to_string())
        .await
        .unwrap();
    let mut sent = Value::Null;
    for _ in 0..100 {
        sent = js(
            &d,
            "return document.getElementById('certificate').dataset.sentBytes || null",
        )
        .await;
        if !sent.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent: u64 = sent.as_str().unwrap().parse().unwrap();
    eprintln!(
        "12 MP photo: {original} bytes chosen, {sent} bytes sent ({:.0} % saved)",
        100.0 * (1.0 - sent as f64 / original as f64)
    );
    assert!(original > 3_000_000, "a phone-sized photo: {original}");
    assert!(sent < original / 3, "{sent} of {original}");
    click(&d, By::Css("button[value=save]")).await;
    wait_for(&d, "已保存").await;
    let saved = declaration_of(&app, &token, "手机拍摄的证书").await;
    let saved = app.declaration(&token, saved["id"].as_str().unwrap()).await;
    let stored = saved["evidence"][0]["size"].as_u64().unwrap();
    assert!(
        stored < original / 2,
        "{stored} stored of {original} chosen"
    );

    // The certificate of a verified year, from the results page.
    app.set_policy(2030, crate::helpers::policy(2030)).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    app.post(
        "/verifications/2030/run",
        &app.city_token,
        json!({ "force": true }),
    )
    .await
    .expect(200);
    d.goto(format!("{}/results", app.address)).await.unwrap();
    wait_for(&d, "下载2030年度合格证明").await;
    assert_eq!(small_targets(&d).await, json!([]), "on the results page");
    screenshot(&d, "teacher-results-phone").await;
    let href = d
        .find(By::PartialLinkText("下载2030年度合格证明"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let fetched = d
        .execute(
            "return fetch(arguments[0]).then(async (r) => [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength])",
            vec![json!(href)],
        )
        .await
        .unwrap()
        .json()
        .clone();
    assert_eq!(fetched[0], json!(200), "{fetched}");
    assert_eq!(fetched[1], json!("application/pdf"), "{fetched}");

    // Every other page the teacher reaches keeps its controls large enough to tap.
    for path in ["/declarations", "/records", "/notices", "/account/password"] {
        d.goto(format!("{}{path}", app.address)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(small_targets(&d).await, json!([]), "on {path}");
        assert!(fits_the_screen(&d).await, "{path}");
    }

    // An unknown address: the site's own page, in Chinese.
    d.goto(format!("{}/declarations/nope/nothing", app.address))
        .await
        .unwrap();
    let missing = wait_for(&d, "找不到该页面").await;
    assert!(missing.contains("返回首页"), "{missing}");
    d.quit().await.unwrap();
}

#[tokio::test]
async fn after_the_deadline_the_phone_shows_a_closed_form_instead_of_one_to_fill_in() {
    if !browser_available() {
        return;
    }
    let today = xueshi_domain::time_rules::business_date(time::OffsetDateTime::now_utc());
    if today.ordinal() == 1 {
        // On 1 January no deadline of the year can have passed yet.
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "从化").await;
    app.teacher(&t.school, "刘芳", 2).await;
    let year = today.year();
    let mut p = crate::helpers::policy(year);
    p["deadlines"]["declaration"] = json!(format!("{year}-01-01"));
    app.set_policy(year, p).await;
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    login(&d, &app, &id_number(2)).await.unwrap();
    let home = wait_for(&d, "过期不录").await;
    assert!(
        home.contains(&format!("已于 {year}年1月1日 截止")),
        "{home}"
    );
    assert!(
        d.find(By::LinkText("申报学时")).await.is_err(),
        "no button into a closed form"
    );
    d.goto(format!("{}/declarations/new", app.address))
        .await
        .unwrap();
    let closed = wait_for(&d, "过期不录").await;
    assert!(closed.contains("返回首页"), "{closed}");
    assert!(
        d.find(By::Id("title")).await.is_err(),
        "no fields to fill in"
    );
    assert_eq!(small_targets(&d).await, json!([]));
    screenshot(&d, "teacher-closed-phone").await;
    d.quit().await.unwrap();
}
