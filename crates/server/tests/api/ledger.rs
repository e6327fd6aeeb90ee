use serde_json::json;

use crate::helpers::{PASSWORD, id_number, policy, spawn_app, tree};

#[tokio::test]
async fn repeating_a_public_course_counts_once_the_larger_report_never_above_the_course() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    app.set_policy(2030, policy(2030)).await;
    let course = app.public_course(2030, 30.0).await;
    let first = app
        .complete(&course, &teacher, 20.0, "2030-03-01")
        .await
        .expect(200);
    assert_eq!(first["source"], "public_course");
    assert_eq!(first["hours"], 20);
    assert_eq!(
        app.complete(&course, &teacher, 12.5, "2030-04-01")
            .await
            .expect(200)["hours"],
        20
    );
    assert_eq!(
        app.complete(&course, &teacher, 45.0, "2030-05-01")
            .await
            .expect(200)["hours"],
        30
    );
    let records = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2030"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(
        records["items"].as_array().unwrap().len(),
        1,
        "one record per teacher and course"
    );
    let progress = app.progress(&teacher, 2030).await;
    assert_eq!(progress["categories"]["public"]["hours"], 30);
    assert_eq!(progress["categories"]["public"]["required"], 30);
}

#[tokio::test]
async fn a_public_topic_is_published_once_a_year_so_copies_cannot_count_twice() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    let first = app
        .post(
            "/courses",
            &app.city_token,
            json!({ "title": "《心理健康教育》", "year": 2030, "category": "public", "hours": 30 }),
        )
        .await
        .expect(201);
    // The district publishes the same topic, typed differently: refused, naming the first.
    let copy = app
        .post(
            "/courses",
            &t.district_token,
            json!({ "title": "心理健康 教育", "year": 2030, "category": "public", "hours": 30 }),
        )
        .await
        .expect_error(409, "duplicate");
    assert_eq!(copy["error"]["details"]["existing_id"], first["id"]);
    assert!(
        copy["error"]["message"]
            .as_str()
            .unwrap()
            .contains("只按1门")
    );
    // Another year, or another category, is another course.
    for body in [
        json!({ "title": "心理健康教育", "year": 2031, "category": "public", "hours": 30 }),
        json!({ "title": "心理健康教育", "year": 2030, "category": "elective", "hours": 10 }),
    ] {
        app.post("/courses", &t.district_token, body)
            .await
            .expect(201);
    }
}

#[tokio::test]
async fn a_platform_course_credits_platform_training_at_once() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let teacher = app.teacher(&t.school, "李芳", 2).await;
    let body = json!({ "title": "信息技术应用能力提升", "year": 2030, "category": "professional", "hours": 24 });
    let course = app
        .post("/courses", &t.district_token, body)
        .await
        .expect(201);
    assert_eq!(course["activity_type"], "remote_training");
    let answer = app
        .post(
            &format!("/courses/{}/completions", course["id"].as_str().unwrap()),
            &t.district_token,
            json!({ "teacher_id": teacher, "hours": 24, "completed_on": "2030-09-01" }),
        )
        .await
        .expect(200);
    assert_eq!(answer["source"], "platform_training");
    assert_eq!(answer["status"], "approved");
}

#[tokio::test]
async fn completions_are_checked() {
    let app = spawn_app().await;
    let a = tree(&app, "越秀").await;
    let b = tree(&app, "荔湾").await;
    let teacher_b = app.teacher(&b.school, "黄静", 3).await;
    let course = app.public_course(2030, 30.0).await;
    let answer = app
        .complete(&course, &teacher_b, 30.0, "2031-01-02")
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "completed_on");
    app.complete(&course, &teacher_b, 30.05, "2030-01-02")
        .await
        .expect_error(422, "invalid");
    app.complete(&course, &teacher_b, 0.0, "2030-01-02")
        .await
        .expect_error(422, "invalid");
    // A district's course credits only its own district's teachers.
    let body =
        json!({ "title": "区级网络研修", "year": 2030, "category": "elective", "hours": 10 });
    let district_course = app
        .post("/courses", &a.district_token, body)
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let completion = json!({ "teacher_id": teacher_b, "hours": 10, "completed_on": "2030-05-05" });
    app.post(
        &format!("/courses/{district_course}/completions"),
        &a.district_token,
        completion.clone(),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &format!("/courses/{district_course}/completions"),
        &b.district_token,
        completion.clone(),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &format!("/courses/{district_course}/completions"),
        &a.school_token,
        completion,
    )
    .await
    .expect_error(403, "forbidden");
    app.patch(
        &format!("/teachers/{teacher_b}"),
        &b.school_token,
        json!({ "status": "departed" }),
    )
    .await
    .expect(200);
    app.complete(&course, &teacher_b, 30.0, "2030-01-02")
        .await
        .expect_error(422, "invalid");
}

#[tokio::test]
async fn a_school_registers_only_its_own_teachers_for_school_based_training() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let other_school = app.school(&t.district, "白云区第二小学").await;
    let own = app.teacher(&t.school, "甲", 10).await;
    let foreign = app.teacher(&other_school, "乙", 11).await;
    let training = app
        .training(
            &t.school_token,
            &t.school,
            "school",
            "professional",
            "teaching_research",
            6.0,
            2030,
        )
        .await;
    let entries = json!({ "entries": [{ "teacher_id": own }, { "teacher_id": foreign }] });
    let answer = app
        .post(
            &format!("/trainings/{training}/attendance"),
            &t.school_token,
            entries,
        )
        .await
        .expect_error(422, "invalid");
    // Answered as a teacher it does not have (not naming where they are).
    assert_eq!(
        answer["error"]["details"][0]["field"],
        "entries[1].teacher_id"
    );
    assert!(
        app.api_get(&format!("/teachers/{own}/records"), &app.city_token)
            .await
            .expect(200)["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing is registered when one entry is bad"
    );
    let ok = app
        .post(
            &format!("/trainings/{training}/attendance"),
            &t.school_token,
            json!({ "entries": [{ "teacher_id": own }] }),
        )
        .await
        .expect(200);
    assert_eq!(ok, json!({ "registered": 1, "updated": 0 }));
    let records = app
        .api_get(&format!("/teachers/{own}/records"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(
        records["items"][0]["hours"], 6,
        "hours default to the event's"
    );
    assert_eq!(records["items"][0]["source"], "organizer");
    // A school cannot organise in another school's name.
    let body = json!({ "title": "x", "organizer_id": other_school, "level": "school", "category": "elective",
        "activity_type": "other", "start_date": "2030-01-01", "end_date": "2030-01-02", "hours": 2 });
    app.post("/trainings", &t.school_token, body)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn re_registration_updates_never_duplicates() {
    let app = spawn_app().await;
    let t = tree(&app, "黄埔").await;
    let teacher = app.teacher(&t.school, "丙", 20).await;
    let training = app
        .training(
            &t.district_token,
            &t.district,
            "district",
            "elective",
            "academic_event",
            8.0,
            2030,
        )
        .await;
    let url = format!("/trainings/{training}/attendance");
    let first = app
        .post(
            &url,
            &t.district_token,
            json!({ "entries": [{ "id_number": id_number(20), "hours": 4 }] }),
        )
        .await
        .expect(200);
    assert_eq!(first, json!({ "registered": 1, "updated": 0 }));
    let again = app
        .post(
            &url,
            &t.district_token,
            json!({ "entries": [{ "teacher_id": teacher, "hours": 7.5 }] }),
        )
        .await
        .expect(200);
    assert_eq!(again, json!({ "registered": 0, "updated": 1 }));
    let records = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2030"),
            &app.city_token,
        )
        .await
        .expect(200);
    let items = records["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["hours"], 7.5);
}

#[tokio::test]
async fn attendance_entries_are_checked_one_by_one() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    let teacher = app.teacher(&t.school, "丁", 30).await;
    let training = app
        .training(
            &app.city_token,
            &app.city_id,
            "city",
            "professional",
            "training_course",
            8.0,
            2030,
        )
        .await;
    let bad = json!({ "entries": [
        { "teacher_id": teacher, "hours": 9 },
        { "id_number": "123" },
        { "id_number": id_number(31) },
        { "teacher_id": teacher, "hours": 2.25 },
        {}
    ] });
    let answer = app
        .post(
            &format!("/trainings/{training}/attendance"),
            &app.city_token,
            bad,
        )
        .await
        .expect_error(422, "invalid");
    let details = answer["error"]["details"].as_array().unwrap();
    let fields: Vec<&str> = details
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "entries[0].学时",
            "entries[1].身份证号",
            "entries[2].身份证号",
            "entries[3].学时",
            "entries[4].身份证号"
        ]
    );
    assert!(details[0]["message"].as_str().unwrap().contains("不能超过"));
    let twice = json!({ "entries": [{ "teacher_id": teacher }, { "id_number": id_number(30) }] });
    app.post(
        &format!("/trainings/{training}/attendance"),
        &app.city_token,
        twice,
    )
    .await
    .expect_error(422, "invalid");
    let empty = json!({ "entries": [] });
    app.post(
        &format!("/trainings/{training}/attendance"),
        &app.city_token,
        empty,
    )
    .await
    .expect_error(422, "invalid");
}

#[tokio::test]
async fn registration_after_the_deadline_is_refused() {
    let app = spawn_app().await;
    let t = tree(&app, "花都").await;
    let teacher = app.teacher(&t.school, "戊", 40).await;
    app.set_policy(2021, policy(2021)).await;
    let training = app
        .training(
            &app.city_token,
            &app.city_id,
            "city",
            "professional",
            "training_course",
            8.0,
            2021,
        )
        .await;
    let answer = app
        .post(
            &format!("/trainings/{training}/attendance"),
            &app.city_token,
            json!({ "entries": [{ "teacher_id": teacher }] }),
        )
        .await
        .expect_error(422, "deadline_passed");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2021-12-31")
    );
}

#[tokio::test]
async fn trainings_are_made_by_their_organisers_with_valid_fields() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    let teacher = app.teacher(&t.school, "己", 50).await;
    let teacher_token = app.login(&id_number(50), PASSWORD).await;
    let body = json!({ "title": "培训", "organizer_id": t.school, "level": "school", "category": "public",
        "activity_type": "other", "start_date": "2030-02-01", "end_date": "2030-01-01", "hours": 2 });
    app.post("/trainings", &teacher_token, body.clone())
        .await
        .expect_error(403, "forbidden");
    let answer = app
        .post("/trainings", &t.school_token, body)
        .await
        .expect_error(422, "invalid");
    let fields: Vec<&str> = answer["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["category", "start_date"]);
    let level = json!({ "title": "培训", "organizer_id": t.school, "level": "district", "category": "elective",
        "activity_type": "other", "start_date": "2030-01-01", "end_date": "2030-01-01", "hours": 2 });
    app.post("/trainings", &t.school_token, level)
        .await
        .expect_error(422, "invalid");
    let listed = app
        .api_get("/trainings", &t.district_token)
        .await
        .expect(200);
    assert!(listed["items"].as_array().unwrap().is_empty());
    let id = app
        .training(
            &t.school_token,
            &t.school,
            "school",
            "elective",
            "other",
            2.0,
            2030,
        )
        .await;
    let listed = app
        .api_get("/trainings", &t.district_token)
        .await
        .expect(200);
    assert_eq!(
        listed["items"][0]["id"],
        id.as_str(),
        "a district sees its schools' events"
    );
    assert_eq!(
        app.api_get(&format!("/trainings/{id}"), &t.school_token)
            .await
            .expect(200)["year"],
        2030
    );
    let _ = teacher;
}

#[tokio::test]
async fn a_district_or_the_city_revokes_a_record_which_then_never_counts() {
    let app = spawn_app().await;
    let a = tree(&app, "从化").await;
    let b = tree(&app, "增城").await;
    let teacher = app.teacher(&a.school, "庚", 60).await;
    app.set_policy(2030, policy(2030)).await;
    let training = app
        .training(
            &app.city_token,
            &app.city_id,
            "city",
            "professional",
            "training_course",
            42.0,
            2030,
        )
        .await;
    app.credit(&training, &[(&teacher, 42.0)]).await;
    let records = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2030"),
            &app.city_token,
        )
        .await
        .expect(200);
    let record = records["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.progress(&teacher, 2030).await["categories"]["professional"]["hours"],
        42
    );

    let reason = json!({ "reason": "重复登记，一经查实取消" });
    app.post(
        &format!("/records/{record}/revoke"),
        &a.school_token,
        reason.clone(),
    )
    .await
    .expect_error(403, "forbidden");
    app.post(
        &format!("/records/{record}/revoke"),
        &b.district_token,
        reason.clone(),
    )
    .await
    .expect_error(404, "not_found");
    app.post(
        &format!("/records/{record}/revoke"),
        &a.district_token,
        json!({ "reason": " " }),
    )
    .await
    .expect_error(422, "invalid");
    let revoked = app
        .post(
            &format!("/records/{record}/revoke"),
            &a.district_token,
            reason.clone(),
        )
        .await
        .expect(200);
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoke_reason"], "重复登记，一经查实取消");
    app.post(
        &format!("/records/{record}/revoke"),
        &app.city_token,
        reason,
    )
    .await
    .expect_error(409, "conflict");
    assert_eq!(
        app.progress(&teacher, 2030).await["categories"]["professional"]["hours"],
        0
    );
    assert_eq!(app.audit_actions(&record).await, ["record.revoke"]);
}

#[tokio::test]
async fn progress_is_visible_to_the_teacher_and_their_administrators_only() {
    let app = spawn_app().await;
    let a = tree(&app, "天河").await;
    let b = tree(&app, "越秀").await;
    let teacher = app.teacher(&a.school, "辛", 70).await;
    let other = app.teacher(&a.school, "壬", 71).await;
    app.set_policy(2030, policy(2030)).await;
    let own = app.login(&id_number(70), PASSWORD).await;
    let progress = app
        .api_get(&format!("/teachers/{teacher}/progress?year=2030"), &own)
        .await
        .expect(200);
    assert_eq!(progress["meets_requirements"], false);
    assert_eq!(progress["total"]["required"], 90);
    assert_eq!(progress["pending_hours"], 0);
    app.api_get(&format!("/teachers/{other}/progress?year=2030"), &own)
        .await
        .expect_error(404, "not_found");
    app.api_get(
        &format!("/teachers/{teacher}/progress?year=2030"),
        &b.school_token,
    )
    .await
    .expect_error(404, "not_found");
    app.api_get(&format!("/teachers/{teacher}/progress?year=2031"), &own)
        .await
        .expect_error(404, "not_found");
    app.api_get(&format!("/teachers/{teacher}/progress"), &own)
        .await
        .expect_error(400, "bad_request");
}
