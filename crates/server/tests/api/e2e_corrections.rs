//! 更正申请 in a real browser: a teacher asks on 我的信息 for their ID number to be corrected,
//! the district approves after a question naming the change, and the teacher logs in with the
//! corrected number. `XUESHI_SCREENSHOTS=docs/screenshots` keeps the screenshots.

use thirtyfour::prelude::*;

use crate::e2e::{browser, browser_available, fits_the_screen, login, screenshot, wait_for};
use crate::helpers::{id_number, spawn_app_with, tree};
use xueshi_server::config::AdminMfa;

#[tokio::test]
async fn a_teacher_corrects_their_id_number_and_logs_in_with_it_once_approved() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "番禺").await;
    let teacher = app.teacher(&t.school, "郭洁", 7).await;
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    login(&d, &app, &id_number(7)).await.unwrap();
    d.find(By::LinkText("我的信息"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&d, "申请更正").await;
    let corrected = id_number(8);
    d.find(By::Id("id_number"))
        .await
        .unwrap()
        .send_keys(&corrected)
        .await
        .unwrap();
    d.find(By::Id("reason"))
        .await
        .unwrap()
        .send_keys("身份证号录入错误")
        .await
        .unwrap();
    d.find(By::XPath("//button[contains(., '提交更正申请')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    d.accept_alert().await.unwrap();
    let text = wait_for(&d, "待区教育局审核").await;
    assert!(text.contains("更正申请已提交"), "{text}");
    assert!(fits_the_screen(&d).await);
    screenshot(&d, "profile-correction-phone").await;

    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "番禺_district").await.unwrap();
    wait_for(&d, "待审核更正申请 1 份").await;
    d.find(By::LinkText("去审核"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&d, "身份证号：").await;
    screenshot(&d, "corrections").await;
    d.find(By::XPath("//button[contains(., '通过并更正')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let question = d.get_alert_text().await.unwrap();
    assert!(
        question.contains("确认按申请更正教师“郭洁”的信息（身份证号："),
        "{question}"
    );
    d.accept_alert().await.unwrap();
    wait_for(&d, "已按申请更正").await;

    // The teacher's login is now the corrected number.
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    login(&d, &app, &corrected).await.unwrap();
    let who = d
        .find(By::Css(".who .me"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(who.contains("郭洁"), "{who}");
    let now = app
        .api_get(&format!("/teachers/{teacher}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(now["id_number"], corrected);
    d.quit().await.unwrap();
}
