//! Transfer requests (调动申请): a school may not move a teacher across schools itself; it
//! asks, and the receiving school's district (the city for a city-affiliated school) decides.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app, tree};

async fn request(
    app: &TestApp,
    token: &str,
    teacher: &str,
    school: &str,
) -> crate::helpers::Answer {
    app.post(
        &format!("/teachers/{teacher}/transfer-requests"),
        token,
        json!({ "school_id": school, "reason": "工作调动" }),
    )
    .await
}

async fn review(
    app: &TestApp,
    token: &str,
    id: &str,
    body: serde_json::Value,
) -> crate::helpers::Answer {
    app.post(&format!("/transfer-requests/{id}/review"), token, body)
        .await
}

fn id_of(v: &serde_json::Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_school_cannot_move_a_teacher_to_another_school_itself() {
    let app = spawn_app().await;
    let a = tree(&app, "增城").await;
    let b = tree(&app, "黄埔").await;
    let teacher = app.teacher(&a.school, "林文华", 40).await;
    let refused = app
        .patch(
            &format!("/teachers/{teacher}"),
            &a.school_token,
            json!({ "school_id": b.school }),
        )
        .await
        .expect_error(403, "forbidden");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("调动申请"), "{message}");
    let still = app
        .api_get(&format!("/teachers/{teacher}"), &a.school_token)
        .await
        .expect(200);
    assert_eq!(still["school_id"], a.school.as_str());
    // Its other changes are still its own to make.
    app.patch(
        &format!("/teachers/{teacher}"),
        &a.school_token,
        json!({ "school_id": a.school, "status": "departed" }),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn the_receiving_district_approves_and_the_teacher_moves_with_a_trail() {
    let app = spawn_app().await;
    let a = tree(&app, "增城").await;
    let b = tree(&app, "黄埔").await;
    let teacher = app.teacher(&a.school, "林文华", 41).await;
    let created = request(&app, &a.school_token, &teacher, &b.school)
        .await
        .expect(201);
    assert_eq!(created["status"], "pending");
    assert_eq!(created["to_school_name"], "黄埔小学");
    let id = id_of(&created);
    // One open request per teacher.
    request(&app, &a.school_token, &teacher, &b.school)
        .await
        .expect_error(409, "conflict");

    // Both ends see it; only the receiving district decides.
    for token in [
        &a.district_token,
        &b.district_token,
        &b.school_token,
        &app.city_token,
    ] {
        let list = app
            .api_get("/transfer-requests?status=pending", token)
            .await
            .expect(200);
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    }
    let c = tree(&app, "南沙").await;
    let none = app
        .api_get("/transfer-requests", &c.district_token)
        .await
        .expect(200);
    assert_eq!(none["items"], json!([]));
    app.api_get(&format!("/transfer-requests/{id}"), &c.district_token)
        .await
        .expect_error(404, "not_found");
    review(
        &app,
        &a.district_token,
        &id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(403, "forbidden");
    review(&app, &a.school_token, &id, json!({ "decision": "approve" }))
        .await
        .expect_error(403, "forbidden");
    // The teacher is not moved by any of that.
    app.api_get(&format!("/teachers/{teacher}"), &a.school_token)
        .await
        .expect(200);

    let approved = review(
        &app,
        &b.district_token,
        &id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
    assert_eq!(approved["status"], "approved");
    assert!(approved["decided_at"].is_string());
    app.api_get(&format!("/teachers/{teacher}"), &a.school_token)
        .await
        .expect_error(404, "not_found");
    let moved = app
        .api_get(&format!("/teachers/{teacher}"), &b.school_token)
        .await
        .expect(200);
    assert_eq!(moved["school_id"], b.school.as_str());
    let login = app.try_login(&id_number(41), PASSWORD).await.expect(200);
    assert_eq!(login["user"]["org_id"], b.school.as_str());
    // Decided once only.
    review(
        &app,
        &b.district_token,
        &id,
        json!({ "decision": "reject", "reason": "晚了" }),
    )
    .await
    .expect_error(409, "conflict");

    let teacher_trail = app.audit_actions(&teacher).await;
    assert!(
        teacher_trail.contains(&"teacher.transfer".to_owned())
            && teacher_trail.contains(&"teacher.transfer_out".to_owned()),
        "{teacher_trail:?}"
    );
    let request_trail = app.audit_actions(&id).await;
    assert!(
        request_trail.contains(&"transfer_request.create".to_owned())
            && request_trail.contains(&"transfer_request.approve".to_owned()),
        "{request_trail:?}"
    );
    // The school that asked hears the answer.
    let notes = app
        .api_get("/notifications", &a.school_token)
        .await
        .expect(200);
    assert!(notes.to_string().contains("调动申请已批准"), "{notes}");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_leaves_the_teacher_where_they_are() {
    let app = spawn_app().await;
    let a = tree(&app, "越秀").await;
    let b = tree(&app, "海珠").await;
    let teacher = app.teacher(&a.school, "陈伟", 42).await;
    let id = id_of(
        &request(&app, &a.school_token, &teacher, &b.school)
            .await
            .expect(201),
    );
    let bad = review(
        &app,
        &b.district_token,
        &id,
        json!({ "decision": "reject" }),
    )
    .await
    .expect_error(422, "invalid");
    assert_eq!(bad["error"]["details"][0]["field"], "reason");
    review(&app, &b.district_token, &id, json!({ "decision": "maybe" }))
        .await
        .expect_error(422, "invalid");
    let rejected = review(
        &app,
        &b.district_token,
        &id,
        json!({ "decision": "reject", "reason": "调入学校无编制" }),
    )
    .await
    .expect(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision_reason"], "调入学校无编制");
    let still = app
        .api_get(&format!("/teachers/{teacher}"), &a.school_token)
        .await
        .expect(200);
    assert_eq!(still["school_id"], a.school.as_str());
    let notes = app
        .api_get("/notifications", &a.school_token)
        .await
        .expect(200);
    assert!(notes.to_string().contains("调入学校无编制"), "{notes}");
    // Closed, so a new request may be filed; the teacher's departure withdraws it.
    let again = id_of(
        &request(&app, &a.school_token, &teacher, &b.school)
            .await
            .expect(201),
    );
    app.patch(
        &format!("/teachers/{teacher}"),
        &a.school_token,
        json!({ "status": "departed" }),
    )
    .await
    .expect(200);
    let withdrawn = app
        .api_get(&format!("/transfer-requests/{again}"), &b.district_token)
        .await
        .expect(200);
    assert_eq!(withdrawn["status"], "cancelled");
}

#[tokio::test]
async fn a_request_names_a_real_open_other_school_for_an_active_teacher_of_ones_own() {
    let app = spawn_app().await;
    let a = tree(&app, "天河").await;
    let b = tree(&app, "白云").await;
    let teacher = app.teacher(&a.school, "黄丽", 43).await;
    request(&app, &a.school_token, &teacher, &a.school)
        .await
        .expect_error(422, "invalid");
    request(&app, &a.school_token, &teacher, "no-such-school")
        .await
        .expect_error(422, "invalid");
    request(&app, &a.school_token, &teacher, &b.district)
        .await
        .expect_error(422, "invalid");
    let closed = app.school(&b.district, "白云区已撤并小学").await;
    app.patch(
        &format!("/orgs/{closed}"),
        &app.city_token,
        json!({ "status": "archived" }),
    )
    .await
    .expect(200);
    request(&app, &a.school_token, &teacher, &closed)
        .await
        .expect_error(422, "invalid");
    // Another school's teacher is not seen; districts transfer directly instead.
    request(&app, &b.school_token, &teacher, &b.school)
        .await
        .expect_error(404, "not_found");
    request(&app, &a.district_token, &teacher, &b.school)
        .await
        .expect_error(403, "forbidden");
    app.patch(
        &format!("/teachers/{teacher}"),
        &a.school_token,
        json!({ "status": "departed" }),
    )
    .await
    .expect(200);
    request(&app, &a.school_token, &teacher, &b.school)
        .await
        .expect_error(409, "conflict");
}

#[tokio::test]
async fn the_school_withdraws_its_request_and_a_stale_one_is_not_approved() {
    let app = spawn_app().await;
    let a = tree(&app, "番禺").await;
    let b = tree(&app, "花都").await;
    let teacher = app.teacher(&a.school, "郭洁", 44).await;
    let id = id_of(
        &request(&app, &a.school_token, &teacher, &b.school)
            .await
            .expect(201),
    );
    app.post(
        &format!("/transfer-requests/{id}/cancel"),
        &b.school_token,
        json!({}),
    )
    .await
    .expect_error(403, "forbidden");
    let cancelled = app
        .post(
            &format!("/transfer-requests/{id}/cancel"),
            &a.school_token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(cancelled["status"], "cancelled");
    app.post(
        &format!("/transfer-requests/{id}/cancel"),
        &a.school_token,
        json!({}),
    )
    .await
    .expect_error(409, "conflict");
    review(
        &app,
        &b.district_token,
        &id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(409, "conflict");
    assert!(
        app.audit_actions(&id)
            .await
            .contains(&"transfer_request.cancel".to_owned())
    );

    // Moved elsewhere by the district in the meantime: the request is withdrawn with it.
    let id = id_of(
        &request(&app, &a.school_token, &teacher, &b.school)
            .await
            .expect(201),
    );
    let c = tree(&app, "从化").await;
    app.patch(
        &format!("/teachers/{teacher}"),
        &a.district_token,
        json!({ "school_id": c.school }),
    )
    .await
    .expect(200);
    let stale = review(
        &app,
        &b.district_token,
        &id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(409, "conflict");
    assert!(
        stale["error"]["message"]
            .as_str()
            .unwrap()
            .contains("已撤销"),
        "{stale}"
    );
    let withdrawn = app
        .api_get(&format!("/transfer-requests/{id}"), &a.district_token)
        .await
        .expect(200);
    assert_eq!(withdrawn["status"], "cancelled");
    assert!(
        withdrawn["decision_reason"]
            .as_str()
            .unwrap()
            .contains("自动撤销")
    );
    let now = app
        .api_get(&format!("/teachers/{teacher}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(now["school_id"], c.school.as_str());
}

#[tokio::test]
async fn a_move_into_a_city_affiliated_school_is_the_citys_to_decide() {
    let app = spawn_app().await;
    let a = tree(&app, "荔湾").await;
    let b = tree(&app, "南沙").await;
    let affiliated = app.affiliated_school(&b.district, "广州市第一中学").await;
    let teacher = app.teacher(&a.school, "周婷", 45).await;
    let id = id_of(
        &request(&app, &a.school_token, &teacher, &affiliated)
            .await
            .expect(201),
    );
    // The school stands in 南沙 but is the city's: the district does not even see the request.
    review(
        &app,
        &b.district_token,
        &id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(404, "not_found");
    review(&app, &app.city_token, &id, json!({ "decision": "approve" }))
        .await
        .expect(200);
    let moved = app
        .api_get(&format!("/teachers/{teacher}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(moved["school_id"], affiliated.as_str());
}
