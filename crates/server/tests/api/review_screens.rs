//! The reviewers' screens without a browser: the queue's thumbnails and badges, the batch
//! that asks first and skips what was not checked, and the next item after a decision.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE};

use crate::declaring::{form, pdf, scene};
use crate::form_session::{Session, page, post, session};
use crate::helpers::{PASSWORD, TestApp, id_number};

/// The thumbnail as the browser loads it: a JPEG no larger than the queue's size.
async fn thumbnail(app: &TestApp, s: &Session, url: &str) -> (StatusCode, Option<(u32, u32)>) {
    let resp = app
        .client
        .get(format!("{}{url}", app.address))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    if status != StatusCode::OK {
        return (status, None);
    }
    assert_eq!(resp.headers()[CONTENT_TYPE], "image/jpeg");
    let bytes = resp.bytes().await.unwrap();
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).unwrap();
    (status, Some((image.width(), image.height())))
}

fn thumbnail_urls(html: &str) -> Vec<String> {
    html.split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|src| src.contains("/thumbnail"))
        .map(|src| src.replace("&amp;", "&"))
        .collect()
}

fn status_of(d: &serde_json::Value) -> &str {
    d["status"].as_str().unwrap()
}

#[tokio::test]
async fn the_queue_shows_thumbnails_and_badges_and_a_batch_skips_what_was_not_checked() {
    let s = scene("白云").await;
    let app = &s.app;
    let copied = app.submitted(&s.token, "甲培训", 1).await;
    let clean = app
        .ready(&s.token, form("乙培训", "2030-04-01", "2030-04-03"), 2)
        .await;
    app.submit(&s.token, &clean).await.expect(200);
    // Another teacher hands in the very same file.
    app.teacher(&s.tree.school, "第二位", 2).await;
    let second = app.login(&id_number(2), PASSWORD).await;
    let theirs = app
        .ready(&second, form("丙培训", "2030-05-01", "2030-05-03"), 1)
        .await;
    app.submit(&second, &theirs).await.expect(200);
    app.images_hashed().await;

    let school = session(app, "白云_school").await;
    let (_, html) = page(app, &school, "/review").await;
    assert!(html.contains("3 份待审核"), "{html}");
    assert!(
        html.contains("同文件") && html.contains("已核对提示"),
        "{html}"
    );
    let urls = thumbnail_urls(&html);
    assert_eq!(urls.len(), 3, "{html}");
    let (status, size) = thumbnail(app, &school, &urls[0]).await;
    assert_eq!(status, 200);
    let (w, h) = size.unwrap();
    assert!(w <= 320 && h <= 320 && w > 0, "{w}×{h}");
    // Another school's administrator sees no thumbnail of it.
    crate::helpers::tree(app, "花都").await;
    let stranger = session(app, "花都_school").await;
    assert_eq!(thumbnail(app, &stranger, &urls[0]).await.0, 404);

    // Asked first: nothing happens until confirmed.
    let batch = [
        ("ids", copied.as_str()),
        ("ids", clean.as_str()),
        ("decision", "approve"),
    ];
    let (status, html, _) = post(app, &school, "/review/batch", &batch).await;
    assert_eq!(status, 200);
    assert!(html.contains("将审核通过 1 份申报，共 24 学时"), "{html}");
    assert!(
        html.contains("跳过（须逐份核对）") && html.contains("甲培训"),
        "{html}"
    );
    let d = app.declaration(&s.token, &clean).await;
    assert_eq!(status_of(&d), "submitted", "nothing done unconfirmed");

    let mut confirmed = batch.to_vec();
    confirmed.push(("confirmed", "1"));
    let (_, html, _) = post(app, &school, "/review/batch", &confirmed).await;
    assert!(
        html.contains("已审核通过 1 份，共 24 学时；跳过 1 份"),
        "{html}"
    );
    assert!(
        html.contains("有未核对的提示") && html.contains("完全相同"),
        "{html}"
    );
    assert_eq!(
        status_of(&app.declaration(&s.token, &clean).await),
        "school_approved"
    );
    assert_eq!(
        status_of(&app.declaration(&s.token, &copied).await),
        "submitted"
    );

    // The queue looks back at what was done, too.
    let (_, html) = page(app, &school, "/review?status=school_approved").await;
    assert!(
        html.contains("乙培训") && !html.contains("丙培训"),
        "{html}"
    );
    let (status, _) = page(app, &school, "/review?status=nonsense").await;
    assert_eq!(status, 400);

    // Ticked as checked, one by one, it goes through.
    let ticked = [
        ("ids", copied.as_str()),
        ("checked", copied.as_str()),
        ("decision", "approve"),
        ("confirmed", "1"),
    ];
    let (_, html, _) = post(app, &school, "/review/batch", &ticked).await;
    assert!(html.contains("已审核通过 1 份"), "{html}");
    assert_eq!(
        status_of(&app.declaration(&s.token, &copied).await),
        "school_approved"
    );
}

#[tokio::test]
async fn a_pdf_certificate_has_a_thumbnail_of_its_first_page() {
    let has_poppler = std::path::Path::new("/usr/bin/pdftoppm").exists();
    if !has_poppler {
        assert!(
            std::env::var("XUESHI_REQUIRE_BROWSER").is_err(),
            "CI installs poppler-utils"
        );
        eprintln!("note: PDF thumbnails skipped (install poppler-utils)");
        return;
    }
    let s = scene("南沙").await;
    let app = &s.app;
    let id = app
        .declare(&s.token, form("PDF 证书的培训", "2030-03-01", "2030-03-02"))
        .await;
    app.upload(
        &s.token,
        &id,
        "certificate",
        "证书.pdf",
        pdf("certificate page"),
    )
    .await
    .expect(201);
    app.submit(&s.token, &id).await.expect(200);
    let school = session(app, "南沙_school").await;
    let (_, html) = page(app, &school, "/review").await;
    assert!(html.contains("PDF 证书首页"), "{html}");
    let urls = thumbnail_urls(&html);
    assert_eq!(urls.len(), 1, "{html}");
    let (status, size) = thumbnail(app, &school, &urls[0]).await;
    assert_eq!(status, 200);
    let (w, h) = size.unwrap();
    assert!(w.max(h) == 320, "{w}×{h}");
    // The review page shows the first page large instead of an empty box.
    let (_, html) = page(app, &school, &format!("/review/{id}")).await;
    let large: Vec<String> = thumbnail_urls(&html)
        .into_iter()
        .filter(|u| u.ends_with("size=large"))
        .collect();
    assert_eq!(large.len(), 1, "{html}");
    let (status, size) = thumbnail(app, &school, &large[0]).await;
    assert_eq!(status, 200);
    assert!(size.unwrap().0 > 320);
    assert!(html.contains("下载 PDF 查看全部页"));
}

#[tokio::test]
async fn after_a_decision_the_next_item_of_the_same_queue_opens() {
    let s = scene("荔湾").await;
    let app = &s.app;
    let first = app.submitted(&s.token, "第一份", 1).await;
    let second = app
        .ready(&s.token, form("第二份", "2030-04-01", "2030-04-02"), 2)
        .await;
    app.submit(&s.token, &second).await.expect(200);
    let school = session(app, "荔湾_school").await;

    // A rejection without a reason keeps what was written and says why, in the panel.
    let (status, html, _) = post(
        app,
        &school,
        &format!("/review/{first}"),
        &[
            ("decision", "reject"),
            ("comment", "材料不清楚"),
            ("filters", "category=professional"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"decide-error\"") && html.contains("材料不清楚"),
        "{html}"
    );

    let (status, _, location) = post(
        app,
        &school,
        &format!("/review/{first}"),
        &[
            ("decision", "approve"),
            ("filters", "category=professional"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some(format!("/review/{second}?category=professional&done=reviewed_next").as_str())
    );
    let (_, html) = page(app, &school, location.as_deref().unwrap()).await;
    assert!(
        html.contains("已打开队列中的下一份") && html.contains("第二份"),
        "{html}"
    );
    let (_, _, location) = post(
        app,
        &school,
        &format!("/review/{second}"),
        &[
            ("decision", "approve"),
            ("filters", "category=professional"),
        ],
    )
    .await;
    assert_eq!(
        location.as_deref(),
        Some("/review?category=professional&done=reviewed")
    );
}
