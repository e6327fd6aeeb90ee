use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, tree};

#[tokio::test]
async fn every_fresh_database_has_the_city() {
    let app = spawn_app().await;
    let city = app.api_get("/orgs/city", &app.city_token).await.expect(200);
    assert_eq!(city["name"], "广州市教育局");
    assert_eq!(city["kind"], "city");
    assert_eq!(city["id"], app.city_id.as_str());
}

#[tokio::test]
async fn the_city_registers_districts_and_schools_of_every_kind() {
    let app = spawn_app().await;
    let district = app.district("天河区").await;
    let body = json!({
        "name": "天河区育才民办学校", "kind": "school", "parent_id": district,
        "ownership": "private", "school_type": "nine_year"
    });
    let school = app.post("/orgs", &app.city_token, body).await.expect(201);
    assert_eq!(school["ownership"], "private");
    assert_eq!(school["school_type"], "nine_year");
    assert_eq!(school["district_id"], district.as_str());
    assert_eq!(school["status"], "active");
    assert_eq!(school["city_affiliated"], false);

    let body = json!({
        "name": "广州市第一示范中学", "kind": "school", "parent_id": app.city_id,
        "ownership": "public", "school_type": "secondary", "city_affiliated": true
    });
    let affiliated = app.post("/orgs", &app.city_token, body).await.expect(201);
    assert_eq!(affiliated["city_affiliated"], true);

    let provider = json!({ "name": "广州市教师继续教育培训中心", "kind": "provider", "parent_id": app.city_id });
    app.post("/orgs", &app.city_token, provider)
        .await
        .expect(201);

    let id = school["id"].as_str().unwrap();
    assert_eq!(
        app.api_get(&format!("/orgs/{id}"), &app.city_token)
            .await
            .expect(200)["name"],
        "天河区育才民办学校"
    );
    assert_eq!(app.audit_actions(id).await, ["org.create"]);
}

#[tokio::test]
async fn a_district_registers_schools_in_its_own_district_only() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let other = app.district("海珠区").await;
    let school = |parent: &str, affiliated: bool| {
        json!({ "name": "新学校", "kind": "school", "parent_id": parent,
                "ownership": "public", "school_type": "primary", "city_affiliated": affiliated })
    };
    app.post("/orgs", &t.district_token, school(&t.district, false))
        .await
        .expect(201);
    app.post("/orgs", &t.district_token, school(&other, false))
        .await
        .expect_error(404, "not_found");
    app.post("/orgs", &t.district_token, school(&t.district, true))
        .await
        .expect_error(403, "forbidden");
    let district = json!({ "name": "新区", "kind": "district", "parent_id": app.city_id });
    app.post("/orgs", &t.district_token, district)
        .await
        .expect_error(403, "forbidden");
}

#[tokio::test]
async fn roles_that_never_manage_organisations_get_403() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let body = json!({ "name": "x", "kind": "school", "parent_id": t.district, "ownership": "public", "school_type": "primary" });
    app.post("/orgs", &t.school_token, body.clone())
        .await
        .expect_error(403, "forbidden");
    app.patch(
        &format!("/orgs/{}", t.school),
        &t.school_token,
        json!({ "name": "改名" }),
    )
    .await
    .expect_error(403, "forbidden");
}

#[tokio::test]
async fn a_sibling_with_the_same_name_is_a_duplicate() {
    let app = spawn_app().await;
    let district = app.district("黄埔区").await;
    let school = app.school(&district, "黄埔区第一小学").await;
    let body = json!({ "name": "黄埔区第一小学", "kind": "school", "parent_id": district,
                       "ownership": "public", "school_type": "primary" });
    let answer = app
        .post("/orgs", &app.city_token, body)
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], school.as_str());
}

#[tokio::test]
async fn a_school_needs_ownership_and_type() {
    let app = spawn_app().await;
    let district = app.district("番禺区").await;
    let body = json!({ "name": "  ", "kind": "school", "parent_id": district });
    let answer = app
        .post("/orgs", &app.city_token, body)
        .await
        .expect_error(422, "invalid");
    let fields: Vec<&str> = answer["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "ownership", "school_type"]);
}

#[tokio::test]
async fn bad_input_gets_400_or_422_never_500() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/orgs", app.address);
    let malformed = app
        .client
        .post(&url)
        .bearer_auth(&app.city_token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");

    let not_json = app
        .client
        .post(&url)
        .bearer_auth(&app.city_token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);

    let unknown_kind = json!({ "name": "x", "kind": "county", "parent_id": app.city_id });
    let answer = app
        .post("/orgs", &app.city_token, unknown_kind)
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "kind");

    app.api_get("/orgs?kind=county", &app.city_token)
        .await
        .expect_error(400, "bad_request");
    app.api_get("/orgs?limit=abc", &app.city_token)
        .await
        .expect_error(400, "bad_request");
    let wrong_type = json!({ "name": 5, "kind": "district" });
    app.post("/orgs", &app.city_token, wrong_type)
        .await
        .expect_error(422, "invalid");
    app.api_get("/orgs/does-not-exist", &app.city_token)
        .await
        .expect_error(404, "not_found");
    app.call(
        Method::GET,
        "/api/v1/no-such-endpoint",
        Some(&app.city_token),
        None,
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn lists_are_scoped_filtered_and_paginated() {
    let app = spawn_app().await;
    let t = tree(&app, "花都").await;
    app.school(&t.district, "花都区第二小学").await;
    let other = app.district("南沙区").await;
    let foreign = app.school(&other, "南沙区第一小学").await;
    let affiliated = app.affiliated_school(&t.district, "花都局属中学").await;

    let list = app
        .api_get("/orgs?kind=school", &t.district_token)
        .await
        .expect(200);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["花都小学", "花都区第二小学"]);
    app.api_get(&format!("/orgs/{foreign}"), &t.district_token)
        .await
        .expect_error(404, "not_found");
    app.api_get(&format!("/orgs/{affiliated}"), &t.district_token)
        .await
        .expect_error(404, "not_found");

    let first = app
        .api_get("/orgs?kind=school&limit=2", &app.city_token)
        .await
        .expect(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("more pages");
    let rest = app
        .api_get(
            &format!("/orgs?kind=school&limit=2&cursor={cursor}"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    assert_eq!(rest["next_cursor"], serde_json::Value::Null);

    let schools_of = app
        .api_get(&format!("/orgs?parent_id={other}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(schools_of["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn schools_are_archived_and_reactivated_with_an_audit_trail() {
    let app = spawn_app().await;
    let t = tree(&app, "从化").await;
    let archived = app
        .patch(
            &format!("/orgs/{}", t.school),
            &t.district_token,
            json!({ "status": "archived" }),
        )
        .await
        .expect(200);
    assert_eq!(archived["status"], "archived");
    let listed = app
        .api_get("/orgs?kind=school&status=archived", &t.district_token)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    app.patch(
        &format!("/orgs/{}", t.school),
        &t.district_token,
        json!({ "status": "active" }),
    )
    .await
    .expect(200);
    assert_eq!(
        app.audit_actions(&t.school).await,
        ["org.reactivate", "org.archive", "org.create"]
    );
}

#[tokio::test]
async fn a_district_cannot_archive_itself_and_nobody_archives_the_city() {
    let app = spawn_app().await;
    let t = tree(&app, "增城").await;
    app.patch(
        &format!("/orgs/{}", t.district),
        &t.district_token,
        json!({ "status": "archived" }),
    )
    .await
    .expect_error(403, "forbidden");
    app.patch(
        &format!("/orgs/{}", app.city_id),
        &app.city_token,
        json!({ "status": "archived" }),
    )
    .await
    .expect_error(422, "invalid");
}

#[tokio::test]
async fn an_archived_district_takes_no_new_schools() {
    let app = spawn_app().await;
    let district = app.district("旧区").await;
    app.patch(
        &format!("/orgs/{district}"),
        &app.city_token,
        json!({ "status": "archived" }),
    )
    .await
    .expect(200);
    let body = json!({ "name": "新学校", "kind": "school", "parent_id": district, "ownership": "public", "school_type": "primary" });
    app.post("/orgs", &app.city_token, body)
        .await
        .expect_error(422, "invalid");
}
