//! Warnings for reviewers, and what a revoked record no longer does.

use serde_json::{Value, json};

use crate::declaring::{form, scene};
use crate::helpers::{PASSWORD, id_number};

#[tokio::test]
async fn reviewers_are_warned_of_likely_duplicates_and_images_used_by_another_teacher() {
    let s = scene("增城").await;
    let app = &s.app;
    let id = app
        .submitted(&s.token, "人工智能赋能课堂教学研修班", 1)
        .await;
    // The teacher's own similar declaration and an organiser record of a similar title.
    let similar = app
        .ready(
            &s.token,
            form("人工智能赋能课堂教学研修", "2030-06-02", "2030-06-05"),
            2,
        )
        .await;
    app.submit(&s.token, &similar).await.expect(200);
    // Another teacher uses the very same file, a third a re-encoded copy of the picture.
    app.teacher(&s.tree.school, "第二位", 2).await;
    let second = app.login(&id_number(2), PASSWORD).await;
    let copied = app
        .ready(&second, form("别人的申报", "2030-08-01", "2030-08-02"), 1)
        .await;
    app.teacher(&s.tree.school, "第三位", 3).await;
    let third = app.login(&id_number(3), PASSWORD).await;
    let recoded = app
        .declare(&third, form("第三人的申报", "2030-08-01", "2030-08-02"))
        .await;
    app.upload(
        &third,
        &recoded,
        "certificate",
        "c.jpg",
        crate::declaring::jpeg(1),
    )
    .await
    .expect(201);

    app.images_hashed().await;
    let d = app.declaration(&s.tree.school_token, &id).await;
    let warnings = d["warnings"].as_array().unwrap();
    let of =
        |kind: &str| -> Vec<&Value> { warnings.iter().filter(|w| w["kind"] == kind).collect() };
    let duplicates = of("possible_duplicate");
    assert_eq!(duplicates.len(), 1, "{warnings:?}");
    assert_eq!(duplicates[0]["declaration_id"], similar);
    let same = of("same_evidence");
    assert_eq!(same.len(), 1, "{warnings:?}");
    assert_eq!(same[0]["declaration_id"], copied);
    let near = of("similar_evidence");
    assert_eq!(near.len(), 1, "{warnings:?}");
    assert_eq!(near[0]["declaration_id"], recoded);
    assert!(near[0]["distance"].as_u64().unwrap() <= 6);
    // Teachers do not see reviewers' warnings.
    assert_eq!(app.declaration(&s.token, &id).await["warnings"], json!([]));
    // A different picture is no warning.
    let lone = app.declaration(&s.tree.school_token, &similar).await;
    assert!(
        lone["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["kind"] == "possible_duplicate"),
        "{lone}"
    );
}

#[tokio::test]
async fn a_revoked_record_no_longer_counts_nor_blocks_a_new_declaration() {
    let s = scene("天河").await;
    let app = &s.app;
    let id = app.submitted(&s.token, "取消登记的培训", 1).await;
    app.review(&s.tree.school_token, &id, json!({ "decision": "approve" }))
        .await
        .expect(200);
    let d = app
        .review(
            &s.tree.district_token,
            &id,
            json!({ "decision": "approve" }),
        )
        .await
        .expect(200);
    let record = d["record_id"].as_str().unwrap().to_owned();
    // While effective, it blocks a duplicate, named by the declaration's id.
    let again = app
        .ready(
            &s.token,
            form("取消登记的培训", "2030-06-01", "2030-06-03"),
            2,
        )
        .await;
    let answer = app
        .submit(&s.token, &again)
        .await
        .expect_error(409, "duplicate");
    assert_eq!(answer["error"]["details"]["existing_id"], id);
    app.post(
        &format!("/records/{record}/revoke"),
        &s.tree.district_token,
        json!({ "reason": "一经查实，取消学时登记" }),
    )
    .await
    .expect(200);
    let d = app.declaration(&s.token, &id).await;
    assert_eq!(d["status"], "approved");
    assert_eq!(d["record_status"], "revoked");
    assert_eq!(
        app.progress(&s.teacher, 2030).await["categories"]["professional"]["hours"],
        0
    );
    app.submit(&s.token, &again).await.expect(200);
}

#[tokio::test]
async fn an_image_waiting_for_comparison_is_flagged_until_it_is_hashed() {
    // A server that leaves hashing to others: its uploads wait, and reviewers are told so.
    let app = crate::helpers::spawn_app_with(|c| c.evidence_hashing = false).await;
    let s = crate::declaring::scene_in(app, "黄埔", 1).await;
    let app = &s.app;
    let photo = app.submitted(&s.token, "班主任专业能力研修", 1).await;
    app.teacher(&s.tree.school, "第二位", 2).await;
    let second = app.login(&id_number(2), PASSWORD).await;
    let copy = app
        .declare(
            &second,
            form("另一位教师的申报", "2030-08-01", "2030-08-02"),
        )
        .await;
    app.upload(
        &second,
        &copy,
        "certificate",
        "c.jpg",
        crate::declaring::jpeg(1),
    )
    .await
    .expect(201);
    let kinds = |d: &Value| -> Vec<String> {
        d["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let d = app.declaration(&s.tree.school_token, &photo).await;
    assert_eq!(kinds(&d), ["image_check_pending"], "{d}");

    // The hasher's round (what every other server runs in the background) settles both.
    let no_requests = Default::default();
    let round = || {
        xueshi_server::services::evidence_hashing::hash_waiting(
            &app.db,
            &app.files,
            &no_requests,
            10,
        )
    };
    let settled = round().await.unwrap();
    assert_eq!(settled, 2);
    let d = app.declaration(&s.tree.school_token, &photo).await;
    assert_eq!(kinds(&d), ["similar_evidence"], "{d}");
    assert_eq!(d["warnings"][0]["declaration_id"], copy);
    // Nothing is left, so another round settles nothing.
    let again = round().await.unwrap();
    assert_eq!(again, 0);
}

/// One line per finding, naming the others; attendees of one training share its certificate
/// template, which is said so rather than suspected; too many hours for the days is flagged.
#[tokio::test]
async fn warnings_are_grouped_name_the_others_and_know_a_training_template() {
    let s = scene("番禺").await;
    let app = &s.app;
    let training = || form("2030年区级骨干教师培训", "2030-06-01", "2030-06-03");
    let id = app.ready(&s.token, training(), 5).await;
    app.submit(&s.token, &id).await.expect(200);
    // Two attendees of the same training, their certificates from the same template.
    for (n, name) in [(2, "第二位"), (3, "第三位")] {
        app.teacher(&s.tree.school, name, n).await;
        let token = app.login(&id_number(n), PASSWORD).await;
        let theirs = app.declare(&token, training()).await;
        app.upload(
            &token,
            &theirs,
            "certificate",
            "c.jpg",
            crate::declaring::jpeg(5),
        )
        .await
        .expect(201);
    }
    // Someone else's certificate for another activity, and a byte-identical file.
    app.teacher(&s.tree.school, "第四位", 4).await;
    let fourth = app.login(&id_number(4), PASSWORD).await;
    let other = app
        .declare(&fourth, form("别的培训", "2030-08-01", "2030-08-02"))
        .await;
    app.upload(
        &fourth,
        &other,
        "certificate",
        "c.jpg",
        crate::declaring::jpeg(5),
    )
    .await
    .expect(201);
    app.teacher(&s.tree.school, "欧阳小明", 5).await;
    let fifth = app.login(&id_number(5), PASSWORD).await;
    let copied = app
        .ready(&fifth, form("抄来的证书", "2030-09-01", "2030-09-02"), 5)
        .await;

    app.images_hashed().await;
    let d = app.declaration(&s.tree.school_token, &id).await;
    let warnings = d["warnings"].as_array().unwrap();
    let one = |kind: &str| -> &Value {
        let found: Vec<&Value> = warnings.iter().filter(|w| w["kind"] == kind).collect();
        assert_eq!(found.len(), 1, "one {kind} line: {warnings:?}");
        found[0]
    };
    let same = one("same_evidence");
    assert_eq!(same["severity"], "high");
    assert!(
        same["message"].as_str().unwrap().contains("另外 1 名教师"),
        "{same}"
    );
    assert_eq!(same["others"][0]["declaration_id"], copied);
    assert_eq!(same["others"][0]["teacher"], "欧**明");
    assert_eq!(same["others"][0]["school"], "番禺小学");
    assert_eq!(same["others"][0]["visible"], true);
    let template = one("training_template");
    assert_eq!(template["severity"], "info");
    assert!(
        template["message"]
            .as_str()
            .unwrap()
            .contains("同一培训的证书模板")
            && template["message"]
                .as_str()
                .unwrap()
                .contains("另外 2 名教师"),
        "{template}"
    );
    assert_eq!(template["others"].as_array().unwrap().len(), 2);
    let near = one("similar_evidence");
    assert_eq!(near["severity"], "medium");
    assert_eq!(near["declaration_id"], other);
    assert!(near["message"].as_str().unwrap().contains("另外 1 名教师"));

    let long = app
        .ready(&s.token, json!({
            "category": "professional", "activity_type": "training_course", "title": "两天的研修",
            "organizer": "广州市教师发展中心", "start_date": "2030-07-01", "end_date": "2030-07-02",
            "hours": 30, "foreign_certificate": false, "certificate_states_hours": true
        }), 9)
        .await;
    app.submit(&s.token, &long).await.expect(200);
    let d = app.declaration(&s.tree.school_token, &long).await;
    let exceed: Vec<&Value> = d["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "hours_exceed_days")
        .collect();
    assert_eq!(exceed.len(), 1, "{d}");
    assert!(
        exceed[0]["message"]
            .as_str()
            .unwrap()
            .contains("2 天按每天 8 学时折算的 16 学时")
    );
}
