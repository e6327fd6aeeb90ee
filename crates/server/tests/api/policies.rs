use serde_json::json;

use crate::helpers::{spawn_app, tree};

fn policy_2021() -> serde_json::Value {
    json!({
        "minimums": { "public": 30, "professional": 42, "elective": 18, "total": 90 },
        "deadlines": { "declaration": "2021-12-31", "registration": "2021-12-31",
                       "school_review": "2022-01-09", "district_review": "2022-01-13" },
        "carry_over": { "enabled": true, "cap": null },
        "activity_caps": {}
    })
}

#[tokio::test]
async fn the_city_sets_the_year_policy_of_the_notice() {
    let app = spawn_app().await;
    let put = app
        .put("/policies/2021", &app.city_token, policy_2021())
        .await
        .expect(200);
    let mut expected = policy_2021();
    expected["year"] = json!(2021);
    assert_eq!(put, expected);
    let t = tree(&app, "天河").await;
    assert_eq!(
        app.api_get("/policies/2021", &t.school_token)
            .await
            .expect(200),
        expected
    );
    app.api_get("/policies/2030", &app.city_token)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn thresholds_change_by_year_and_a_policy_can_be_replaced() {
    let app = spawn_app().await;
    let mut p2020 = policy_2021();
    p2020["minimums"] = json!({ "public": 30, "professional": 42, "elective": 12, "total": 84 });
    p2020["deadlines"] = json!({ "declaration": "2020-12-31", "registration": "2020-12-31",
                                "school_review": "2021-01-09", "district_review": "2021-01-13" });
    app.put("/policies/2020", &app.city_token, p2020)
        .await
        .expect(200);
    app.put("/policies/2021", &app.city_token, policy_2021())
        .await
        .expect(200);
    assert_eq!(
        app.api_get("/policies/2020", &app.city_token)
            .await
            .expect(200)["minimums"]["total"],
        84
    );

    let mut capped = policy_2021();
    capped["carry_over"] = json!({ "enabled": true, "cap": 20 });
    capped["activity_caps"] = json!({ "research_output": 28 });
    capped["minimums"]["elective"] = json!(17.5);
    let answer = app
        .put("/policies/2021", &app.city_token, capped)
        .await
        .expect(200);
    assert_eq!(answer["carry_over"]["cap"], 20);
    assert_eq!(answer["activity_caps"]["research_output"], 28);
    assert_eq!(
        app.api_get("/policies/2021", &app.city_token)
            .await
            .expect(200)["minimums"]["elective"],
        17.5
    );
    let audit = app
        .api_get("/audit?target_id=2021", &app.city_token)
        .await
        .expect(200);
    let latest = &audit["items"][0];
    assert_eq!(latest["action"], "policy.put");
    assert_eq!(latest["detail"]["before"]["minimums"]["elective"], 18);
    assert_eq!(latest["detail"]["after"]["minimums"]["elective"], 17.5);
}

#[tokio::test]
async fn only_the_city_sets_policies() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    app.put("/policies/2021", &t.district_token, policy_2021())
        .await
        .expect_error(403, "forbidden");
    app.put("/policies/2021", &t.school_token, policy_2021())
        .await
        .expect_error(403, "forbidden");
}

#[tokio::test]
async fn a_policy_with_bad_hours_or_dates_is_refused_naming_each_field() {
    let app = spawn_app().await;
    let mut bad = policy_2021();
    bad["minimums"]["public"] = json!(7.55);
    bad["minimums"]["elective"] = json!(-1);
    bad["deadlines"]["district_review"] = json!("2022-01-05");
    let answer = app
        .put("/policies/2021", &app.city_token, bad)
        .await
        .expect_error(422, "invalid");
    let fields: Vec<&str> = answer["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"minimums.public"), "{fields:?}");
    assert!(fields.contains(&"minimums.elective"), "{fields:?}");
    assert!(
        fields.iter().any(|f| f.starts_with("deadlines.")),
        "{fields:?}"
    );

    let mut bad_date = policy_2021();
    bad_date["deadlines"]["declaration"] = json!("2021-13-01");
    app.put("/policies/2021", &app.city_token, bad_date)
        .await
        .expect_error(422, "invalid");
    let mut bad_cap = policy_2021();
    bad_cap["activity_caps"] = json!({ "napping": 5 });
    app.put("/policies/2021", &app.city_token, bad_cap)
        .await
        .expect_error(422, "invalid");
    app.put("/policies/twenty", &app.city_token, policy_2021())
        .await
        .expect_error(400, "bad_request");
    app.api_get("/policies/2021", &app.city_token)
        .await
        .expect_error(404, "not_found");
}
