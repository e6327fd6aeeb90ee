//! The screens for the API's jobs, without a browser: 数据与证书 (provincial export,
//! certificates, the roster check), 取消学时登记 from a teacher's records, and the audit
//! log's filters.

use reqwest::header::{CONTENT_TYPE, COOKIE};
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::form_session::{page, post, session};
use crate::helpers::{id_number, policy, spawn_app, tree};

/// The hrefs of the page that contain `needle`, unescaped.
fn links(html: &str, needle: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.contains(needle))
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

#[tokio::test]
async fn a_district_exports_for_the_province_downloads_certificates_and_checks_the_roster() {
    let app = spawn_app().await;
    let t = tree(&app, "增城").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    app.teacher(&t.school, "王强", 2).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    let s = session(&app, "增城_district").await;

    let (status, html) = page(&app, &s, "/exports?year=2030").await;
    assert_eq!(status, 200);
    assert!(html.contains("2030年度尚未进行年度验证"), "{html}");
    assert!(
        links(&html, "/provincial").is_empty(),
        "no export before the verification"
    );

    app.post(
        "/verifications/2030/run",
        &app.city_token,
        json!({"force": true}),
    )
    .await
    .expect(200);
    let (_, html) = page(&app, &s, "/exports?year=2030").await;
    assert!(html.contains("文件含完整身份证号"), "{html}");
    let export = links(&html, "/provincial?format=xlsx");
    assert_eq!(export.len(), 1, "{html}");
    let resp = app
        .client
        .get(format!("{}{}", app.address, export[0]))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        app.audit_actions("2030")
            .await
            .contains(&"export.provincial".to_string())
    );
    let zip = links(&html, "certificates/2030.zip");
    assert!(!zip.is_empty(), "{html}");
    let resp = app
        .client
        .get(format!("{}{}", app.address, zip[0]))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[CONTENT_TYPE], "application/zip");

    // One teacher's certificate, from the teacher's registry page.
    let (_, html) = page(&app, &s, &format!("/teachers/{teacher}")).await;
    let single = links(&html, "/certificates/2030.pdf");
    assert_eq!(single.len(), 1, "{html}");
    let resp = app
        .client
        .get(format!("{}{}", app.address, single[0]))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[CONTENT_TYPE], "application/pdf");

    // The roster check: one teacher under another name in the province, one missing.
    let roster = format!("姓名,身份证号\n陈小伟,{}\n", id_number(1));
    let upload = |format: &'static str| {
        let form = Form::new()
            .text("csrf", s.csrf.clone())
            .text("year", "2030")
            .text("format", format)
            .part(
                "file",
                Part::bytes(roster.clone().into_bytes()).file_name("roster.csv"),
            );
        app.client
            .post(format!("{}/exports/reconciliation", app.address))
            .header(COOKIE, &s.cookie)
            .multipart(form)
            .send()
    };
    let resp = upload("page").await.unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("未在省平台注册 1 人，姓名不一致 1 人") && html.contains("陈小伟"),
        "{html}"
    );
    assert!(html.contains(&xueshi_domain::IdNumber::mask_str(&id_number(2))));
    assert!(!html.contains(&id_number(2)), "ID numbers are masked");
    let resp = upload("xlsx").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    // No file: said beside the field.
    let form = Form::new()
        .text("csrf", s.csrf.clone())
        .text("format", "page");
    let resp = app
        .client
        .post(format!("{}/exports/reconciliation", app.address))
        .header(COOKIE, &s.cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("请选择省平台导出的教师名册文件")
    );

    // A school administrator checks its roster there too, but exports nothing.
    let school = session(&app, "增城_school").await;
    let (status, html) = page(&app, &school, "/exports?year=2030").await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("导出省平台数据") && html.contains("下载本校"),
        "{html}"
    );
}

#[tokio::test]
async fn a_district_revokes_a_record_from_the_teachers_page_giving_a_reason() {
    let app = spawn_app().await;
    let t = tree(&app, "从化").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&teacher, 2030, 0.0, 42.0, 0.0).await;
    let records = app
        .api_get(&format!("/teachers/{teacher}/records"), &app.city_token)
        .await
        .expect(200);
    let record = records["items"][0]["id"].as_str().unwrap().to_owned();

    let school = session(&app, "从化_school").await;
    let (_, html) = page(&app, &school, &format!("/teachers/{teacher}")).await;
    assert!(
        html.contains("学时记录") && !html.contains("取消该学时登记"),
        "{html}"
    );

    let s = session(&app, "从化_district").await;
    let (_, html) = page(&app, &s, &format!("/teachers/{teacher}")).await;
    assert!(
        html.contains("取消该学时登记") && html.contains("data-confirm=\"确认取消"),
        "{html}"
    );
    let path = format!("/teachers/{teacher}/records/{record}/revoke");
    let (status, html, _) = post(&app, &s, &path, &[("reason", " ")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("取消原因"), "{html}");
    let (status, _, location) = post(
        &app,
        &s,
        &path,
        &[("reason", "重复申报，一经查实取消学时登记")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &s, location.as_deref().unwrap()).await;
    assert!(
        html.contains("已取消该学时登记") && html.contains("已取消（重复申报"),
        "{html}"
    );
    // A record of another teacher cannot be revoked through this one's page.
    let other = app.teacher(&t.school, "王强", 2).await;
    let (status, _, _) = post(
        &app,
        &s,
        &format!("/teachers/{other}/records/{record}/revoke"),
        &[("reason", "x")],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_audit_log_filters_by_action_actor_and_date() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    app.teacher(&t.school, "陈伟", 1).await;
    let s = session(&app, "city").await;
    let (_, html) = page(&app, &s, "/audit?action=teacher.create").await;
    assert!(
        html.contains("<td>登记教师</td>") && !html.contains("<td>登记单位</td>"),
        "{html}"
    );
    let (_, html) = page(&app, &s, "/audit?actor=city&action=teacher.create").await;
    assert!(html.contains("<td>登记教师</td>"), "{html}");
    let (_, html) = page(&app, &s, "/audit?actor=南沙_district&action=teacher.create").await;
    assert!(
        html.contains("没有符合条件的记录"),
        "the district created no teacher: {html}"
    );
    let (_, html) = page(&app, &s, "/audit?actor=nobody").await;
    assert!(html.contains("没有账号“nobody”"), "{html}");
    let (_, html) = page(&app, &s, "/audit?from=2020-01-01&to=2020-12-31").await;
    assert!(html.contains("没有符合条件的记录"), "{html}");
    let (_, html) = page(&app, &s, "/audit?from=2020-13-01").await;
    assert!(html.contains("日期应为 YYYY-MM-DD"), "{html}");
    // The API takes the same filters.
    let listed = app
        .api_get(
            "/audit?action=teacher.create&from=2020-01-01",
            &app.city_token,
        )
        .await
        .expect(200);
    let items = listed["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.iter().all(|e| e["action"] == "teacher.create"));
    app.api_get("/audit?to=31-12-2020", &app.city_token)
        .await
        .expect_error(422, "invalid");
}
