//! The district's job screens in a real browser: archiving a school asks first and names it,
//! 取消学时登记 asks naming the record, the roster check shows its lists, and the audit log
//! filters by action. `XUESHI_SCREENSHOTS=docs/screenshots` keeps the screenshots.

use std::time::Duration;

use serde_json::json;
use thirtyfour::prelude::*;

use crate::e2e::{browser, browser_available, login, screenshot, wait_for};
use crate::helpers::{id_number, policy, spawn_app_with, tree};
use xueshi_server::config::AdminMfa;

async fn school_status(app: &crate::helpers::TestApp, id: &str) -> String {
    app.api_get(&format!("/orgs/{id}"), &app.city_token)
        .await
        .expect(200)["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_district_archives_revokes_checks_the_roster_and_reads_the_audit_asked_first_each_time() {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "黄埔").await;
    let spare = app.school(&t.district, "黄埔区第二小学").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&teacher, 2030, 0.0, 42.0, 0.0).await;
    let (_chromedriver, d) = browser().await;
    d.set_window_rect(0, 0, 1280, 900).await.unwrap();
    login(&d, &app, "黄埔_district").await.unwrap();

    // Archiving asks first, naming the school; cancelled, nothing happens.
    d.goto(format!("{}/schools", app.address)).await.unwrap();
    wait_for(&d, "黄埔区第二小学").await;
    let archive = By::XPath("//tr[td[contains(., '黄埔区第二小学')]]//button[contains(., '注销')]");
    d.find(archive.clone())
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let question = d.get_alert_text().await.unwrap();
    assert!(question.contains("确认注销“黄埔区第二小学”"), "{question}");
    d.dismiss_alert().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(school_status(&app, &spare).await, "active");
    d.find(archive).await.unwrap().click().await.unwrap();
    d.accept_alert().await.unwrap();
    wait_for(&d, "已更新").await;
    assert_eq!(school_status(&app, &spare).await, "archived");

    // 取消学时登记 from the teacher's records: a reason, then the question naming it.
    d.goto(format!("{}/teachers/{teacher}", app.address))
        .await
        .unwrap();
    wait_for(&d, "学时记录").await;
    d.find(By::Css("#records summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    d.find(By::Css("#records textarea"))
        .await
        .unwrap()
        .send_keys("重复申报，一经查实取消学时登记")
        .await
        .unwrap();
    d.find(By::Css("#records button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let question = d.get_alert_text().await.unwrap();
    assert!(question.contains("2030年度 42 学时"), "{question}");
    d.accept_alert().await.unwrap();
    let text = wait_for(&d, "已取消该学时登记").await;
    assert!(text.contains("已取消（重复申报"), "{text}");

    // The roster check on 数据与证书.
    app.post(
        "/verifications/2030/run",
        &app.city_token,
        json!({"force": true}),
    )
    .await
    .expect(200);
    d.goto(format!("{}/exports?year=2030", app.address))
        .await
        .unwrap();
    let text = wait_for(&d, "导出省平台数据").await;
    assert!(
        text.contains("文件含完整身份证号") && text.contains("下载 Excel"),
        "{text}"
    );
    let roster = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(
        roster.path(),
        format!("姓名,身份证号\n陈小伟,{}\n", id_number(1)),
    )
    .unwrap();
    d.find(By::Id("file"))
        .await
        .unwrap()
        .send_keys(roster.path().display().to_string())
        .await
        .unwrap();
    d.find(By::Css("#reconcile button[value=page]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_for(&d, "姓名不一致 1 人").await;
    assert!(text.contains("陈小伟"), "{text}");
    screenshot(&d, "exports").await;

    // The audit log, filtered by action.
    d.goto(format!("{}/audit", app.address)).await.unwrap();
    wait_for(&d, "审计日志").await;
    d.find(By::Css("#action option[value='record.revoke']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    d.find(By::Css(".audit-filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let text = wait_for(&d, "取消学时登记").await;
    let rows = d.find_all(By::Css("table.list tbody tr")).await.unwrap();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].text().await.unwrap().contains("黄埔_district"));
    screenshot(&d, "audit").await;
    d.quit().await.unwrap();
}
