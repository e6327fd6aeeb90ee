//! Correction requests (更正申请): a teacher asks for their name or ID number to be
//! corrected, the district (the city for a city-affiliated school) decides, and an approval
//! changes the record as an administrator's correction does — the login moves with it.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app, tree};

async fn ask(
    app: &TestApp,
    token: &str,
    teacher: &str,
    body: serde_json::Value,
) -> crate::helpers::Answer {
    app.post(&format!("/teachers/{teacher}/corrections"), token, body)
        .await
}

#[tokio::test]
async fn a_corrected_id_number_becomes_the_login_once_the_district_approves() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    let token = app.login(&id_number(1), PASSWORD).await;
    let created = ask(
        &app,
        &token,
        &teacher,
        json!({ "name": "陈玮", "id_number": id_number(2), "reason": "身份证号录入错误" }),
    )
    .await
    .expect(201);
    assert_eq!(created["status"], "pending");
    assert_eq!(created["field_changes"]["name"]["to"], "陈玮");
    let masked = created["field_changes"]["id_number"]["to"]
        .as_str()
        .unwrap();
    assert!(
        masked.contains('*') && !masked.contains(&id_number(2)),
        "{masked}"
    );
    // One at a time.
    ask(
        &app,
        &token,
        &teacher,
        json!({ "name": "陈伟伟", "reason": "再改" }),
    )
    .await
    .expect_error(409, "conflict");

    let listed = app
        .api_get("/corrections?status=pending", &t.district_token)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let id = created["id"].as_str().unwrap();
    // The school sees it but does not decide; another district does not see it.
    app.api_get("/corrections", &t.school_token)
        .await
        .expect(200);
    app.post(
        &format!("/corrections/{id}/review"),
        &t.school_token,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(403, "forbidden");
    let other = tree(&app, "白云").await;
    app.post(
        &format!("/corrections/{id}/review"),
        &other.district_token,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(404, "not_found");

    let approved = app
        .post(
            &format!("/corrections/{id}/review"),
            &t.district_token,
            json!({ "decision": "approve" }),
        )
        .await
        .expect(200);
    assert_eq!(approved["status"], "approved");
    let now = app
        .api_get(&format!("/teachers/{teacher}"), &t.district_token)
        .await
        .expect(200);
    assert_eq!(now["name"], "陈玮");
    assert_eq!(now["id_number"], id_number(2));
    app.try_login(&id_number(1), PASSWORD)
        .await
        .expect_error(401, "unauthenticated");
    app.try_login(&id_number(2), PASSWORD).await.expect(200);
    let trail = app.audit_actions(id).await;
    assert!(
        trail.contains(&"correction.create".to_owned())
            && trail.contains(&"correction.approve".to_owned()),
        "{trail:?}"
    );
    assert!(
        app.audit_actions(&teacher)
            .await
            .contains(&"teacher.update".to_owned())
    );
    let token = app.login(&id_number(2), PASSWORD).await;
    let notes = app.api_get("/notifications", &token).await.expect(200);
    assert!(notes.to_string().contains("更正申请已通过"), "{notes}");
    // Decided once.
    app.post(
        &format!("/corrections/{id}/review"),
        &t.district_token,
        json!({ "decision": "reject", "reason": "晚了" }),
    )
    .await
    .expect_error(409, "conflict");
}

#[tokio::test]
async fn a_request_is_refused_in_words_and_a_rejection_needs_a_reason() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let teacher = app.teacher(&t.school, "李明", 3).await;
    app.teacher(&t.school, "王芳", 4).await;
    let token = app.login(&id_number(3), PASSWORD).await;
    let bad = ask(
        &app,
        &token,
        &teacher,
        json!({ "id_number": "440106197001011010", "reason": "错" }),
    )
    .await
    .expect_error(422, "invalid");
    assert_eq!(bad["error"]["details"][0]["field"], "id_number");
    ask(
        &app,
        &token,
        &teacher,
        json!({ "name": "李明", "reason": "没变" }),
    )
    .await
    .expect_error(422, "invalid");
    ask(&app, &token, &teacher, json!({ "name": "李铭" }))
        .await
        .expect_error(422, "invalid");
    ask(
        &app,
        &token,
        &teacher,
        json!({ "id_number": id_number(4), "reason": "号码" }),
    )
    .await
    .expect_error(409, "duplicate");
    // Only for oneself.
    let other = app.teacher(&t.school, "赵强", 5).await;
    ask(
        &app,
        &token,
        &other,
        json!({ "name": "赵刚", "reason": "x" }),
    )
    .await
    .expect_error(404, "not_found");
    ask(
        &app,
        &t.school_token,
        &teacher,
        json!({ "name": "李铭", "reason": "x" }),
    )
    .await
    .expect_error(403, "forbidden");

    let id = ask(
        &app,
        &token,
        &teacher,
        json!({ "name": "李铭", "reason": "姓名用字错误" }),
    )
    .await
    .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = app
        .post(
            &format!("/corrections/{id}/review"),
            &t.district_token,
            json!({ "decision": "reject" }),
        )
        .await
        .expect_error(422, "invalid");
    assert_eq!(refused["error"]["details"][0]["field"], "reason");
    let rejected = app
        .post(
            &format!("/corrections/{id}/review"),
            &t.district_token,
            json!({ "decision": "reject", "reason": "与身份证不符" }),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected");
    let same = app
        .api_get(&format!("/teachers/{teacher}"), &t.district_token)
        .await
        .expect(200);
    assert_eq!(same["name"], "李明");
    let notes = app.api_get("/notifications", &token).await.expect(200);
    assert!(notes.to_string().contains("与身份证不符"), "{notes}");
    // Closed: a new one may be filed, and the teacher lists their own.
    ask(
        &app,
        &token,
        &teacher,
        json!({ "name": "李铭", "reason": "附上身份证复印件" }),
    )
    .await
    .expect(201);
    let mine = app.api_get("/corrections", &token).await.expect(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_city_affiliated_schools_teacher_is_corrected_by_the_city() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let school = app.affiliated_school(&t.district, "广州市执信中学").await;
    let teacher = app.teacher(&school, "周婷", 6).await;
    let token = app.login(&id_number(6), PASSWORD).await;
    let id = ask(
        &app,
        &token,
        &teacher,
        json!({ "name": "周亭", "reason": "用字" }),
    )
    .await
    .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/corrections/{id}/review"),
        &t.district_token,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &format!("/corrections/{id}/review"),
        &app.city_token,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn the_teacher_asks_on_their_profile_page_and_the_district_decides_on_its_list() {
    use crate::form_session::{page, post, session};
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    app.teacher(&t.school, "黄丽", 9).await;
    let s = session(&app, &id_number(9)).await;
    let (_, html) = page(&app, &s, "/profile").await;
    assert!(
        html.contains("黄丽") && html.contains("荔湾小学") && !html.contains(&id_number(9)),
        "masked: {html}"
    );
    let (status, html, _) = post(
        &app,
        &s,
        "/profile/correction",
        &[("name", ""), ("id_number", "12345"), ("reason", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("field-error"), "{html}");
    let (status, _, location) = post(
        &app,
        &s,
        "/profile/correction",
        &[
            ("name", "黄莉"),
            ("id_number", ""),
            ("reason", "姓名用字错误"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &s, &location.unwrap()).await;
    assert!(
        html.contains("更正申请已提交") && html.contains("姓名：黄丽 → 黄莉"),
        "{html}"
    );

    let d = session(&app, "荔湾_district").await;
    let (_, home) = page(&app, &d, "/home").await;
    assert!(home.contains("待审核更正申请 1 份"), "{home}");
    let (_, list) = page(&app, &d, "/corrections").await;
    assert!(
        list.contains("姓名：黄丽 → 黄莉") && list.contains("确认按申请更正教师“黄丽”的信息"),
        "{list}"
    );
    let id = app
        .api_get("/corrections?status=pending", &t.district_token)
        .await
        .expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let review = format!("/corrections/{id}/review");
    let (status, html, _) =
        post(&app, &d, &review, &[("decision", "reject"), ("reason", "")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("role=\"alert\">不予更正须填写理由"), "{html}");
    let (status, _, _) = post(&app, &d, &review, &[("decision", "approve")]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &s, "/profile").await;
    assert!(
        html.contains("黄莉") && html.contains("提交更正申请"),
        "{html}"
    );
}
