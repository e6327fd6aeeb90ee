//! The reviewers' and the city's screens in a real browser: the guarded verification run,
//! the queue with its thumbnails and badges, a batch that skips a warned item and says so,
//! the grouped warning naming the other declaration, and the next item after a decision.
//! `XUESHI_SCREENSHOTS=docs/screenshots` keeps the screenshots the docs show.

use std::time::Duration;

use serde_json::json;
use thirtyfour::prelude::*;

use crate::declaring::{form, pdf};
use crate::e2e::{browser, browser_available, fits_the_screen, login, screenshot, wait_for};
use crate::helpers::{PASSWORD, id_number, policy, spawn_app_with, tree};
use xueshi_server::config::AdminMfa;

/// Every image of the page has loaded with pixels (thumbnails are fetched lazily).
async fn images_loaded(d: &WebDriver, selector: &str) -> Vec<u64> {
    for _ in 0..50 {
        let widths = d
            .execute(
                "return [...document.querySelectorAll(arguments[0])].map(i => i.complete ? i.naturalWidth : -1)",
                vec![json!(selector)],
            )
            .await
            .unwrap();
        let widths: Vec<i64> = serde_json::from_value(widths.json().clone()).unwrap();
        if !widths.is_empty() && widths.iter().all(|w| *w >= 0) {
            return widths.into_iter().map(|w| w as u64).collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("images {selector} did not load");
}

#[tokio::test]
async fn the_city_runs_an_early_verification_only_when_confirmed_and_a_preview_writes_nothing() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "越秀").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    let result = format!("/teachers/{teacher}/verification/2030");
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "city").await.unwrap();
    d.goto(format!("{}/verification?year=2030", app.address))
        .await
        .unwrap();
    let text = wait_for(&d, "区（市）复审截止").await;
    assert!(
        text.contains("尚未截止") && text.contains("尚未运行") && text.contains("确需提前验证"),
        "{text}"
    );

    d.find(By::XPath("//button[contains(., '模拟验证 2030年度')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_for(&d, "模拟验证结果").await;
    assert!(
        text.contains("教师 1 人，合格 1 人") && text.contains("仅为模拟"),
        "{text}"
    );
    app.api_get(&result, &app.city_token)
        .await
        .expect_error(404, "not_found");

    // A wrong year is no confirmation.
    d.find(By::Id("confirm"))
        .await
        .unwrap()
        .send_keys("2029")
        .await
        .unwrap();
    d.find(By::XPath("//button[contains(., '提前运行')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_for(&d, "尚未结束").await;
    assert!(text.contains("2031年1月13日"), "{text}");
    app.api_get(&result, &app.city_token)
        .await
        .expect_error(404, "not_found");

    d.find(By::Id("confirm"))
        .await
        .unwrap()
        .send_keys("2030")
        .await
        .unwrap();
    d.find(By::XPath("//button[contains(., '提前运行')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_for(&d, "验证完成").await;
    assert!(
        text.contains("2030年度验证完成：教师 1 人，合格 1 人"),
        "{text}"
    );
    assert!(
        text.contains("由 city 运行（区（市）复审截止前提前运行）"),
        "the last run says who, and that it was early: {text}"
    );
    assert_eq!(
        app.api_get(&result, &app.city_token).await.expect(200)["passed"],
        true
    );
    screenshot(&d, "verification-run").await;
    d.quit().await.unwrap();
}

#[tokio::test]
async fn a_reviewer_sees_thumbnails_skips_a_warned_item_in_a_batch_and_goes_on_to_the_next() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "天河").await;
    app.set_policy(2030, policy(2030)).await;
    app.teacher(&t.school, "陈伟", 1).await;
    app.teacher(&t.school, "李小芳", 2).await;
    let first = app.login(&id_number(1), PASSWORD).await;
    let second = app.login(&id_number(2), PASSWORD).await;
    let copied = app.submitted(&first, "广州市骨干教师培训班", 1).await;
    let with_pdf = app
        .declare(
            &first,
            form("小学语文阅读教学研修", "2030-04-01", "2030-04-03"),
        )
        .await;
    app.upload(
        &first,
        &with_pdf,
        "certificate",
        "证书.pdf",
        pdf("reading course"),
    )
    .await
    .expect(201);
    app.submit(&first, &with_pdf).await.expect(200);
    // Another teacher hands in the very same file.
    let theirs = app
        .ready(
            &second,
            form("信息技术应用能力提升", "2030-05-01", "2030-05-03"),
            1,
        )
        .await;
    app.submit(&second, &theirs).await.expect(200);
    app.images_hashed().await;

    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "天河_school").await.unwrap();
    d.goto(format!("{}/review", app.address)).await.unwrap();
    let queue = wait_for(&d, "3 份待审核").await;
    assert!(
        queue.contains("同文件") && queue.contains("天河小学"),
        "{queue}"
    );
    let widths = images_loaded(&d, "td.thumb img").await;
    assert_eq!(widths.len(), 3);
    assert!(
        widths.iter().all(|w| *w > 0),
        "image and PDF thumbnails both load: {widths:?}"
    );
    screenshot(&d, "review-queue").await;
    // On a phone the queue is a list of cards that fits the screen.
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    assert!(
        fits_the_screen(&d).await,
        "the queue scrolls sideways on a phone"
    );
    screenshot(&d, "review-queue-phone").await;
    d.set_window_rect(0, 0, 1280, 900).await.unwrap();

    // Select all and approve: the warned items are skipped, and the page says why.
    d.find(By::Css("input[data-select-all]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let line = d
        .find(By::Css("[data-selection]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        line.contains("已选 3 份，共 72 学时") && line.contains("2 份"),
        "{line}"
    );
    d.find(By::Css("button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let question = d.get_alert_text().await.unwrap();
    assert!(
        question.contains("其中 2 份有待核对的提示未勾选，将跳过"),
        "{question}"
    );
    d.accept_alert().await.unwrap();
    let report = wait_for(&d, "批量审核通过结果").await;
    assert!(
        report.contains("已审核通过 1 份，共 24 学时；跳过 2 份")
            && report.contains("小学语文阅读教学研修")
            && report.contains("有未核对的提示"),
        "{report}"
    );
    screenshot(&d, "review-batch-result").await;

    // The warning names the other declaration, with a link to it.
    d.goto(format!("{}/review/{copied}", app.address))
        .await
        .unwrap();
    let text = wait_for(&d, "审核提示").await;
    assert!(text.contains("另外 1 名教师"), "{text}");
    let link = d.find(By::Css("#warnings ul.others a")).await.unwrap();
    assert!(
        link.text()
            .await
            .unwrap()
            .contains("李*芳 · 天河小学 · 待学校初审")
    );
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(format!("/review/{theirs}").as_str())
    );
    screenshot(&d, "review-page-desktop").await;

    // On a phone the decision stays on screen, and after it the next item opens.
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    assert!(
        fits_the_screen(&d).await,
        "the review page scrolls sideways on a phone"
    );
    let in_view = d
        .execute(
            "const r = document.querySelector('#decide button[value=approve]').getBoundingClientRect(); \
             return r.top >= 0 && r.bottom <= window.innerHeight",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        in_view.json(),
        &json!(true),
        "the decision is in view on a phone"
    );
    screenshot(&d, "review-page-phone").await;
    d.find(By::Css("#decide button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let next = wait_for(&d, "已打开队列中的下一份").await;
    assert!(next.contains("信息技术应用能力提升"), "{next}");
    d.quit().await.unwrap();
}
