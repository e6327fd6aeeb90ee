//! 提醒教师更正: the roster check's findings are kept, listed on 数据与证书 with a reminder a
//! school sends the teacher (a message on their home page), shown beside the teacher's
//! correction request, and cleared once the correction is approved.

use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::form_session::{page, post, session};
use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app, tree};

async fn check_roster(app: &TestApp, token: &str, rows: &[(&str, String)]) {
    let mut text = String::from("姓名,身份证号\n");
    for (name, id) in rows {
        text.push_str(&format!("{name},{id}\n"));
    }
    let form = Form::new().part(
        "file",
        Part::bytes(text.into_bytes()).file_name("roster.csv"),
    );
    let resp = app
        .client
        .post(format!("{}/api/v1/reconciliation", app.address))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_finding_is_reminded_shown_beside_the_correction_and_cleared_by_it() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    let renamed = app.teacher(&t.school, "王强", 3).await;
    let fine = app.teacher(&t.school, "陈伟", 1).await;
    let missing = app.teacher(&t.school, "李芳", 2).await;
    check_roster(
        &app,
        &t.school_token,
        &[("王小强", id_number(3)), ("陈伟", id_number(1))],
    )
    .await;

    let school = session(&app, "南沙_school").await;
    let (_, exports) = page(&app, &school, "/exports").await;
    assert!(exports.contains("需核对的教师 2 人"), "{exports}");
    assert!(exports.contains("省平台名册中的姓名为“王小强”"));
    assert!(exports.contains("省平台名册中没有该身份证号"));
    assert!(!exports.contains(&format!("finding-{fine}")));

    // Nothing to remind a teacher the check found nothing about; another district sees nobody.
    app.post(
        &format!("/teachers/{fine}/correction-reminder"),
        &t.school_token,
        json!({}),
    )
    .await
    .expect_error(409, "conflict");
    let other = tree(&app, "增城").await;
    app.post(
        &format!("/teachers/{renamed}/correction-reminder"),
        &other.school_token,
        json!({}),
    )
    .await
    .expect_error(404, "not_found");

    let (status, _, location) = post(
        &app,
        &school,
        &format!("/teachers/{renamed}/correction-reminder"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location.as_deref(),
        Some("/exports?done=correction_reminded")
    );
    // Once a day.
    app.post(
        &format!("/teachers/{renamed}/correction-reminder"),
        &t.school_token,
        json!({}),
    )
    .await
    .expect_error(409, "conflict");
    assert!(
        app.audit_actions(&renamed)
            .await
            .contains(&"teacher.correction_reminder".to_owned())
    );

    // The teacher reads it at home and asks for the correction.
    let teacher = session(&app, &id_number(3)).await;
    let (_, home) = page(&app, &teacher, "/home").await;
    assert!(home.contains("请核对并更正个人信息"), "{home}");
    assert!(home.contains("与平台登记的“王强”不一致"));
    let token = app.login(&id_number(3), PASSWORD).await;
    let asked = app
        .post(
            &format!("/teachers/{renamed}/corrections"),
            &token,
            json!({ "name": "王小强", "reason": "与身份证一致" }),
        )
        .await
        .expect(201);
    let (_, exports) = page(&app, &school, "/exports").await;
    assert!(exports.contains("更正申请待审核"));

    // The district sees the finding beside the request, and approving clears it.
    let district = session(&app, "南沙_district").await;
    let (_, queue) = page(&app, &district, "/corrections").await;
    assert!(
        queue.contains("省平台名册核对：省平台名册中的姓名为“王小强”"),
        "{queue}"
    );
    let id = asked["id"].as_str().unwrap();
    app.post(
        &format!("/corrections/{id}/review"),
        &t.district_token,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
    let (_, exports) = page(&app, &school, "/exports").await;
    assert!(exports.contains("需核对的教师 1 人"), "{exports}");
    assert!(exports.contains(&format!("finding-{missing}")));
    assert!(!exports.contains(&format!("finding-{renamed}")));

    // 知道了 marks the message read: home no longer shows it.
    let message = home
        .split("/messages/")
        .nth(1)
        .and_then(|p| p.split('/').next())
        .unwrap()
        .to_owned();
    let (status, _, _) = post(&app, &teacher, &format!("/messages/{message}/read"), &[]).await;
    assert_eq!(status, 303);
    let (_, home) = page(&app, &teacher, "/home").await;
    assert!(!home.contains("请核对并更正个人信息"), "{home}");
}
