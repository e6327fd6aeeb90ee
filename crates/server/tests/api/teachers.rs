use serde_json::{Value, json};

use crate::helpers::{PASSWORD, id_number, spawn_app, tree};

fn teacher(name: &str, id: &str, school: &str) -> serde_json::Value {
    json!({ "name": name, "id_number": id, "school_id": school, "password": PASSWORD, "phone": "13812345678" })
}

#[tokio::test]
async fn a_school_registers_a_teacher_who_can_then_log_in() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let created = app
        .post(
            "/teachers",
            &t.school_token,
            teacher("陈伟", &id_number(1), &t.school),
        )
        .await
        .expect(201);
    assert_eq!(created["id_number"], id_number(1));
    assert_eq!(created["status"], "active");
    assert_eq!(created["school_id"], t.school.as_str());
    let login = app.try_login(&id_number(1), PASSWORD).await.expect(200);
    assert_eq!(login["user"]["id"], created["user_id"]);
    assert_eq!(login["user"]["teacher_id"], created["id"]);
}

#[tokio::test]
async fn an_id_number_with_a_bad_check_code_is_refused() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let good = id_number(2);
    let bad_check = format!(
        "{}{}",
        &good[..17],
        if good.ends_with('0') { '1' } else { '0' }
    );
    let answer = app
        .post(
            "/teachers",
            &t.school_token,
            teacher("李芳", &bad_check, &t.school),
        )
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "id_number");
    assert!(
        answer["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("校验码")
    );
}

#[tokio::test]
async fn an_id_number_with_an_impossible_birth_date_is_refused() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    let first17 = "44010619900230123"; // 30 February
    let id = format!("{first17}{}", xueshi_domain::check_char(first17));
    let answer = app
        .post(
            "/teachers",
            &t.school_token,
            teacher("黄静", &id, &t.school),
        )
        .await
        .expect_error(422, "invalid");
    assert!(
        answer["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("出生日期")
    );
    let short = app
        .post(
            "/teachers",
            &t.school_token,
            teacher("黄静", "4401061990", &t.school),
        )
        .await
        .expect_error(422, "invalid");
    assert_eq!(short["error"]["details"][0]["field"], "id_number");
}

#[tokio::test]
async fn an_id_number_is_registered_once() {
    let app = spawn_app().await;
    let a = tree(&app, "越秀").await;
    let b = tree(&app, "白云").await;
    let first = app
        .post(
            "/teachers",
            &a.school_token,
            teacher("张敏", &id_number(5), &a.school),
        )
        .await
        .expect(201);
    let answer = app
        .post(
            "/teachers",
            &b.school_token,
            teacher("张敏", &id_number(5), &b.school),
        )
        .await
        .expect_error(409, "duplicate");
    // Another district's school learns neither who nor where: only to ask for a transfer.
    assert_eq!(answer["error"]["details"]["existing_id"], Value::Null);
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("调动"), "{message}");
    assert!(!message.contains("张敏"), "{message}");
    // The teacher's own school is told which record it is.
    let own = app
        .post(
            "/teachers",
            &a.school_token,
            teacher("张敏", &id_number(5), &a.school),
        )
        .await
        .expect_error(409, "duplicate");
    assert_eq!(own["error"]["details"]["existing_id"], first["id"]);
}

#[tokio::test]
async fn lists_mask_id_numbers_and_phones_and_search_by_name_or_number() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    app.post(
        "/teachers",
        &t.school_token,
        teacher("梁晓明", &id_number(10), &t.school),
    )
    .await
    .expect(201);
    app.post(
        "/teachers",
        &t.school_token,
        teacher("林嘉欣", &id_number(11), &t.school),
    )
    .await
    .expect(201);
    let list = app.api_get("/teachers", &t.school_token).await.expect(200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let masked = items[0]["id_number"].as_str().unwrap();
    assert_eq!(
        masked,
        format!("{}********{}", &id_number(10)[..6], &id_number(10)[14..])
    );
    assert_eq!(items[0]["phone"], "138****5678");
    assert!(!list.to_string().contains(&id_number(10)));

    let by_name = app
        .api_get("/teachers?q=晓明", &t.school_token)
        .await
        .expect(200);
    assert_eq!(by_name["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_name["items"][0]["name"], "梁晓明");
    let by_number = app
        .api_get(&format!("/teachers?q={}", id_number(11)), &t.school_token)
        .await
        .expect(200);
    assert_eq!(by_number["items"][0]["name"], "林嘉欣");
    let partial = app
        .api_get(
            &format!("/teachers?q={}", &id_number(11)[..10]),
            &t.school_token,
        )
        .await
        .expect(200);
    assert!(
        partial["items"].as_array().unwrap().is_empty(),
        "a part of an ID number finds nothing"
    );
    let by_school = app
        .api_get(
            &format!("/teachers?school_id={}", t.school),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(by_school["items"].as_array().unwrap().len(), 2);
    let by_district = app
        .api_get(
            &format!("/teachers?district_id={}", t.district),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(by_district["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_administrators_full_view_is_audited_a_teachers_own_is_not() {
    let app = spawn_app().await;
    let t = tree(&app, "花都").await;
    let id = app.teacher(&t.school, "刘强", 20).await;
    let full = app
        .api_get(&format!("/teachers/{id}"), &t.school_token)
        .await
        .expect(200);
    assert_eq!(full["id_number"], id_number(20));
    assert_eq!(
        app.audit_actions(&id).await,
        ["teacher.view_full", "teacher.create"]
    );
    let own = app.login(&id_number(20), PASSWORD).await;
    app.api_get(&format!("/teachers/{id}"), &own)
        .await
        .expect(200);
    assert_eq!(app.audit_actions(&id).await.len(), 2);
}

#[tokio::test]
async fn teachers_outside_the_scope_are_404_and_roles_without_access_403() {
    let app = spawn_app().await;
    let a = tree(&app, "南沙").await;
    let b = tree(&app, "从化").await;
    let id = app.teacher(&a.school, "吴磊", 30).await;
    let other = app.teacher(&a.school, "何婷", 31).await;
    app.api_get(&format!("/teachers/{id}"), &b.school_token)
        .await
        .expect_error(404, "not_found");
    app.api_get(&format!("/teachers/{id}"), &b.district_token)
        .await
        .expect_error(404, "not_found");
    app.patch(
        &format!("/teachers/{id}"),
        &b.district_token,
        json!({ "status": "departed" }),
    )
    .await
    .expect_error(404, "not_found");
    let own = app.login(&id_number(30), PASSWORD).await;
    app.api_get(&format!("/teachers/{other}"), &own)
        .await
        .expect_error(404, "not_found");
    app.api_get("/teachers", &own)
        .await
        .expect_error(403, "forbidden");
    app.post("/teachers", &own, teacher("x", &id_number(32), &a.school))
        .await
        .expect_error(403, "forbidden");
    let list = app.api_get("/teachers", &b.school_token).await.expect(200);
    assert!(list["items"].as_array().unwrap().is_empty());
    // A school admin cannot place a teacher in another school.
    app.post(
        "/teachers",
        &a.school_token,
        teacher("郭洁", &id_number(33), &b.school),
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn a_transfer_moves_the_teacher_to_the_new_schools_scope() {
    let app = spawn_app().await;
    let a = tree(&app, "增城").await;
    let b = tree(&app, "黄埔").await;
    let id = app.teacher(&a.school, "林文华", 40).await;
    // The district releases its teacher to another district's school (a school asks for
    // that instead: transfers.rs).
    let moved = app
        .patch(
            &format!("/teachers/{id}"),
            &a.district_token,
            json!({ "school_id": b.school }),
        )
        .await
        .expect(200);
    assert_eq!(moved["school_id"], b.school.as_str());
    app.api_get(&format!("/teachers/{id}"), &a.school_token)
        .await
        .expect_error(404, "not_found");
    app.api_get(&format!("/teachers/{id}"), &b.school_token)
        .await
        .expect(200);
    let actions = app.audit_actions(&id).await;
    assert!(
        actions.contains(&"teacher.transfer".to_owned())
            && actions.contains(&"teacher.transfer_out".to_owned())
    );
    // The old school still reads the trail of the teacher who left it.
    let old = app
        .api_get(&format!("/audit?target_id={id}"), &a.school_token)
        .await
        .expect(200);
    assert!(
        old["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "teacher.transfer_out")
    );
    // The teacher keeps logging in, now as a member of the new school.
    let login = app.try_login(&id_number(40), PASSWORD).await.expect(200);
    assert_eq!(login["user"]["org_id"], b.school.as_str());
}

#[tokio::test]
async fn names_and_id_numbers_are_corrected_by_the_district_not_the_school() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let id = app.teacher(&t.school, "陈丽", 50).await;
    app.patch(
        &format!("/teachers/{id}"),
        &t.school_token,
        json!({ "id_number": id_number(51) }),
    )
    .await
    .expect_error(403, "forbidden");
    app.patch(
        &format!("/teachers/{id}"),
        &t.school_token,
        json!({ "name": "陈莉" }),
    )
    .await
    .expect_error(403, "forbidden");
    let fixed = app
        .patch(
            &format!("/teachers/{id}"),
            &t.district_token,
            json!({ "name": "陈莉", "id_number": id_number(51) }),
        )
        .await
        .expect(200);
    assert_eq!(fixed["name"], "陈莉");
    assert_eq!(fixed["id_number"], id_number(51));
    // The login follows the corrected number.
    app.try_login(&id_number(50), PASSWORD)
        .await
        .expect_error(401, "unauthenticated");
    app.try_login(&id_number(51), PASSWORD).await.expect(200);
    let audit = app
        .api_get(&format!("/audit?target_id={id}"), &app.city_token)
        .await
        .expect(200);
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "teacher.update");
    assert_eq!(entry["detail"]["before"]["name"], "陈丽");
    assert_eq!(entry["detail"]["after"]["name"], "陈莉");
    assert!(
        !audit.to_string().contains(&id_number(51)),
        "the audit log keeps ID numbers masked"
    );
}

#[tokio::test]
async fn a_correction_cannot_take_another_teachers_number() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let a = app.teacher(&t.school, "甲", 60).await;
    let b = app.teacher(&t.school, "乙", 61).await;
    let answer = app
        .patch(
            &format!("/teachers/{b}"),
            &t.district_token,
            json!({ "id_number": id_number(60) }),
        )
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], a.as_str());
    app.patch(
        &format!("/teachers/{b}"),
        &t.district_token,
        json!({ "id_number": "123" }),
    )
    .await
    .expect_error(422, "invalid");
}

#[tokio::test]
async fn archived_schools_take_no_new_teachers() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    app.patch(
        &format!("/orgs/{}", t.school),
        &t.district_token,
        json!({ "status": "archived" }),
    )
    .await
    .expect(200);
    let answer = app
        .post(
            "/teachers",
            &t.district_token,
            teacher("周", &id_number(70), &t.school),
        )
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "school_id");
}

#[tokio::test]
async fn a_departed_teacher_keeps_their_record_and_can_be_reinstated() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let id = app.teacher(&t.school, "郑", 80).await;
    let departed = app
        .patch(
            &format!("/teachers/{id}"),
            &t.school_token,
            json!({ "status": "departed" }),
        )
        .await
        .expect(200);
    assert_eq!(departed["status"], "departed");
    assert!(departed["departed_on"].as_str().is_some());
    let listed = app
        .api_get("/teachers?status=departed", &t.school_token)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let back = app
        .patch(
            &format!("/teachers/{id}"),
            &t.school_token,
            json!({ "status": "active" }),
        )
        .await
        .expect(200);
    assert_eq!(back["departed_on"], serde_json::Value::Null);
    app.try_login(&id_number(80), PASSWORD).await.expect(200);
}
