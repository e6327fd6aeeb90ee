use serde_json::json;

use crate::helpers::{PASSWORD, id_number, spawn_app, tree};

#[tokio::test]
async fn each_administrator_reads_the_audit_of_their_own_scope() {
    let app = spawn_app().await;
    let a = tree(&app, "天河").await;
    let b = tree(&app, "海珠").await;
    let ta = app.teacher(&a.school, "甲", 1).await;
    let tb = app.teacher(&b.school, "乙", 2).await;

    let school_a = app.api_get("/audit", &a.school_token).await.expect(200);
    let targets: Vec<&str> = school_a["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_id"].as_str().unwrap())
        .collect();
    assert!(targets.contains(&ta.as_str()));
    assert!(!targets.contains(&tb.as_str()));

    let district_b = app
        .api_get(&format!("/audit?target_id={tb}"), &b.district_token)
        .await
        .expect(200);
    assert_eq!(district_b["items"][0]["action"], "teacher.create");
    let district_a = app
        .api_get(&format!("/audit?target_id={tb}"), &a.district_token)
        .await
        .expect(200);
    assert!(district_a["items"].as_array().unwrap().is_empty());

    let teacher = app.login(&id_number(1), PASSWORD).await;
    app.api_get("/audit", &teacher)
        .await
        .expect_error(403, "forbidden");
}

#[tokio::test]
async fn an_entry_says_who_when_from_where_and_what_changed() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    let me = app.api_get("/me", &t.district_token).await.expect(200);
    app.patch(
        &format!("/orgs/{}", t.school),
        &t.district_token,
        json!({ "name": "荔湾区新名小学" }),
    )
    .await
    .expect(200);
    let audit = app
        .api_get(
            &format!("/audit?actor_id={}", me["id"].as_str().unwrap()),
            &app.city_token,
        )
        .await
        .expect(200);
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "org.update")
        .expect("an org.update entry");
    assert_eq!(entry["target_type"], "org");
    assert_eq!(entry["target_id"], t.school.as_str());
    assert_eq!(entry["ip"], "127.0.0.1");
    assert!(entry["at"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(entry["detail"]["before"]["name"], "荔湾小学");
    assert_eq!(entry["detail"]["after"]["name"], "荔湾区新名小学");
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let app = spawn_app().await;
    let mut c = app.db.pool().acquire().await.unwrap();
    let update = sqlx_any_execute(&mut c, "UPDATE audit_log SET action = 'forged'").await;
    let delete = sqlx_any_execute(&mut c, "DELETE FROM audit_log").await;
    assert!(
        update.is_err() && delete.is_err(),
        "the database refuses to change the audit log"
    );
}

async fn sqlx_any_execute(
    c: &mut xueshi_store::Conn,
    sql: &'static str,
) -> Result<u64, xueshi_store::StoreError> {
    xueshi_store::repo::sql::Sql::new(sql).execute(c).await
}

#[tokio::test]
async fn a_failed_change_leaves_no_audit_entry() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let before = app
        .api_get("/audit?limit=500", &app.city_token)
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .len();
    let dup =
        json!({ "name": "x", "id_number": "123", "school_id": t.school, "password": PASSWORD });
    app.post("/teachers", &t.school_token, dup)
        .await
        .expect_error(422, "invalid");
    let after = app
        .api_get("/audit?limit=500", &app.city_token)
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
}
