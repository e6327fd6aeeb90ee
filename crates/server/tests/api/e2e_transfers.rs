//! 调动申请 in a real browser: the school picks the district and the school and confirms,
//! naming the teacher; the receiving district approves after a question naming the teacher
//! and both schools. `XUESHI_SCREENSHOTS=docs/screenshots` keeps the screenshots.

use std::time::Duration;

use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

use crate::e2e::{browser, browser_available, fits_the_screen, login, screenshot, wait_for};
use crate::helpers::{spawn_app_with, tree};
use xueshi_server::config::AdminMfa;

async fn school_of(app: &crate::helpers::TestApp, teacher: &str) -> String {
    app.api_get(&format!("/teachers/{teacher}"), &app.city_token)
        .await
        .expect(200)["school_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn choose(d: &WebDriver, select_id: &str, text: &str) {
    let select = d.find(By::Id(select_id)).await.unwrap();
    SelectElement::new(&select)
        .await
        .unwrap()
        .select_by_exact_text(text)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_school_requests_a_transfer_and_the_receiving_district_approves_it_asked_first() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let a = tree(&app, "白云").await;
    let b = tree(&app, "花都").await;
    app.school(&b.district, "花都区第二小学").await;
    let teacher = app.teacher(&a.school, "黄丽", 7).await;
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "白云_school").await.unwrap();

    d.goto(format!("{}/teachers/{teacher}", app.address))
        .await
        .unwrap();
    wait_for(&d, "提交调动申请").await;
    choose(&d, "transfer_district", "花都区").await;
    d.find(By::Css("#transfer form[method=get] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&d, "花都区第二小学").await;
    choose(&d, "school_id", "花都小学").await;
    d.find(By::Id("reason"))
        .await
        .unwrap()
        .send_keys("工作调动")
        .await
        .unwrap();
    let submit = By::XPath("//button[contains(., '提交调动申请')]");
    d.find(submit.clone()).await.unwrap().click().await.unwrap();
    let question = d.get_alert_text().await.unwrap();
    assert!(question.contains("确认申请将教师“黄丽”调入"), "{question}");
    d.dismiss_alert().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let none = app
        .api_get("/transfer-requests", &a.school_token)
        .await
        .expect(200);
    assert_eq!(
        none["items"],
        serde_json::json!([]),
        "dismissed: nothing filed"
    );
    d.find(submit).await.unwrap().click().await.unwrap();
    d.accept_alert().await.unwrap();
    let text = wait_for(&d, "调动申请已提交").await;
    assert!(text.contains("已申请调入“花都小学”"), "{text}");
    screenshot(&d, "transfer-request").await;

    login(&d, &app, "花都_district").await.unwrap();
    let text = wait_for(&d, "待审批调动申请 1 份").await;
    assert!(text.contains("待审批调动申请 1 份"), "{text}");
    d.find(By::LinkText("去审批"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&d, "白云小学 → 花都小学").await;
    screenshot(&d, "transfers").await;
    d.find(By::XPath("//button[contains(., '批准调动')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let question = d.get_alert_text().await.unwrap();
    assert!(
        question.contains("确认批准将教师“黄丽”从“白云小学”调入“花都小学”"),
        "{question}"
    );
    d.accept_alert().await.unwrap();
    wait_for(&d, "已批准调动").await;
    assert_eq!(school_of(&app, &teacher).await, b.school);

    // On a phone the list still fits.
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    d.goto(format!("{}/transfers?status=all", app.address))
        .await
        .unwrap();
    wait_for(&d, "已调动").await;
    assert!(fits_the_screen(&d).await);
    screenshot(&d, "transfers-phone").await;
    d.quit().await.unwrap();
}
