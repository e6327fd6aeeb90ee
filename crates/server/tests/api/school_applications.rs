//! School applications (学校注册申请, the notice 五(二)2): a school not on the platform applies
//! on a public route; its district (or the city) approves — creating the school and its
//! administrator, whose temporary password is shown once and sent to the contact — or rejects
//! with a reason.

use reqwest::Method;
use serde_json::{Value, json};
use xueshi_server::config::AdminMfa;

use crate::helpers::{Answer, TestApp, spawn_app, spawn_app_with, tree};

fn application(district: &str, name: &str, username: &str) -> Value {
    json!({ "name": name, "district_id": district, "ownership": "private",
        "school_type": "primary", "contact_name": "李敏", "contact_phone": "13812345678",
        "admin_username": username })
}

async fn apply(app: &TestApp, body: Value) -> Answer {
    app.call(
        Method::POST,
        "/api/v1/school-applications",
        None,
        Some(body),
    )
    .await
}

async fn review(app: &TestApp, token: &str, id: &str, body: Value) -> Answer {
    app.post(&format!("/school-applications/{id}/review"), token, body)
        .await
}

/// What the server sent to `phone` about an application, waiting a moment for it (it is
/// sent after answering).
async fn sms_to(app: &TestApp, phone: &str) -> Vec<String> {
    for _ in 0..50 {
        let sent: Vec<String> = app
            .outbox
            .all()
            .into_iter()
            .filter(|m| m.phone.as_deref() == Some(phone) && m.title.contains("学校注册申请"))
            .map(|m| m.body)
            .collect();
        if !sent.is_empty() {
            return sent;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn an_approved_application_becomes_a_school_whose_administrator_logs_in_once_to_change_the_password()
 {
    let app = spawn_app_with(|c| c.admin_mfa = Some(AdminMfa::Required)).await;
    let t = tree(&app, "天河").await;
    let districts = app
        .call(
            Method::GET,
            "/api/v1/school-applications/districts",
            None,
            None,
        )
        .await
        .expect(200);
    assert!(
        districts
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == t.district.as_str() && d["name"] == "天河区"),
        "{districts}"
    );
    let created = apply(
        &app,
        application(&t.district, "天河区东风小学", "tianhe_df"),
    )
    .await
    .expect(201);
    assert_eq!(created["status"], "pending");
    assert_eq!(created["contact_phone"], "138****5678");
    assert_eq!(created["district_name"], "天河区");
    let id = created["id"].as_str().unwrap();

    // Listed for the district and the city, not for another district nor a school.
    let listed = app
        .api_get("/school-applications?status=pending", &t.district_token)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let all = app
        .api_get(
            &format!("/school-applications?district_id={}", t.district),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(all["items"][0]["id"], id);
    let other = tree(&app, "白云").await;
    let theirs = app
        .api_get("/school-applications", &other.district_token)
        .await
        .expect(200);
    assert!(theirs["items"].as_array().unwrap().is_empty(), "{theirs}");
    app.api_get("/school-applications", &t.school_token)
        .await
        .expect_error(403, "forbidden");
    // An out-of-scope reviewer neither sees nor decides it; a school cannot decide at all.
    review(
        &app,
        &other.district_token,
        id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(404, "not_found");
    review(&app, &t.school_token, id, json!({ "decision": "approve" }))
        .await
        .expect_error(403, "forbidden");

    let approved = review(
        &app,
        &t.district_token,
        id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
    assert_eq!(approved["application"]["status"], "approved");
    assert_eq!(approved["admin_username"], "tianhe_df");
    let school_id = approved["school_id"].as_str().unwrap();
    assert_eq!(approved["application"]["school_id"], school_id);
    let temporary = approved["temporary_password"].as_str().unwrap().to_owned();
    assert!(temporary.len() >= 10, "{temporary}");
    // Decided once.
    review(
        &app,
        &t.district_token,
        id,
        json!({ "decision": "reject", "reason": "重复" }),
    )
    .await
    .expect_error(409, "conflict");

    let school = app
        .api_get(&format!("/orgs/{school_id}"), &t.district_token)
        .await
        .expect(200);
    assert_eq!(school["name"], "天河区东风小学");
    assert_eq!(school["kind"], "school");
    assert_eq!(school["ownership"], "private");
    assert_eq!(school["school_type"], "primary");
    assert_eq!(school["parent_id"], t.district.as_str());

    let sent = sms_to(&app, "13812345678").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains("tianhe_df") && sent[0].contains(&temporary),
        "{}",
        sent[0]
    );

    // The new administrator: a second factor first, then a password of their own.
    let pending = app.login_as_is("tianhe_df", &temporary).await.expect(200);
    assert_eq!(pending["next"], "mfa_enroll");
    assert_eq!(pending["user"]["role"], "school_admin");
    let enrolled = app.pass_mfa(&pending).await.expect(200);
    assert_eq!(enrolled["next"], "change_password");

    // Everything is in the audit log (newest first), the phone masked.
    let actions = app.audit_actions(id).await;
    assert_eq!(
        actions,
        ["school_application.approve", "school_application.create"]
    );
    let entries = app
        .api_get(&format!("/audit?target_id={id}&limit=10"), &app.city_token)
        .await
        .expect(200);
    let text = entries.to_string();
    assert!(
        text.contains("138****5678") && !text.contains("13812345678"),
        "{text}"
    );
    assert!(
        app.audit_actions(school_id)
            .await
            .contains(&"org.create".to_owned())
    );
}

#[tokio::test]
async fn duplicates_and_bad_fields_are_refused_with_reasons() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    // The school exists already (tree made 海珠小学).
    apply(&app, application(&t.district, "海珠小学", "haizhu_a"))
        .await
        .expect_error(409, "duplicate");
    apply(&app, application(&t.district, "海珠区新港小学", "haizhu_a"))
        .await
        .expect(201);
    // The same name pending, or the same administrator username pending or in use.
    apply(&app, application(&t.district, "海珠区新港小学", "haizhu_b"))
        .await
        .expect_error(409, "duplicate");
    apply(&app, application(&t.district, "海珠区南华小学", "haizhu_a"))
        .await
        .expect_error(409, "duplicate");
    apply(
        &app,
        application(&t.district, "海珠区南华小学", "海珠_school"),
    )
    .await
    .expect_error(422, "invalid");
    apply(&app, application(&t.district, "海珠区南华小学", "city"))
        .await
        .expect_error(409, "duplicate");

    let refused = apply(
        &app,
        json!({ "name": " ", "district_id": "nope", "contact_phone": "020-1234567",
            "admin_username": crate::helpers::id_number(5) }),
    )
    .await
    .expect_error(422, "invalid");
    let fields: Vec<&str> = refused["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for field in [
        "name",
        "district_id",
        "ownership",
        "school_type",
        "contact_name",
        "contact_phone",
        "admin_username",
    ] {
        assert!(fields.contains(&field), "{field} in {refused}");
    }
    // A school applies to a district, not to a school or the city.
    apply(&app, application(&t.school, "海珠区南华小学", "haizhu_c"))
        .await
        .expect_error(422, "invalid");
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_tells_the_contact() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let created = apply(
        &app,
        application(&t.district, "越秀区培英学校", "yuexiu_py"),
    )
    .await
    .expect(201);
    let id = created["id"].as_str().unwrap();
    for body in [
        json!({ "decision": "reject" }),
        json!({ "decision": "reject", "reason": "  " }),
    ] {
        review(&app, &t.district_token, id, body)
            .await
            .expect_error(422, "invalid");
    }
    review(&app, &t.district_token, id, json!({ "decision": "maybe" }))
        .await
        .expect_error(422, "invalid");
    // The city may decide any district's application.
    let rejected = review(
        &app,
        &app.city_token,
        id,
        json!({ "decision": "reject", "reason": "该校已并入越秀区培正学校" }),
    )
    .await
    .expect(200);
    assert_eq!(rejected["application"]["status"], "rejected");
    assert_eq!(rejected["school_id"], Value::Null);
    assert_eq!(rejected["temporary_password"], Value::Null);
    let sent = sms_to(&app, "13812345678").await;
    assert!(sent[0].contains("该校已并入越秀区培正学校"), "{sent:?}");
    // No school appeared; the name may be applied for again.
    let schools = app
        .api_get(
            &format!("/orgs?kind=school&parent_id={}", t.district),
            &t.district_token,
        )
        .await
        .expect(200);
    assert_eq!(schools["items"].as_array().unwrap().len(), 1, "{schools}");
    apply(
        &app,
        application(&t.district, "越秀区培英学校", "yuexiu_py"),
    )
    .await
    .expect(201);
    assert_eq!(
        app.audit_actions(id).await,
        ["school_application.reject", "school_application.create"]
    );
}

#[tokio::test]
async fn the_public_form_is_limited_per_address() {
    let app = spawn_app_with(|c| c.address_rate = 3).await;
    let t = tree(&app, "黄埔").await;
    for n in 0..3 {
        apply(
            &app,
            application(&t.district, &format!("黄埔区第{n}小学"), &format!("hp_{n}")),
        )
        .await
        .expect(201);
    }
    apply(&app, application(&t.district, "黄埔区第9小学", "hp_9"))
        .await
        .expect_error(429, "rate_limited");
}

#[tokio::test]
async fn a_school_of_the_same_name_registered_meanwhile_stops_the_approval() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    let created = apply(&app, application(&t.district, "番禺区市桥小学", "panyu_sq"))
        .await
        .expect(201);
    app.school(&t.district, "番禺区市桥小学").await;
    review(
        &app,
        &t.district_token,
        created["id"].as_str().unwrap(),
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(409, "duplicate");
    // Nothing half-done: still pending, no account made.
    let listed = app
        .api_get("/school-applications?status=pending", &t.district_token)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        app.login_as_is("panyu_sq", "whatever-password")
            .await
            .status
            .is_client_error()
    );
    let mut c = app.db.pool().acquire().await.unwrap();
    let user = xueshi_store::repo::users::by_username(&mut c, app.db.vault(), "panyu_sq")
        .await
        .unwrap();
    assert!(user.is_none());
}
