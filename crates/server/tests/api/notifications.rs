//! The teacher's notifications of review decisions.

use serde_json::json;

use crate::declaring::scene;

#[tokio::test]
async fn the_teacher_is_notified_of_returns_rejections_and_approvals() {
    let s = scene("海珠").await;
    let app = &s.app;
    let returned = app.submitted(&s.token, "退回的", 1).await;
    let rejected = app.submitted(&s.token, "不通过的", 2).await;
    let approved = app.submitted(&s.token, "通过的", 3).await;
    app.review(
        &s.tree.school_token,
        &returned,
        json!({ "decision": "return", "comment": "请补充学时证明" }),
    )
    .await
    .expect(200);
    app.review(
        &s.tree.school_token,
        &rejected,
        json!({ "decision": "reject", "reason_code": "copy_not_original" }),
    )
    .await
    .expect(200);
    app.review(
        &s.tree.school_token,
        &approved,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
    let list = app.api_get("/notifications", &s.token).await.expect(200);
    assert_eq!(list["unread"], 2, "a school approval is not announced");
    app.review(
        &s.tree.district_token,
        &approved,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
    let list = app.api_get("/notifications", &s.token).await.expect(200);
    assert_eq!(list["unread"], 3);
    let items = list["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "declaration_approved",
            "declaration_rejected",
            "declaration_returned"
        ],
        "newest first"
    );
    assert_eq!(items[0]["target_id"], approved);
    assert!(items[1]["body"].as_str().unwrap().contains("复印件无效"));
    assert!(
        items[2]["body"]
            .as_str()
            .unwrap()
            .contains("请补充学时证明")
    );
    assert_eq!(items[2]["read"], false);
    // Marking read: own only, and idempotent.
    let first = items[2]["id"].as_str().unwrap();
    app.post(
        &format!("/notifications/{first}/read"),
        &s.tree.school_token,
        json!({}),
    )
    .await
    .expect_error(404, "not_found");
    let n = app
        .post(&format!("/notifications/{first}/read"), &s.token, json!({}))
        .await
        .expect(200);
    assert_eq!(n["read"], true);
    app.post(&format!("/notifications/{first}/read"), &s.token, json!({}))
        .await
        .expect(200);
    let list = app.api_get("/notifications", &s.token).await.expect(200);
    assert_eq!(list["unread"], 2);
    let unread = app
        .api_get("/notifications?unread=true&limit=1", &s.token)
        .await
        .expect(200);
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    assert!(unread["next_cursor"].as_str().is_some());
    let admin = app
        .api_get("/notifications", &s.tree.school_token)
        .await
        .expect(200);
    assert_eq!(admin["items"], json!([]));
}
