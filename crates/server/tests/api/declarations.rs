//! Declarations: the form, editing, submission and its checks in API.md's order, duplicates,
//! withdrawal.

use serde_json::{Value, json};

use crate::declaring::{form, jpeg, pdf, png, scene};
use crate::helpers::{PASSWORD, id_number, policy};

#[tokio::test]
async fn a_teacher_creates_a_draft_whose_end_date_decides_the_credit_year() {
    let s = scene("天河").await;
    let body = json!({
        "category": "elective", "activity_type": "academic_event", "title": "  教育数字化  论坛 ",
        "organizer": "华南师范大学", "start_date": "2029-12-30", "end_date": "2030-01-02", "hours": 7.5
    });
    let d = s
        .app
        .post("/declarations", &s.token, body)
        .await
        .expect(201);
    assert_eq!(d["status"], "draft");
    assert_eq!(d["year"], 2030);
    assert_eq!(d["teacher_id"], s.teacher);
    assert_eq!(d["school_id"], s.tree.school);
    assert_eq!(d["hours"], 7.5);
    assert_eq!(d["title"], "教育数字化  论坛");
    assert_eq!(d["approved_hours"], Value::Null);
    assert_eq!(d["foreign_certificate"], false);
    assert_eq!(d["certificate_states_hours"], true);
    assert_eq!(d["evidence"], json!([]));
    assert_eq!(d["reviews"], json!([]));
    assert_eq!(d["warnings"], json!([]));
    let id = d["id"].as_str().unwrap();
    assert_eq!(s.app.audit_actions(id).await, ["declaration.create"]);
    // Every activity type of the notice can be declared.
    for activity in [
        "remote_training",
        "teaching_research",
        "training_course",
        "degree_education",
        "practice",
        "trainer_role",
        "academic_event",
        "research_output",
        "other",
    ] {
        let mut body = form(activity, "2030-03-01", "2030-03-02");
        body["activity_type"] = json!(activity);
        s.app.declare(&s.token, body).await;
    }
}

#[tokio::test]
async fn each_field_of_the_form_is_checked_when_saved() {
    let s = scene("海珠").await;
    let cases = [
        ("category", json!("public")),
        ("hours", json!(7.55)),
        ("hours", json!(0)),
        ("hours", json!(-2)),
        ("start_date", json!("2030/06/01")),
        ("end_date", json!("2030-02-30")),
        ("title", json!("   ")),
        ("activity_type", json!("sports")),
        ("title", json!("长".repeat(201))),
        ("organizer", json!("长".repeat(201))),
        ("start_date", json!("1999-12-31")),
    ];
    for (field, value) in cases {
        let mut body = form("班主任能力提升", "2030-06-01", "2030-06-03");
        body[field] = value.clone();
        let answer = s
            .app
            .post("/declarations", &s.token, body)
            .await
            .expect_error(422, "invalid");
        assert_eq!(
            answer["error"]["details"][0]["field"], field,
            "{field} = {value}: {answer}"
        );
    }
    s.app
        .post(
            "/declarations",
            &s.tree.school_token,
            form("班主任能力提升", "2030-06-01", "2030-06-03"),
        )
        .await
        .expect_error(403, "forbidden");
}

#[tokio::test]
async fn a_draft_or_returned_declaration_is_edited_field_by_field() {
    let s = scene("荔湾").await;
    let id = s
        .app
        .declare(&s.token, form("旧名称", "2030-06-01", "2030-06-03"))
        .await;
    let d = s
        .app
        .patch(
            &format!("/declarations/{id}"),
            &s.token,
            json!({ "title": "新名称", "end_date": "2031-01-05" }),
        )
        .await
        .expect(200);
    assert_eq!(d["title"], "新名称");
    assert_eq!(d["year"], 2031, "the end date decides the year");
    assert_eq!(d["organizer"], "广州市教师发展中心");
    assert_eq!(d["hours"], 24);
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &s.token,
            json!({ "hours": 1.25 }),
        )
        .await
        .expect_error(422, "invalid");
    // Others cannot touch it: another teacher 404, an administrator 403.
    s.app.teacher(&s.tree.school, "王老师", 2).await;
    let other = s.app.login(&id_number(2), PASSWORD).await;
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &other,
            json!({ "title": "x" }),
        )
        .await
        .expect_error(404, "not_found");
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &s.tree.school_token,
            json!({ "title": "x" }),
        )
        .await
        .expect_error(403, "forbidden");
    // Once submitted it is frozen.
    let submitted = s.app.submitted(&s.token, "结构化教学", 1).await;
    s.app
        .patch(
            &format!("/declarations/{submitted}"),
            &s.token,
            json!({ "title": "改名" }),
        )
        .await
        .expect_error(409, "conflict");
    let actions = s.app.audit_actions(&id).await;
    assert_eq!(actions, ["declaration.update", "declaration.create"]);
}

#[tokio::test]
async fn submission_checks_state_deadline_evidence_fields_and_duplicates_in_that_order() {
    let s = scene("白云").await;
    s.app.set_policy(2021, policy(2021)).await;
    let existing = s.app.submitted(&s.token, "课堂观察", 2).await;
    // Everything wrong at once: past deadline, no evidence, start after end, and (once the
    // file is attached) the very file of an earlier declaration.
    let id = s
        .app
        .declare(&s.token, form("课堂观察", "2021-06-30", "2021-06-01"))
        .await;
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "deadline_passed");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2021-12-31")
    );
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &s.token,
            json!({ "start_date": "2030-06-30", "end_date": "2030-06-01" }),
        )
        .await
        .expect(200);
    s.app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "missing_evidence");
    s.app
        .upload(&s.token, &id, "certificate", "c.png", png(2))
        .await
        .expect(201);
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "start_date");
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &s.token,
            json!({ "start_date": "2030-06-02", "end_date": "2030-06-30" }),
        )
        .await
        .expect(200);
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], existing);
    // Nothing changed on any refusal.
    let d = s.app.declaration(&s.token, &id).await;
    assert_eq!(d["status"], "draft");
    assert_eq!(d["submitted_at"], Value::Null);
    assert!(
        !s.app
            .audit_actions(&id)
            .await
            .contains(&"declaration.submit".to_owned())
    );
    // A submitted declaration cannot be submitted again.
    let answer = s
        .app
        .submit(&s.token, &existing)
        .await
        .expect_error(409, "conflict");
    assert!(answer["error"]["details"].is_null());
}

#[tokio::test]
async fn a_draft_may_leave_the_organiser_empty_but_a_submission_may_not() {
    let s = scene("南沙").await;
    let mut body = form("暂未填写主办单位", "2030-06-01", "2030-06-02");
    body["organizer"] = json!("");
    let id = s.app.ready(&s.token, body, 1).await;
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "organizer");
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &s.token,
            json!({ "organizer": "广州市教育研究院" }),
        )
        .await
        .expect(200);
    s.app.submit(&s.token, &id).await.expect(200);
}

#[tokio::test]
async fn a_year_without_a_policy_cannot_be_declared_and_the_answer_names_the_year() {
    let s = scene("黄埔").await;
    let id = s
        .app
        .ready(&s.token, form("跨年研修", "2031-03-01", "2031-03-02"), 1)
        .await;
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "invalid");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2031"),
        "{answer}"
    );
    assert_eq!(answer["error"]["details"][0]["field"], "end_date");
}

#[tokio::test]
async fn a_certificate_is_required_and_a_foreign_or_hourless_one_needs_its_companion() {
    let s = scene("番禺").await;
    let mut body = form("海外研修", "2030-06-01", "2030-06-03");
    body["foreign_certificate"] = json!(true);
    body["certificate_states_hours"] = json!(false);
    let id = s.app.declare(&s.token, body).await;
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "missing_evidence");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("证书")
    );
    // The certificate alone: a translation is still missing.
    s.app
        .upload(&s.token, &id, "certificate", "cert.jpg", jpeg(1))
        .await
        .expect(201);
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "missing_evidence");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("翻译")
    );
    // With the translation: the hours proof is still missing.
    s.app
        .upload(&s.token, &id, "translation", "t.pdf", pdf("translation"))
        .await
        .expect(201);
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(422, "missing_evidence");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("学时证明")
    );
    s.app
        .upload(&s.token, &id, "hours_proof", "h.pdf", pdf("hours"))
        .await
        .expect(201);
    let d = s.app.submit(&s.token, &id).await.expect(200);
    assert_eq!(d["status"], "submitted");
    assert_eq!(d["evidence"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_same_title_with_overlapping_dates_is_a_duplicate_however_it_is_typed() {
    let s = scene("花都").await;
    let existing = s.app.submitted(&s.token, "ＡＩ赋能  课堂教学", 1).await;
    let id = s
        .app
        .ready(
            &s.token,
            form(" ai赋能 课堂教学", "2030-06-03", "2030-06-10"),
            2,
        )
        .await;
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], existing);
    // Dates that do not overlap are another session of the same course.
    let later = s
        .app
        .ready(
            &s.token,
            form("AI赋能课堂教学", "2030-09-01", "2030-09-02"),
            3,
        )
        .await;
    s.app.submit(&s.token, &later).await.expect(200);
}

#[tokio::test]
async fn an_identical_evidence_file_is_a_duplicate_even_under_another_title() {
    let s = scene("南沙").await;
    let existing = s.app.submitted(&s.token, "信息技术应用", 7).await;
    let id = s
        .app
        .ready(
            &s.token,
            form("完全不同的名称", "2030-10-01", "2030-10-02"),
            7,
        )
        .await;
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], existing);
}

#[tokio::test]
async fn an_organiser_registration_of_the_same_event_blocks_a_declaration_naming_the_record() {
    let s = scene("从化").await;
    let training = s
        .app
        .training(
            &s.tree.district_token,
            &s.tree.district,
            "district",
            "professional",
            "training_course",
            24.0,
            2030,
        )
        .await;
    s.app.credit(&training, &[(&s.teacher, 24.0)]).await;
    let records = s
        .app
        .api_get(
            &format!("/teachers/{}/records?year=2030", s.teacher),
            &s.token,
        )
        .await
        .expect(200);
    let record = records["items"][0]["id"].as_str().unwrap().to_owned();
    // The helper names the event "training_course培训", 2030-06-01 to 2030-06-30.
    let id = s
        .app
        .ready(
            &s.token,
            form(" Training_Course培训 ", "2030-06-10", "2030-06-12"),
            1,
        )
        .await;
    let answer = s
        .app
        .submit(&s.token, &id)
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], record);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("主办单位")
    );
}

#[tokio::test]
async fn drafts_returned_rejected_and_withdrawn_declarations_never_block() {
    let s = scene("增城").await;
    let title = "项目式学习设计";
    let draft = s
        .app
        .ready(&s.token, form(title, "2030-06-01", "2030-06-03"), 1)
        .await;
    let returned = s.app.submitted(&s.token, "临时1", 2).await;
    let rejected = s.app.submitted(&s.token, "临时2", 3).await;
    let withdrawn = s.app.submitted(&s.token, "临时3", 4).await;
    s.app
        .review(
            &s.tree.school_token,
            &returned,
            json!({ "decision": "return", "comment": "请补充盖章" }),
        )
        .await
        .expect(200);
    s.app
        .review(
            &s.tree.school_token,
            &rejected,
            json!({ "decision": "reject", "reason_code": "irrelevant_material" }),
        )
        .await
        .expect(200);
    s.app
        .post(
            &format!("/declarations/{withdrawn}/withdraw"),
            &s.token,
            json!({}),
        )
        .await
        .expect(200);
    // Give them all the same title as a new declaration (only returned ones can be edited, so
    // the others keep their names: they must not block either way).
    s.app
        .patch(
            &format!("/declarations/{returned}"),
            &s.token,
            json!({ "title": title }),
        )
        .await
        .expect(200);
    let fresh = s
        .app
        .ready(&s.token, form(title, "2030-06-02", "2030-06-02"), 5)
        .await;
    s.app.submit(&s.token, &fresh).await.expect(200);
    // The draft, now overlapping a submitted one, is the one refused.
    let answer = s
        .app
        .submit(&s.token, &draft)
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], fresh);
}

#[tokio::test]
async fn a_teacher_withdraws_until_the_school_has_reviewed() {
    let s = scene("越秀").await;
    let id = s.app.submitted(&s.token, "教研组活动", 1).await;
    let d = s
        .app
        .post(&format!("/declarations/{id}/withdraw"), &s.token, json!({}))
        .await
        .expect(200);
    assert_eq!(d["status"], "withdrawn");
    // A withdrawn declaration is final: neither resubmitted nor withdrawn again.
    s.app
        .submit(&s.token, &id)
        .await
        .expect_error(409, "conflict");
    s.app
        .post(&format!("/declarations/{id}/withdraw"), &s.token, json!({}))
        .await
        .expect_error(409, "conflict");
    let reviewed = s.app.submitted(&s.token, "读书会", 2).await;
    s.app
        .review(
            &s.tree.school_token,
            &reviewed,
            json!({ "decision": "approve" }),
        )
        .await
        .expect(200);
    s.app
        .post(
            &format!("/declarations/{reviewed}/withdraw"),
            &s.token,
            json!({}),
        )
        .await
        .expect_error(409, "conflict");
    let draft = s
        .app
        .declare(&s.token, form("草稿", "2030-06-01", "2030-06-01"))
        .await;
    s.app
        .post(
            &format!("/declarations/{draft}/withdraw"),
            &s.token,
            json!({}),
        )
        .await
        .expect_error(409, "conflict");
    assert_eq!(
        s.app.audit_actions(&id).await[0],
        "declaration.withdraw",
        "withdrawal is audited"
    );
}
