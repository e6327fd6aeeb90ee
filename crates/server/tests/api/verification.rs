use serde_json::{Value, json};
use xueshi_domain::{Hours, Policy, RecordLine, evaluate, year_totals};

use crate::helpers::{PASSWORD, TestApp, id_number, policy, spawn_app, tree};

async fn run(app: &TestApp, year: i32) -> Value {
    app.post(
        &format!("/verifications/{year}/run"),
        &app.city_token,
        json!({"force": true}),
    )
    .await
    .expect(200)
}

async fn result(app: &TestApp, teacher: &str, year: i32) -> Value {
    app.api_get(
        &format!("/teachers/{teacher}/verification/{year}"),
        &app.city_token,
    )
    .await
    .expect(200)
}

#[tokio::test]
async fn a_teacher_passes_when_every_category_and_the_total_meet_the_minimums() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let passes = app.teacher(&t.school, "合格", 1).await;
    let short_elective = app.teacher(&t.school, "选修不足", 2).await;
    let nothing = app.teacher(&t.school, "无学时", 3).await;
    app.set_policy(2030, policy(2030)).await;
    app.set_policy(2031, policy(2031)).await;
    app.earn(&passes, 2030, 30.0, 60.0, 18.0).await;
    app.earn(&short_elective, 2030, 30.0, 72.0, 17.5).await;

    let summary = run(&app, 2030).await;
    assert_eq!(
        summary,
        json!({ "year": 2030, "teachers": 3, "passed": 1, "failed": 2, "carried_over_hours": 18 })
    );

    let ok = result(&app, &passes, 2030).await;
    assert_eq!(
        (
            ok["public"].clone(),
            ok["professional"].clone(),
            ok["elective"].clone(),
            ok["total"].clone()
        ),
        (json!(30), json!(60), json!(18), json!(108))
    );
    assert_eq!(ok["passed"], true);
    assert_eq!(
        ok["carry_out"], 18,
        "professional hours above the minimum carry"
    );
    assert!(
        ok["certificate_code"]
            .as_str()
            .is_some_and(|c| c.len() > 20)
    );
    let short = result(&app, &short_elective, 2030).await;
    assert_eq!(short["passed"], false);
    assert_eq!(short["carry_out"], 0, "a failed year carries nothing");
    assert_eq!(short["certificate_code"], Value::Null);
    assert_eq!(result(&app, &nothing, 2030).await["total"], 0);
    // The list carries the same codes (API.md 1.1), not null for every item.
    let list = app
        .api_get("/verifications/2030", &app.city_token)
        .await
        .expect(200);
    let code_of = |id: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["teacher_id"] == id)
            .map(|i| i["certificate_code"].clone())
    };
    assert_eq!(code_of(&passes), Some(ok["certificate_code"].clone()));
    assert_eq!(code_of(&short_elective), Some(Value::Null));

    // The carry-over is one record in the next year, counted in its professional hours.
    let next = app
        .api_get(
            &format!("/teachers/{passes}/records?year=2031"),
            &app.city_token,
        )
        .await
        .expect(200);
    let items = next["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["source"].clone(), items[0]["hours"].clone()),
        (json!("carry_over"), json!(18))
    );
    let progress = app.progress(&passes, 2031).await;
    assert_eq!(progress["categories"]["professional"]["carried_in"], 18);
    assert_eq!(progress["categories"]["professional"]["hours"], 18);
    assert_eq!(progress["total"]["hours"], 18);
}

#[tokio::test]
async fn a_rerun_is_idempotent_and_reflects_a_revocation() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let teacher = app.teacher(&t.school, "甲", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&teacher, 2030, 30.0, 50.0, 18.0).await;
    let first = run(&app, 2030).await;
    assert_eq!(run(&app, 2030).await, first);
    let next = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2031"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(
        next["items"].as_array().unwrap().len(),
        1,
        "a re-run replaces the carry-over, never adds one"
    );

    let records = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2030"),
            &app.city_token,
        )
        .await
        .expect(200);
    let elective = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "elective")
        .unwrap();
    app.post(
        &format!("/records/{}/revoke", elective["id"].as_str().unwrap()),
        &t.district_token,
        json!({ "reason": "复印件" }),
    )
    .await
    .expect(200);
    let after = run(&app, 2030).await;
    assert_eq!(after["passed"], 0);
    let next = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2031"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert!(
        next["items"].as_array().unwrap().is_empty(),
        "a year that now fails carries nothing"
    );
}

#[tokio::test]
async fn amending_an_early_year_rederives_every_later_verified_year() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    let teacher = app.teacher(&t.school, "乙", 1).await;
    for year in 2030..=2033 {
        app.set_policy(year, policy(year)).await;
    }
    // 2030 carries 20 into 2031; with 32 more, 2031 carries 10 into 2032; 2032 passes on it.
    app.earn(&teacher, 2030, 30.0, 62.0, 18.0).await;
    app.earn(&teacher, 2031, 30.0, 32.0, 18.0).await;
    app.earn(&teacher, 2032, 30.0, 32.0, 18.0).await;
    for year in 2030..=2032 {
        run(&app, year).await;
    }
    assert_eq!(result(&app, &teacher, 2031).await["carried_in"], 20);
    assert_eq!(result(&app, &teacher, 2032).await["carried_in"], 10);
    assert_eq!(result(&app, &teacher, 2032).await["passed"], true);

    // Revoking 10 professional hours of 2030 changes 2032 through the chain.
    let c = app
        .training(
            &app.city_token,
            &app.city_id,
            "city",
            "professional",
            "teaching_research",
            10.0,
            2030,
        )
        .await;
    app.credit(&c, &[(&teacher, 10.0)]).await;
    run(&app, 2030).await;
    assert_eq!(result(&app, &teacher, 2031).await["carried_in"], 30);
    assert_eq!(
        result(&app, &teacher, 2032).await["carried_in"],
        20,
        "2031 was re-derived, and then 2032"
    );
    assert_eq!(result(&app, &teacher, 2032).await["carry_out"], 10);
    let y2033 = app
        .api_get(
            &format!("/teachers/{teacher}/records?year=2033"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(y2033["items"][0]["hours"], 10);
}

#[tokio::test]
async fn who_is_verified_follows_arrival_and_departure() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    // Everyone here was created in the current year (2026 or later).
    let with_record = app.teacher(&t.school, "有记录", 1).await;
    let without = app.teacher(&t.school, "无记录", 2).await;
    let departed = app.teacher(&t.school, "已离职", 3).await;
    app.set_policy(2025, policy(2025)).await;
    app.set_policy(2030, policy(2030)).await;
    let training = app
        .training(
            &app.city_token,
            &app.city_id,
            "city",
            "elective",
            "other",
            2.0,
            2025,
        )
        .await;
    // 2025's registration deadline is past: a record of 2025 comes from the ledger directly.
    let record = xueshi_store::models::Record {
        id: uuid::Uuid::now_v7().to_string(),
        teacher_id: with_record.clone(),
        year: 2025,
        category: xueshi_domain::Category::Elective,
        activity_type: xueshi_domain::ActivityType::Other,
        title: "补录".into(),
        hours: Hours::from_whole(2),
        source: xueshi_domain::Source::Organizer,
        status: xueshi_domain::RecordStatus::Approved,
        course_id: None,
        training_id: Some(training),
        declaration_id: None,
        start_date: None,
        end_date: None,
        created_by: None,
        created_at: 0,
        revoke_reason: None,
    };
    let mut c = app.db.pool().acquire().await.unwrap();
    xueshi_store::repo::records::insert(&mut c, &record)
        .await
        .unwrap();
    drop(c);
    app.patch(
        &format!("/teachers/{departed}"),
        &t.school_token,
        json!({ "status": "departed" }),
    )
    .await
    .expect(200);

    assert_eq!(
        run(&app, 2025).await["teachers"],
        1,
        "only the teacher holding a 2025 record"
    );
    app.api_get(
        &format!("/teachers/{without}/verification/2025"),
        &app.city_token,
    )
    .await
    .expect_error(404, "not_found");
    result(&app, &with_record, 2025).await;
    assert_eq!(
        run(&app, 2030).await["teachers"],
        2,
        "a teacher who left before 2030 is not verified in 2030"
    );
    app.api_get(
        &format!("/teachers/{departed}/verification/2030"),
        &app.city_token,
    )
    .await
    .expect_error(404, "not_found");
}

#[tokio::test]
async fn only_the_city_runs_the_verification_of_a_year_with_a_policy() {
    let app = spawn_app().await;
    let t = tree(&app, "黄埔").await;
    app.post("/verifications/2030/run", &t.district_token, json!({}))
        .await
        .expect_error(403, "forbidden");
    app.post("/verifications/2030/run", &app.city_token, json!({}))
        .await
        .expect_error(422, "invalid");
    app.post("/verifications/20x0/run", &app.city_token, json!({}))
        .await
        .expect_error(400, "bad_request");
}

#[tokio::test]
async fn results_are_listed_in_scope_and_a_teacher_sees_their_own() {
    let app = spawn_app().await;
    let a = tree(&app, "番禺").await;
    let b = tree(&app, "花都").await;
    let ta = app.teacher(&a.school, "甲", 1).await;
    let tb = app.teacher(&b.school, "乙", 2).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&ta, 2030, 30.0, 42.0, 18.0).await;
    run(&app, 2030).await;
    let list = app
        .api_get("/verifications/2030", &a.district_token)
        .await
        .expect(200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["teacher_id"], ta.as_str());
    assert_eq!(
        app.api_get("/verifications/2030?passed=false", &app.city_token)
            .await
            .expect(200)["items"][0]["teacher_id"],
        tb.as_str()
    );
    assert_eq!(
        app.api_get(
            &format!("/verifications/2030?school_id={}", b.school),
            &app.city_token
        )
        .await
        .expect(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let own = app.login(&id_number(1), PASSWORD).await;
    app.api_get(&format!("/teachers/{ta}/verification/2030"), &own)
        .await
        .expect(200);
    app.api_get(&format!("/teachers/{tb}/verification/2030"), &own)
        .await
        .expect_error(404, "not_found");
    app.api_get(
        &format!("/teachers/{ta}/verification/2030"),
        &b.school_token,
    )
    .await
    .expect_error(404, "not_found");
}

/// The set-based SQL and the domain's per-teacher rules agree, activity caps and a carry cap
/// included.
#[tokio::test]
async fn the_database_verification_agrees_with_the_domain_rules() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    let mut p = policy(2030);
    p["activity_caps"] = json!({ "research_output": 12, "academic_event": 6.5 });
    p["carry_over"] = json!({ "enabled": true, "cap": 15 });
    app.set_policy(2030, p.clone()).await;
    let activities = [
        "research_output",
        "academic_event",
        "training_course",
        "teaching_research",
    ];
    let mut trainings = Vec::new();
    for (i, activity) in activities.iter().enumerate() {
        for category in ["professional", "elective"] {
            trainings.push(
                app.training(
                    &app.city_token,
                    &app.city_id,
                    "city",
                    category,
                    activity,
                    40.0,
                    2030,
                )
                .await,
            );
        }
        let _ = i;
    }
    let course = app.public_course(2030, 30.0).await;
    let mut teachers = Vec::new();
    let mut seed = 7u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % 400
    };
    for n in 0..12u32 {
        let teacher = app.teacher(&t.school, &format!("教师{n}"), 100 + n).await;
        app.complete(
            &course,
            &teacher,
            (next() % 310) as f64 / 10.0 + 0.1,
            "2030-03-01",
        )
        .await
        .expect(200);
        for training in &trainings {
            let hours = next() as f64 / 10.0;
            if hours >= 1.0 {
                app.credit(training, &[(&teacher, hours.min(40.0))]).await;
            }
        }
        teachers.push(teacher);
    }
    run(&app, 2030).await;
    let policy: Policy = serde_json::from_value({
        let mut p = p;
        p["year"] = json!(2030);
        p
    })
    .unwrap();
    for teacher in &teachers {
        let records = app
            .api_get(
                &format!("/teachers/{teacher}/records?year=2030"),
                &app.city_token,
            )
            .await
            .expect(200);
        let lines: Vec<RecordLine> = records["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| RecordLine {
                category: r["category"].as_str().unwrap().parse().unwrap(),
                activity_type: r["activity_type"].as_str().unwrap().parse().unwrap(),
                source: r["source"].as_str().unwrap().parse().unwrap(),
                hours: Hours::parse_positive(r["hours"].as_f64().unwrap()).unwrap(),
            })
            .collect();
        let expected = evaluate(&year_totals(&lines, &policy), &policy);
        let got = result(&app, teacher, 2030).await;
        let h = |v: &Value| Hours::parse_non_negative(v.as_f64().unwrap()).unwrap();
        assert_eq!(h(&got["public"]), expected.public, "{teacher}");
        assert_eq!(h(&got["professional"]), expected.professional, "{teacher}");
        assert_eq!(h(&got["elective"]), expected.elective, "{teacher}");
        assert_eq!(h(&got["total"]), expected.total, "{teacher}");
        assert_eq!(got["passed"], expected.passed, "{teacher}");
        assert_eq!(h(&got["carry_out"]), expected.carry_out, "{teacher}");
    }
}

#[tokio::test]
async fn a_large_run_answers_202_with_a_job_to_poll() {
    let app = crate::helpers::spawn_app_with(|c| c.verification_job_threshold = 0).await;
    let t = tree(&app, "从化").await;
    let teacher = app.teacher(&t.school, "甲", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    let job = app
        .post(
            "/verifications/2030/run",
            &app.city_token,
            json!({"force": true}),
        )
        .await
        .expect(202);
    let id = job["id"].as_str().unwrap();
    assert_eq!(job["status"], "queued");
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app
            .api_get(&format!("/jobs/{id}"), &app.city_token)
            .await
            .expect(200);
        if last["status"] == "done" || last["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last["status"], "done", "{last}");
    assert_eq!(last["progress"], 100);
    assert_eq!(last["result"]["passed"], 1);
    assert_eq!(result(&app, &teacher, 2030).await["passed"], true);
    app.api_get(&format!("/jobs/{id}"), &t.district_token)
        .await
        .expect_error(403, "forbidden");
    app.api_get("/jobs/nope", &app.city_token)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn a_rerun_rewrites_only_the_results_that_changed() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let steady = app.teacher(&t.school, "甲", 1).await;
    let amended = app.teacher(&t.school, "乙", 2).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&steady, 2030, 30.0, 50.0, 18.0).await;
    app.earn(&amended, 2030, 30.0, 50.0, 18.0).await;
    run(&app, 2030).await;
    let before = result(&app, &steady, 2030).await["computed_at"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let extra = app
        .training(
            &app.city_token,
            &app.city_id,
            "city",
            "professional",
            "practice",
            4.0,
            2030,
        )
        .await;
    app.credit(&extra, &[(&amended, 4.0)]).await;
    run(&app, 2030).await;
    assert_eq!(
        result(&app, &steady, 2030).await["computed_at"],
        before,
        "an unchanged result is not rewritten"
    );
    let changed = result(&app, &amended, 2030).await;
    assert_ne!(changed["computed_at"], before);
    assert_eq!(changed["carry_out"], 12);
    let next = app
        .api_get(
            &format!("/teachers/{amended}/records?year=2031"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(
        next["items"][0]["hours"], 12,
        "the carry-over record follows the new figure"
    );
}

async fn carry_over(app: &TestApp, path: &str) -> Value {
    let list = app.api_get(path, &app.city_token).await.expect(200);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["source"] == "carry_over")
        .cloned()
        .expect("a carry-over record")
}

/// The carry-over is derived from the previous year's result, yet reads as a record: listed
/// in its year and among all years, with an id that survives re-runs, and never revoked on
/// its own (its source records are).
#[tokio::test]
async fn a_carry_over_record_keeps_its_id_and_cannot_be_revoked() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let teacher = app.teacher(&t.school, "甲", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.set_policy(2031, policy(2031)).await;
    app.earn(&teacher, 2030, 30.0, 50.0, 18.0).await;
    run(&app, 2030).await;
    let first = carry_over(&app, &format!("/teachers/{teacher}/records?year=2031")).await;
    assert_eq!(
        (
            first["year"].clone(),
            first["category"].clone(),
            first["hours"].clone(),
            first["status"].clone()
        ),
        (
            json!(2031),
            json!("professional"),
            json!(8),
            json!("approved")
        )
    );
    let all_years = carry_over(&app, &format!("/teachers/{teacher}/records")).await;
    assert_eq!(all_years["id"], first["id"]);

    app.earn(&teacher, 2030, 0.0, 4.0, 0.0).await;
    run(&app, 2030).await;
    let again = carry_over(&app, &format!("/teachers/{teacher}/records?year=2031")).await;
    assert_eq!(again["hours"], 12);
    assert_eq!(again["id"], first["id"], "a re-run keeps the record's id");

    let id = first["id"].as_str().unwrap();
    let reason = json!({ "reason": "重复" });
    app.post(
        &format!("/records/{id}/revoke"),
        &t.district_token,
        reason.clone(),
    )
    .await
    .expect_error(409, "conflict");
    let other = tree(&app, "海珠").await;
    app.post(
        &format!("/records/{id}/revoke"),
        &other.district_token,
        reason,
    )
    .await
    .expect_error(404, "not_found");
    assert_eq!(
        app.progress(&teacher, 2031).await["categories"]["professional"]["carried_in"],
        12
    );
}

#[tokio::test]
async fn a_run_before_the_district_review_deadline_needs_force_and_a_preview_writes_nothing() {
    let s = crate::declaring::scene("越秀").await;
    let app = &s.app;
    app.earn(&s.teacher, 2030, 30.0, 42.0, 18.0).await;
    app.submitted(&s.token, "人工智能赋能课堂教学", 1).await;
    let run = "/verifications/2030/run";
    let refused = app.post(run, &app.city_token, json!({})).await;
    let refused = refused.expect_error(409, "conflict");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2031-01-13") && message.contains("待学校初审 1 份"),
        "{message}"
    );
    // No body at all is an unforced run too; a body that is not JSON is refused.
    let empty = app
        .client
        .post(format!("{}/api/v1{run}", app.address))
        .bearer_auth(&app.city_token)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 409);
    app.post(run, &app.city_token, json!({"force": "yes"}))
        .await
        .expect_error(422, "invalid");

    let t = tree(app, "海珠").await;
    app.post("/verifications/2030/preview", &t.district_token, json!({}))
        .await
        .expect_error(403, "forbidden");
    let preview = app
        .post("/verifications/2030/preview", &app.city_token, json!({}))
        .await
        .expect(200);
    assert_eq!(
        (&preview["teachers"], &preview["passed"], &preview["failed"]),
        (&json!(1), &json!(1), &json!(0))
    );
    app.api_get(
        &format!("/teachers/{}/verification/2030", s.teacher),
        &app.city_token,
    )
    .await
    .expect_error(404, "not_found");
    let listed = app
        .api_get("/verifications/2030", &app.city_token)
        .await
        .expect(200);
    assert_eq!(listed["items"], json!([]), "a preview stores no result");
    assert!(
        !app.audit_actions("2030")
            .await
            .contains(&"verification.run".to_string())
    );

    let forced = app
        .post(run, &app.city_token, json!({"force": true}))
        .await
        .expect(200);
    assert_eq!(forced, preview, "the run finds what the preview showed");
    let audit = app
        .api_get(
            "/audit?target_id=2030&action=verification.run",
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(audit["items"][0]["detail"]["early"], true, "{audit}");
}

#[tokio::test]
async fn a_run_after_the_district_review_deadline_needs_no_force() {
    let app = spawn_app().await;
    // 2025's district review ended on 2026-01-13.
    app.set_policy(2025, policy(2025)).await;
    let summary = app
        .post("/verifications/2025/run", &app.city_token, json!({}))
        .await
        .expect(200);
    assert_eq!(summary["year"], 2025);
    let audit = app
        .api_get(
            "/audit?target_id=2025&action=verification.run",
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(audit["items"][0]["detail"]["early"], false, "{audit}");
}
