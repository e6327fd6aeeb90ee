//! Batch review: one decision over many declarations, each reviewed on its own.

use serde_json::json;

use crate::declaring::scene;
use crate::helpers::{PASSWORD, id_number, tree};

#[tokio::test]
async fn batch_review_reports_each_item_on_its_own() {
    let s = scene("南沙").await;
    let app = &s.app;
    let b = tree(app, "从化").await;
    let mine: Vec<String> = submitted_many(app, &s.token, 3).await;
    app.teacher(&b.school, "从化老师", 2).await;
    let theirs_token = app.login(&id_number(2), PASSWORD).await;
    let theirs = app.submitted(&theirs_token, "从化的", 9).await;
    app.post(
        &format!("/declarations/{}/withdraw", mine[2]),
        &s.token,
        json!({}),
    )
    .await
    .expect(200);
    let body = json!({
        "ids": [mine[0], theirs, mine[1], "missing", mine[2], mine[0]],
        "decision": "approve"
    });
    let answer = app
        .post("/reviews/batch", &s.tree.school_token, body)
        .await
        .expect(200);
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "repeated ids are reviewed once");
    let outcome = |i: usize| {
        (
            results[i]["id"].as_str().unwrap().to_owned(),
            results[i]["ok"].as_bool().unwrap(),
            results[i]["error"]["code"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        )
    };
    assert_eq!(outcome(0), (mine[0].clone(), true, String::new()));
    assert_eq!(outcome(1), (theirs.clone(), false, "not_found".into()));
    assert_eq!(outcome(2), (mine[1].clone(), true, String::new()));
    assert_eq!(outcome(3), ("missing".into(), false, "not_found".into()));
    assert_eq!(outcome(4), (mine[2].clone(), false, "conflict".into()));
    assert!(results[1]["error"]["message"].as_str().is_some());
    assert!(results[0].get("error").is_none());
    for id in &mine[..2] {
        assert_eq!(
            app.declaration(&s.token, id).await["status"],
            "school_approved"
        );
    }
    // Each item is audited on its own, and the batch as a whole under the reviewer's school.
    assert!(
        app.audit_actions(&mine[0])
            .await
            .contains(&"declaration.review".to_owned())
    );
    let batch = app
        .api_get(
            &format!("/audit?target_id={}", s.tree.school),
            &app.city_token,
        )
        .await
        .expect(200);
    let entry = batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "review.batch")
        .expect("a review.batch entry");
    assert_eq!(entry["detail"]["items"], 5);
    assert_eq!(entry["detail"]["done"], 2);
    // The whole request is refused for a role that never reviews, or a bad decision.
    app.post(
        "/reviews/batch",
        &s.token,
        json!({ "ids": [mine[0]], "decision": "approve" }),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        "/reviews/batch",
        &s.tree.district_token,
        json!({ "ids": [mine[0]], "decision": "reject" }),
    )
    .await
    .expect_error(422, "invalid");
    let too_many: Vec<String> = (0..501).map(|i| format!("id-{i}")).collect();
    app.post(
        "/reviews/batch",
        &s.tree.district_token,
        json!({ "ids": too_many, "decision": "approve" }),
    )
    .await
    .expect_error(422, "invalid");
    app.post(
        "/reviews/batch",
        &s.tree.district_token,
        json!({ "ids": [], "decision": "approve" }),
    )
    .await
    .expect_error(422, "invalid");
    let answer = app
        .post(
            "/reviews/batch",
            &s.tree.district_token,
            json!({ "ids": mine[..2], "decision": "reject", "reason_code": "other", "comment": "批量" }),
        )
        .await
        .expect(200);
    assert!(
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ok"] == true)
    );
    assert_eq!(app.audit_actions(&mine[0]).await[0], "declaration.review");
}

async fn submitted_many(app: &crate::helpers::TestApp, token: &str, n: u32) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(app.submitted(token, &format!("批量{i}"), 20 + i).await);
    }
    ids
}
