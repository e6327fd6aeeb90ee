//! Lists and review queues, transfers, pending hours, the hours helper, and concurrent
//! submissions.

use serde_json::{Value, json};

use crate::declaring::{form, scene};
use crate::helpers::{PASSWORD, id_number, tree};

/// The per-school tallies the queues' counts come from agree with the declarations.
async fn tallies_match(app: &crate::helpers::TestApp) {
    let mut c = app.db.pool().acquire().await.unwrap();
    let rows = |sql: &'static str| sqlx::query_as::<_, (String, i64, String, i64)>(sql);
    let counted = rows(
        "SELECT school_id, CAST(year AS BIGINT), status, CAST(COUNT(*) AS BIGINT) FROM declarations \
         GROUP BY school_id, year, status ORDER BY 1, 2, 3",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let tallied = rows(
        "SELECT school_id, CAST(year AS BIGINT), status, CAST(n AS BIGINT) FROM declaration_counts \
         WHERE n <> 0 ORDER BY 1, 2, 3",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(tallied, counted);
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_are_scoped_filtered_oldest_first_keyset_paginated_and_counted() {
    let s = scene("天河").await;
    let app = &s.app;
    let b = tree(app, "越秀").await;
    let affiliated = app
        .affiliated_school(&s.tree.district, "广州市第一中学")
        .await;
    let first = app.submitted(&s.token, "第一项", 1).await;
    let second = app.submitted(&s.token, "第二项", 2).await;
    let third = app.submitted(&s.token, "第三项", 3).await;
    let draft = app
        .declare(&s.token, form("草稿", "2030-06-01", "2030-06-01"))
        .await;
    app.teacher(&b.school, "越秀老师", 2).await;
    let other = app.login(&id_number(2), PASSWORD).await;
    let theirs = app.submitted(&other, "越秀的申报", 4).await;
    app.teacher(&affiliated, "局属老师", 3).await;
    let city_teacher = app.login(&id_number(3), PASSWORD).await;
    let city_school = app.submitted(&city_teacher, "局属的申报", 5).await;

    let own = app.api_get("/declarations", &s.token).await.expect(200);
    assert_eq!(
        ids(&own),
        [&first, &second, &third, &draft].map(String::clone)
    );
    assert_eq!(own["counts"]["submitted"], 3);
    assert_eq!(own["counts"]["draft"], 1);
    assert_eq!(own["counts"]["approved"], 0);
    assert!(
        own["items"][0].get("evidence").is_none(),
        "lists are summaries"
    );

    let queue = app
        .api_get("/declarations?status=submitted", &s.tree.school_token)
        .await
        .expect(200);
    assert_eq!(ids(&queue), [&first, &second, &third].map(String::clone));
    let district = app
        .api_get("/declarations?status=submitted", &s.tree.district_token)
        .await
        .expect(200);
    assert_eq!(
        ids(&district),
        [&first, &second, &third].map(String::clone),
        "a district does not see city-affiliated schools"
    );
    let city = app
        .api_get("/declarations?status=submitted", &app.city_token)
        .await
        .expect(200);
    assert_eq!(
        ids(&city),
        [&first, &second, &third, &theirs, &city_school].map(String::clone)
    );
    assert_eq!(city["counts"]["submitted"], 5);
    // The city's own second level: city-affiliated schools, whatever district they stand in.
    let affiliated_only = app
        .api_get(
            "/declarations?status=submitted&city_affiliated=true",
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&affiliated_only), [&city_school].map(String::clone));
    assert_eq!(affiliated_only["counts"]["submitted"], 1);
    let the_rest = app
        .api_get(
            "/declarations?status=submitted&city_affiliated=false",
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(
        ids(&the_rest),
        [&first, &second, &third, &theirs].map(String::clone)
    );
    assert_eq!(the_rest["counts"]["submitted"], 4);
    app.api_get("/declarations?city_affiliated=maybe", &app.city_token)
        .await
        .expect_error(400, "bad_request");
    let filtered = app
        .api_get(
            &format!(
                "/declarations?status=submitted&district_id={}&school_id={}&year=2030",
                b.district, b.school
            ),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&filtered), [&theirs].map(String::clone));
    assert_eq!(filtered["counts"]["submitted"], 1);
    let by_teacher = app
        .api_get(
            &format!("/declarations?teacher_id={}", s.teacher),
            &s.tree.school_token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&by_teacher).len(), 4);
    let other_year = app
        .api_get("/declarations?year=2031", &app.city_token)
        .await
        .expect(200);
    assert!(ids(&other_year).is_empty());

    // Keyset pagination, oldest first.
    let page1 = app
        .api_get("/declarations?status=submitted&limit=2", &app.city_token)
        .await
        .expect(200);
    assert_eq!(ids(&page1), [&first, &second].map(String::clone));
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = app
        .api_get(
            &format!("/declarations?status=submitted&limit=2&cursor={cursor}"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&page2), [&third, &theirs].map(String::clone));
    let cursor = page2["next_cursor"].as_str().unwrap();
    let page3 = app
        .api_get(
            &format!("/declarations?status=submitted&limit=2&cursor={cursor}"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&page3), [&city_school].map(String::clone));
    assert_eq!(page3["next_cursor"], Value::Null);
    tallies_match(app).await;

    // Out of scope is not found; bad query values are bad requests; providers may not look.
    app.api_get(&format!("/declarations/{theirs}"), &s.tree.school_token)
        .await
        .expect_error(404, "not_found");
    app.api_get(
        &format!("/declarations/{city_school}"),
        &s.tree.district_token,
    )
    .await
    .expect_error(404, "not_found");
    app.api_get(&format!("/declarations/{first}"), &other)
        .await
        .expect_error(404, "not_found");
    app.api_get("/declarations?status=pending", &s.token)
        .await
        .expect_error(400, "bad_request");
    app.api_get("/declarations?cursor=garbage", &s.token)
        .await
        .expect_error(400, "bad_request");
    let provider = {
        let body = json!({ "name": "某培训机构", "kind": "provider", "parent_id": app.city_id });
        app.post("/orgs", &app.city_token, body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let provider_token = app.admin("provider", "provider_admin", &provider).await;
    app.api_get("/declarations", &provider_token)
        .await
        .expect_error(403, "forbidden");
    app.api_get(&format!("/declarations/{first}"), &provider_token)
        .await
        .expect_error(403, "forbidden");
}

/// Moves the scene's teacher to a school of a new district.
async fn transfer_to_new_school(s: &crate::declaring::Scene) -> crate::helpers::Tree {
    let b = tree(&s.app, "海珠").await;
    s.app
        .patch(
            &format!("/teachers/{}", s.teacher),
            &s.app.city_token,
            json!({ "school_id": b.school }),
        )
        .await
        .expect(200);
    b
}

/// A new draft's school is read before its write transaction; the insert must refuse a
/// school the teacher has left in between, so the draft is filed again under the new one.
#[tokio::test]
async fn a_draft_is_not_filed_under_a_school_the_teacher_has_left() {
    use xueshi_store::repo::declarations;
    let s = scene("天河").await;
    let id = s.app.submitted(&s.token, "调动前的申报", 1).await;
    let b = transfer_to_new_school(&s).await;
    let mut c = s.app.db.pool().acquire().await.unwrap();
    let mut draft = declarations::get(&mut c, &id).await.unwrap().unwrap();
    assert_eq!(
        draft.school_id, b.school,
        "the transfer moved the declaration"
    );
    draft.id = format!("{id}-again");
    draft.school_id = s.tree.school.clone();
    assert!(
        !declarations::insert_if_at_school(&mut c, &draft)
            .await
            .unwrap()
    );
    assert!(
        declarations::get(&mut c, &draft.id)
            .await
            .unwrap()
            .is_none()
    );
    draft.school_id = b.school.clone();
    draft.district_id = Some(b.district.clone());
    assert!(
        declarations::insert_if_at_school(&mut c, &draft)
            .await
            .unwrap()
    );
}

/// An upload checks its declaration before its write transaction and confirms in one
/// statement that the checks still hold: its teacher's, at the school it was read at,
/// editable, with room for one more file.
#[tokio::test]
async fn an_upload_confirms_its_checks_in_one_statement() {
    use xueshi_store::models::Declaration;
    use xueshi_store::repo::declarations;
    let s = scene("天河").await;
    let draft = s
        .app
        .ready(
            &s.token,
            form("上传前的草稿", "2030-06-01", "2030-06-02"),
            1,
        )
        .await;
    let submitted = s.app.submitted(&s.token, "已提交的申报", 2).await;
    let mut c = s.app.db.pool().acquire().await.unwrap();
    let read = declarations::get(&mut c, &draft).await.unwrap().unwrap();
    let touch = |d: Declaration, max: usize| {
        let db = s.app.db.clone();
        async move {
            let mut c = db.pool().acquire().await.unwrap();
            declarations::touch_editable(&mut c, &d, max).await.unwrap()
        }
    };
    assert!(touch(read.clone(), 20).await);
    assert!(!touch(read.clone(), 1).await, "it holds one file already");
    let someone_else = Declaration {
        teacher_id: "someone-else".into(),
        ..read.clone()
    };
    assert!(!touch(someone_else, 20).await);
    let under_review = declarations::get(&mut c, &submitted)
        .await
        .unwrap()
        .unwrap();
    assert!(!touch(under_review, 20).await);
    transfer_to_new_school(&s).await;
    assert!(!touch(read, 20).await, "read before the teacher moved");
    let moved = declarations::get(&mut c, &draft).await.unwrap().unwrap();
    assert!(touch(moved, 20).await);
}

#[tokio::test]
async fn a_transferred_teachers_declarations_go_to_the_new_school() {
    let s = scene("天河").await;
    let id = s.app.submitted(&s.token, "跨校申报", 1).await;
    let b = transfer_to_new_school(&s).await;
    let old = s
        .app
        .api_get("/declarations?status=submitted", &s.tree.school_token)
        .await
        .expect(200);
    assert!(ids(&old).is_empty());
    assert_eq!(
        old["counts"]["submitted"], 0,
        "the old school's count follows the move"
    );
    let new = s
        .app
        .api_get("/declarations?status=submitted", &b.school_token)
        .await
        .expect(200);
    assert_eq!(ids(&new), [&id].map(String::clone));
    assert_eq!(new["counts"]["submitted"], 1);
    let district = s
        .app
        .api_get("/declarations?status=submitted", &b.district_token)
        .await
        .expect(200);
    assert_eq!(ids(&district), [&id].map(String::clone));
    s.app
        .review(&s.tree.school_token, &id, json!({ "decision": "approve" }))
        .await
        .expect_error(404, "not_found");
    let d = s
        .app
        .review(&b.school_token, &id, json!({ "decision": "approve" }))
        .await
        .expect(200);
    assert_eq!(d["school_id"], b.school);
    let district = s
        .app
        .api_get("/declarations", &b.district_token)
        .await
        .expect(200);
    assert_eq!(district["counts"]["submitted"], 0);
    assert_eq!(district["counts"]["school_approved"], 1);
    // A draft moved to another credit year moves its tally too.
    let draft = s
        .app
        .declare(&s.token, form("改年度的草稿", "2030-06-01", "2030-06-01"))
        .await;
    s.app
        .patch(
            &format!("/declarations/{draft}"),
            &s.token,
            form("改年度的草稿", "2031-06-01", "2031-06-01"),
        )
        .await
        .expect(200);
    let next_year = s
        .app
        .api_get("/declarations?year=2031", &b.school_token)
        .await
        .expect(200);
    assert_eq!(next_year["counts"]["draft"], 1);
    tallies_match(&s.app).await;
}

#[tokio::test]
async fn pending_hours_count_submitted_and_school_approved_declarations_of_the_year() {
    let s = scene("白云").await;
    let a = s.app.submitted(&s.token, "甲", 1).await;
    let b = s.app.submitted(&s.token, "乙", 2).await;
    let mut body = form("丙", "2030-07-01", "2030-07-01");
    body["hours"] = json!(2.5);
    let c = s.app.ready(&s.token, body, 3).await;
    s.app.submit(&s.token, &c).await.expect(200);
    s.app
        .declare(&s.token, form("草稿不算", "2030-06-01", "2030-06-01"))
        .await;
    assert_eq!(
        s.app.progress(&s.teacher, 2030).await["pending_hours"],
        50.5
    );
    // The school lowers one to 20: pending follows the approved figure.
    s.app
        .review(
            &s.tree.school_token,
            &a,
            json!({ "decision": "approve", "hours": 20 }),
        )
        .await
        .expect(200);
    assert_eq!(
        s.app.progress(&s.teacher, 2030).await["pending_hours"],
        46.5
    );
    // Effective hours are no longer pending; withdrawn ones never are.
    s.app
        .review(&s.tree.district_token, &a, json!({ "decision": "approve" }))
        .await
        .expect(200);
    s.app
        .post(&format!("/declarations/{b}/withdraw"), &s.token, json!({}))
        .await
        .expect(200);
    let progress = s.app.progress(&s.teacher, 2030).await;
    assert_eq!(progress["pending_hours"], 2.5);
    assert_eq!(progress["categories"]["professional"]["hours"], 20);
}

#[tokio::test]
async fn the_form_offers_guangdongs_conversion_without_applying_it() {
    let s = scene("荔湾").await;
    let answer = s
        .app
        .api_get("/declarations/hours-helper?days=2&minutes=100", &s.token)
        .await
        .expect(200);
    assert_eq!(answer["hours"], 18, "2 days × 8 + 100 min ÷ 45");
    let answer = s
        .app
        .api_get("/declarations/hours-helper?minutes=44", &s.token)
        .await
        .expect(200);
    assert_eq!(answer["hours"], 0);
    s.app
        .api_get("/declarations/hours-helper?days=400", &s.token)
        .await
        .expect_error(422, "invalid");
    s.app
        .api_get("/declarations/hours-helper?minutes=1440", &s.token)
        .await
        .expect_error(422, "invalid");
    s.app
        .api_get("/declarations/hours-helper?days=-1", &s.token)
        .await
        .expect_error(400, "bad_request");
    let anonymous = s
        .app
        .call(
            reqwest::Method::GET,
            "/api/v1/declarations/hours-helper?days=1",
            None,
            None,
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn two_duplicates_submitted_at_once_cannot_both_pass() {
    let s = scene("黄埔").await;
    for round in 0..6 {
        let title = format!("并发提交{round}");
        let a = s
            .app
            .ready(
                &s.token,
                form(&title, "2030-06-01", "2030-06-03"),
                10 + round * 2,
            )
            .await;
        let b = s
            .app
            .ready(
                &s.token,
                form(&title, "2030-06-02", "2030-06-04"),
                11 + round * 2,
            )
            .await;
        let (first, second) = tokio::join!(s.app.submit(&s.token, &a), s.app.submit(&s.token, &b));
        let mut statuses = [first.status.as_u16(), second.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", first.body, second.body);
    }
}

/// A double tap submits once; the second is told the declaration is already submitted.
#[tokio::test]
async fn the_same_declaration_submitted_twice_at_once_is_submitted_once() {
    let s = scene("南沙").await;
    for round in 0..6 {
        let id = s
            .app
            .ready(
                &s.token,
                form(&format!("连按两次{round}"), "2030-06-01", "2030-06-03"),
                30 + round,
            )
            .await;
        let (first, second) =
            tokio::join!(s.app.submit(&s.token, &id), s.app.submit(&s.token, &id));
        let (ok, refused) = if first.status == 200 {
            (first, second)
        } else {
            (second, first)
        };
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert_eq!(refused.body["error"]["code"], "conflict");
        assert_eq!(
            refused.body["error"]["message"],
            "“待学校初审”状态的申报不能提交"
        );
        let audit = s.app.audit_actions(&id).await;
        assert_eq!(
            audit.iter().filter(|a| *a == "declaration.submit").count(),
            1
        );
    }
}
