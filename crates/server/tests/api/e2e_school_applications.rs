//! 学校注册申请 in a real browser: on a phone, a school opens the form from the login page and
//! applies; the district approves in its queue after a question naming the school, reads the
//! temporary password once, and the new administrator's first login asks for a second factor.
//! `XUESHI_SCREENSHOTS=docs/screenshots` keeps the screenshots.

use thirtyfour::prelude::*;

use crate::e2e::{
    browser, browser_available, click, fits_the_screen, login, screenshot, type_into, wait_for,
};
use crate::helpers::{spawn_app_with, tree};
use xueshi_server::config::AdminMfa;

async fn choose(d: &WebDriver, id: &str, label: &str) {
    let select = d.find(By::Id(id)).await.unwrap();
    select
        .find(By::XPath(format!(
            ".//option[normalize-space(.)='{label}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_school_applies_on_a_phone_and_the_district_approves_it() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let _t = tree(&app, "白云").await;
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    d.goto(format!("{}/", app.address)).await.unwrap();
    click(&d, By::LinkText("学校注册申请")).await;
    wait_for(&d, "提交申请").await;
    type_into(&d, "name", "白云区石井小学").await;
    choose(&d, "district_id", "白云区").await;
    choose(&d, "ownership", "民办").await;
    choose(&d, "school_type", "小学").await;
    type_into(&d, "contact_name", "黄丽").await;
    type_into(&d, "contact_phone", "13711112222").await;
    type_into(&d, "admin_username", "baiyun_sj").await;
    assert!(fits_the_screen(&d).await);
    screenshot(&d, "school-apply-phone").await;
    click(&d, By::XPath("//button[contains(., '提交申请')]")).await;
    let text = wait_for(&d, "注册申请已提交").await;
    assert!(
        text.contains("等待白云区教育局审核") && text.contains("137****2222"),
        "{text}"
    );
    screenshot(&d, "school-apply-sent-phone").await;

    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "白云_district").await.unwrap();
    wait_for(&d, "待审核学校注册申请 1 份").await;
    click(&d, By::Css("#applications-todo a.button")).await;
    wait_for(&d, "白云区石井小学").await;
    screenshot(&d, "school-applications").await;
    click(&d, By::XPath("//button[contains(., '通过并创建学校')]")).await;
    let question = d.get_alert_text().await.unwrap();
    assert!(
        question.contains("确认通过“白云区石井小学”的注册申请") && question.contains("baiyun_sj"),
        "{question}"
    );
    d.accept_alert().await.unwrap();
    wait_for(&d, "只显示这一次").await;
    let password = d
        .find(By::Css("#approved .secret code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(password.len() >= 10, "{password}");
    screenshot(&d, "school-application-approved").await;

    // The new administrator's first login: the temporary password, then a second factor.
    d.delete_all_cookies().await.unwrap();
    d.set_window_rect(0, 0, 390, 844).await.unwrap();
    d.goto(format!("{}/", app.address)).await.unwrap();
    type_into(&d, "username", "baiyun_sj").await;
    type_into(&d, "password", &password).await;
    click(&d, By::Css("form button[type=submit]")).await;
    for _ in 0..50 {
        if d.current_url().await.unwrap().path() == "/login/mfa" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(d.current_url().await.unwrap().path(), "/login/mfa");
    d.quit().await.unwrap();
}
