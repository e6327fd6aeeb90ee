//! The two-level review: who reviews at which level and by when, what each decision does,
//! batch review, warnings for reviewers, revocation afterwards, and the teacher's
//! notifications.

use serde_json::{Value, json};

use crate::declaring::{form, png, scene};
use crate::helpers::{PASSWORD, id_number, policy, tree};

#[tokio::test]
async fn the_school_then_the_district_approve_and_only_then_the_hours_are_effective() {
    let s = scene("天河").await;
    let id = s.app.submitted(&s.token, "新课标解读", 1).await;
    let d = s
        .app
        .review(&s.tree.school_token, &id, json!({ "decision": "approve" }))
        .await
        .expect(200);
    assert_eq!(d["status"], "school_approved");
    assert_eq!(d["approved_hours"], 24);
    assert_eq!(d["record_id"], Value::Null);
    let progress = s.app.progress(&s.teacher, 2030).await;
    assert_eq!(progress["categories"]["professional"]["hours"], 0);
    assert_eq!(progress["pending_hours"], 24);
    let d = s
        .app
        .review(
            &s.tree.district_token,
            &id,
            json!({ "decision": "approve", "comment": "材料齐全" }),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "approved");
    assert_eq!(d["record_status"], "approved");
    let reviews = d["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 2);
    assert_eq!(reviews[0]["level"], "school");
    assert_eq!(reviews[0]["decision"], "approve");
    assert_eq!(reviews[0]["reviewer_org"], "天河小学");
    assert_eq!(reviews[1]["level"], "second");
    assert_eq!(reviews[1]["comment"], "材料齐全");
    assert!(reviews[1]["reviewer"].as_str().is_some() && reviews[1]["at"].as_str().is_some());
    let records = s
        .app
        .api_get(
            &format!("/teachers/{}/records?year=2030", s.teacher),
            &s.token,
        )
        .await
        .expect(200);
    let record = &records["items"][0];
    assert_eq!(record["id"], d["record_id"]);
    assert_eq!(record["source"], "declaration");
    assert_eq!(record["status"], "approved");
    assert_eq!(record["hours"], 24);
    assert_eq!(record["declaration_id"], id);
    let progress = s.app.progress(&s.teacher, 2030).await;
    assert_eq!(progress["categories"]["professional"]["hours"], 24);
    assert_eq!(progress["pending_hours"], 0);
    assert_eq!(
        s.app.audit_actions(&id).await,
        [
            "declaration.review",
            "declaration.review",
            "declaration.submit",
            "evidence.upload",
            "declaration.create"
        ]
    );
}

#[tokio::test]
async fn a_departed_teachers_pending_declaration_is_closed_not_approved() {
    // SPEC §1: archived entities cannot be assigned new records.
    let s = scene("白云").await;
    let first = s.app.submitted(&s.token, "新课标解读", 1).await;
    let second = s.app.submitted(&s.token, "课题研究", 2).await;
    s.app
        .review(
            &s.tree.school_token,
            &first,
            json!({ "decision": "approve" }),
        )
        .await
        .expect(200);
    s.app
        .patch(
            &format!("/teachers/{}", s.teacher),
            &s.tree.school_token,
            json!({ "status": "departed" }),
        )
        .await
        .expect(200);
    let refused = s
        .app
        .review(
            &s.tree.district_token,
            &first,
            json!({ "decision": "approve" }),
        )
        .await
        .expect_error(409, "conflict");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("已离职")
    );
    s.app
        .review(
            &s.tree.school_token,
            &second,
            json!({ "decision": "approve" }),
        )
        .await
        .expect_error(409, "conflict");
    let records = s
        .app
        .api_get(
            &format!("/teachers/{}/records?year=2030", s.teacher),
            &s.tree.district_token,
        )
        .await
        .expect(200);
    assert_eq!(records["items"], json!([]));
    // Closing it stays possible.
    let d = s
        .app
        .review(
            &s.tree.district_token,
            &first,
            json!({ "decision": "reject", "reason_code": "other", "comment": "教师已离职" }),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "rejected");
}

#[tokio::test]
async fn a_reviewer_may_lower_the_hours_but_never_raise_them() {
    let s = scene("海珠").await;
    let id = s.app.submitted(&s.token, "课题研究", 1).await;
    for hours in [json!(25), json!(0), json!(7.25)] {
        s.app
            .review(
                &s.tree.school_token,
                &id,
                json!({ "decision": "approve", "hours": hours }),
            )
            .await
            .expect_error(422, "invalid");
    }
    let d = s
        .app
        .review(
            &s.tree.school_token,
            &id,
            json!({ "decision": "approve", "hours": 20.5 }),
        )
        .await
        .expect(200);
    assert_eq!(d["approved_hours"], 20.5);
    assert_eq!(d["hours"], 24, "the declared hours are kept");
    // The second level works from the school's figure: it may lower it, not restore 24.
    s.app
        .review(
            &s.tree.district_token,
            &id,
            json!({ "decision": "approve", "hours": 24 }),
        )
        .await
        .expect_error(422, "invalid");
    let d = s
        .app
        .review(
            &s.tree.district_token,
            &id,
            json!({ "decision": "approve", "hours": 16 }),
        )
        .await
        .expect(200);
    assert_eq!(d["approved_hours"], 16);
    assert_eq!(d["reviews"][1]["hours"], 16);
    assert_eq!(
        s.app.progress(&s.teacher, 2030).await["categories"]["professional"]["hours"],
        16
    );
}

#[tokio::test]
async fn a_return_needs_a_comment_and_the_teacher_corrects_and_resubmits() {
    let s = scene("荔湾").await;
    let id = s.app.submitted(&s.token, "校本研修", 1).await;
    for body in [
        json!({ "decision": "return" }),
        json!({ "decision": "return", "comment": "  " }),
        json!({ "decision": "return", "comment": "x", "hours": 10 }),
        json!({ "decision": "return", "comment": "长".repeat(1001) }),
    ] {
        s.app
            .review(&s.tree.school_token, &id, body)
            .await
            .expect_error(422, "invalid");
    }
    let d = s
        .app
        .review(
            &s.tree.school_token,
            &id,
            json!({ "decision": "return", "comment": "请上传原件照片", "reason_code": "copy_not_original" }),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "returned");
    assert_eq!(d["reviews"][0]["reason_code"], "copy_not_original");
    // The teacher edits, replaces the file and resubmits; it goes back to the school.
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &s.token,
            json!({ "hours": 20 }),
        )
        .await
        .expect(200);
    s.app
        .upload(&s.token, &id, "certificate", "original.png", png(9))
        .await
        .expect(201);
    let d = s.app.submit(&s.token, &id).await.expect(200);
    assert_eq!(d["status"], "submitted");
    assert_eq!(d["hours"], 20);
    s.app
        .review(
            &s.tree.district_token,
            &id,
            json!({ "decision": "approve" }),
        )
        .await
        .expect_error(403, "forbidden");
    s.app
        .review(&s.tree.school_token, &id, json!({ "decision": "approve" }))
        .await
        .expect(200);
    // A return at the second level sends it back to the teacher too.
    let d = s
        .app
        .review(
            &s.tree.district_token,
            &id,
            json!({ "decision": "return", "comment": "学时与证书不符" }),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "returned");
    assert_eq!(d["approved_hours"], 20);
    let d = s.app.submit(&s.token, &id).await.expect(200);
    assert_eq!(
        d["approved_hours"],
        Value::Null,
        "a resubmission is reviewed afresh"
    );
}

#[tokio::test]
async fn a_rejection_needs_a_reason_code_and_is_final() {
    let s = scene("白云").await;
    let id = s.app.submitted(&s.token, "无关材料", 1).await;
    s.app
        .review(&s.tree.school_token, &id, json!({ "decision": "reject" }))
        .await
        .expect_error(422, "invalid");
    s.app
        .review(
            &s.tree.school_token,
            &id,
            json!({ "decision": "reject", "reason_code": "too_bad" }),
        )
        .await
        .expect_error(422, "invalid");
    s.app
        .review(&s.tree.school_token, &id, json!({ "decision": "maybe" }))
        .await
        .expect_error(422, "invalid");
    let d = s
        .app
        .review(
            &s.tree.school_token,
            &id,
            json!({ "decision": "reject", "reason_code": "duplicate", "comment": "已由主办单位登记" }),
        )
        .await
        .expect(200);
    assert_eq!(d["status"], "rejected");
    assert_eq!(d["reviews"][0]["reason_code"], "duplicate");
    s.app
        .submit(&s.token, &id)
        .await
        .expect_error(409, "conflict");
    s.app
        .patch(
            &format!("/declarations/{id}"),
            &s.token,
            json!({ "title": "改" }),
        )
        .await
        .expect_error(409, "conflict");
}

#[tokio::test]
async fn wrong_level_wrong_state_out_of_scope_and_wrong_role_are_each_refused() {
    let s = scene("黄埔").await;
    let app = &s.app;
    let b = tree(app, "番禺").await;
    let id = app.submitted(&s.token, "层级", 1).await;
    let approve = json!({ "decision": "approve" });
    // Wrong level: the second level before the school, the city for an ordinary school.
    app.review(&s.tree.district_token, &id, approve.clone())
        .await
        .expect_error(403, "forbidden");
    app.review(&app.city_token, &id, approve.clone())
        .await
        .expect_error(403, "forbidden");
    // Out of scope: another school, another district.
    app.review(&b.school_token, &id, approve.clone())
        .await
        .expect_error(404, "not_found");
    app.review(&b.district_token, &id, approve.clone())
        .await
        .expect_error(404, "not_found");
    app.review(&s.tree.school_token, "no-such-declaration", approve.clone())
        .await
        .expect_error(404, "not_found");
    // Roles that never review.
    app.review(&s.token, &id, approve.clone())
        .await
        .expect_error(403, "forbidden");
    app.review(&s.tree.school_token, &id, approve.clone())
        .await
        .expect(200);
    app.review(&s.tree.school_token, &id, approve.clone())
        .await
        .expect_error(403, "forbidden");
    app.review(&s.tree.district_token, &id, approve.clone())
        .await
        .expect(200);
    // Wrong state: approved, withdrawn, draft.
    app.review(&s.tree.district_token, &id, approve.clone())
        .await
        .expect_error(409, "conflict");
    let withdrawn = app.submitted(&s.token, "撤回的", 2).await;
    app.post(
        &format!("/declarations/{withdrawn}/withdraw"),
        &s.token,
        json!({}),
    )
    .await
    .expect(200);
    app.review(&s.tree.school_token, &withdrawn, approve.clone())
        .await
        .expect_error(409, "conflict");
    let draft = app
        .declare(&s.token, form("草稿", "2030-06-01", "2030-06-01"))
        .await;
    app.review(&s.tree.school_token, &draft, approve)
        .await
        .expect_error(409, "conflict");
}

#[tokio::test]
async fn the_city_is_the_second_level_for_city_affiliated_schools() {
    let s = scene("越秀").await;
    let app = &s.app;
    let school = app
        .affiliated_school(&s.tree.district, "广州市执信中学")
        .await;
    let school_token = app.admin("zhixin", "school_admin", &school).await;
    app.teacher(&school, "局属老师", 2).await;
    let teacher = app.login(&id_number(2), PASSWORD).await;
    let id = app.submitted(&teacher, "局属学校的申报", 1).await;
    app.review(&school_token, &id, json!({ "decision": "approve" }))
        .await
        .expect(200);
    app.review(
        &s.tree.district_token,
        &id,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(404, "not_found");
    let d = app
        .review(&app.city_token, &id, json!({ "decision": "approve" }))
        .await
        .expect(200);
    assert_eq!(d["status"], "approved");
}

#[tokio::test]
async fn reviews_after_their_deadline_are_refused() {
    let s = scene("花都").await;
    let app = &s.app;
    // 2026 (this year): open while the teacher declares, closed when the reviewers come.
    let open = |school: &str, district: &str| {
        let mut p = policy(2026);
        p["deadlines"] = json!({ "declaration": "2026-12-31", "registration": "2026-12-31",
            "school_review": school, "district_review": district });
        p
    };
    app.set_policy(2026, open("2027-01-09", "2027-01-13")).await;
    let late_school = app
        .ready(&s.token, form("逾期初审", "2026-05-01", "2026-05-02"), 1)
        .await;
    app.submit(&s.token, &late_school).await.expect(200);
    let late_second = app
        .ready(&s.token, form("逾期复审", "2026-05-03", "2026-05-04"), 2)
        .await;
    app.submit(&s.token, &late_second).await.expect(200);
    app.review(
        &s.tree.school_token,
        &late_second,
        json!({ "decision": "approve" }),
    )
    .await
    .expect(200);
    let mut closed = policy(2026);
    closed["deadlines"] = json!({ "declaration": "2026-01-01", "registration": "2026-01-01",
        "school_review": "2026-01-02", "district_review": "2026-01-03" });
    app.set_policy(2026, closed).await;
    let answer = app
        .review(
            &s.tree.school_token,
            &late_school,
            json!({ "decision": "approve" }),
        )
        .await
        .expect_error(422, "deadline_passed");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-01-02")
    );
    app.review(
        &s.tree.district_token,
        &late_second,
        json!({ "decision": "approve" }),
    )
    .await
    .expect_error(422, "deadline_passed");
    // The state is checked before the deadline: resubmitting a reviewed declaration is a
    // conflict, not a missed deadline.
    app.submit(&s.token, &late_second)
        .await
        .expect_error(409, "conflict");
    // And a returned declaration cannot be resubmitted once the declaration deadline is over.
    app.set_policy(2026, open("2027-01-09", "2027-01-13")).await;
    app.review(
        &s.tree.school_token,
        &late_school,
        json!({ "decision": "return", "comment": "补充材料" }),
    )
    .await
    .expect(200);
    let mut over = policy(2026);
    over["deadlines"] = json!({ "declaration": "2026-01-01", "registration": "2026-01-01",
        "school_review": "2027-01-09", "district_review": "2027-01-13" });
    app.set_policy(2026, over).await;
    app.submit(&s.token, &late_school)
        .await
        .expect_error(422, "deadline_passed");
}
