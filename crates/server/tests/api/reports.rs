use serde_json::{Value, json};
use xueshi_server::services::sheet;

use crate::helpers::{TestApp, policy, spawn_app, tree};

pub async fn verify(app: &TestApp, year: i32) {
    app.post(
        &format!("/verifications/{year}/run"),
        &app.city_token,
        json!({"force": true}),
    )
    .await
    .expect(200);
}

/// A raw download: status, content type, content disposition and bytes.
pub async fn download(app: &TestApp, path: &str, token: &str) -> (u16, String, String, Vec<u8>) {
    let resp = app
        .client
        .get(format!("{}/api/v1{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (status, kind, disposition) = (
        resp.status().as_u16(),
        header("content-type"),
        header("content-disposition"),
    );
    (
        status,
        kind,
        disposition,
        resp.bytes().await.unwrap().to_vec(),
    )
}

/// The rows of an XLSX's first sheet under `columns`.
pub fn xlsx_rows(bytes: &[u8], columns: &[&str]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"PK"), "an XLSX file");
    sheet::read(bytes, columns, columns)
        .unwrap_or_else(|e| panic!("readable: {}", e.message()))
        .into_iter()
        .map(|r| r.cells)
        .collect()
}

/// A declaration row as the declarations service stores it, in a given state.
pub async fn declaration(app: &TestApp, teacher: &str, year: i32, status: &str) {
    let mut c = app.db.pool().acquire().await.unwrap();
    let t = xueshi_store::repo::teachers::get(&mut c, app.db.vault(), teacher)
        .await
        .unwrap()
        .unwrap();
    let school = xueshi_store::repo::orgs::get(&mut c, &t.school_id)
        .await
        .unwrap()
        .unwrap();
    let mut q = xueshi_store::repo::sql::Sql::new(
        "INSERT INTO declarations (id, teacher_id, school_id, district_id, city_affiliated, year, \
         category, activity_type, title, title_normalized, organizer, start_date, end_date, hours, \
         status, foreign_certificate, certificate_states_hours, queued_at, created_at, updated_at) VALUES (",
    );
    q.bind(uuid::Uuid::now_v7().to_string())
        .push(", ")
        .bind(teacher)
        .push(", ");
    q.bind(school.id.as_str())
        .push(", ")
        .bind(school.district_id.clone())
        .push(", ");
    q.bind(school.city_affiliated)
        .push(", ")
        .bind(year as i64)
        .push(", 'professional', 'other', '研修', '研修', '某机构', ");
    q.bind(format!("{year}-03-01"))
        .push(", ")
        .bind(format!("{year}-03-02"));
    q.push(", 80, ").bind(status).push(", 0, 1, 1, 1, 1)");
    q.execute(&mut c).await.unwrap();
}

async fn summary(app: &TestApp, query: &str, token: &str) -> Value {
    app.api_get(&format!("/reports/2030/summary{query}"), token)
        .await
        .expect(200)
}

fn group<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {body}"))
}

#[tokio::test]
async fn the_summary_is_live_before_the_verification_and_verified_after() {
    let app = spawn_app().await;
    let a = tree(&app, "天河").await;
    let b = tree(&app, "海珠").await;
    app.set_policy(2030, policy(2030)).await;
    let pass = app.teacher(&a.school, "合格", 1).await;
    let short = app.teacher(&a.school, "不足", 2).await;
    let other = app.teacher(&b.school, "海珠教师", 3).await;
    app.earn(&pass, 2030, 30.0, 50.0, 20.0).await;
    app.earn(&short, 2030, 30.0, 10.5, 0.0).await;
    app.earn(&other, 2030, 30.0, 42.0, 18.0).await;

    let live = summary(&app, "", &app.city_token).await;
    assert_eq!(live["basis"], "live");
    assert_eq!(live["group_by"], "district");
    let tianhe = group(&live, "天河区").clone();
    assert_eq!(tianhe["org_id"], a.district.as_str());
    assert_eq!(
        (
            tianhe["teachers"].clone(),
            tianhe["passed"].clone(),
            tianhe["pass_rate"].clone()
        ),
        (json!(2), json!(1), json!(0.5))
    );
    assert_eq!(
        tianhe["hours"],
        json!({ "public": 60, "professional": 60.5, "elective": 20, "total": 140.5 }),
        "hours are sums over the group's teachers"
    );
    assert_eq!(
        tianhe["average_hours"],
        json!({ "public": 30, "professional": 30.3, "elective": 10, "total": 70.3 })
    );
    assert_eq!(group(&live, "海珠区")["pass_rate"], 1.0);
    assert_eq!(live["total"]["teachers"], 3);
    assert_eq!(live["total"]["passed"], 2);

    verify(&app, 2030).await;
    let verified = summary(&app, "", &app.city_token).await;
    assert_eq!(verified["basis"], "verified");
    assert_eq!(
        group(&verified, "天河区"),
        &tianhe,
        "the verification confirms live progress"
    );

    let by_school = summary(&app, "?group_by=school", &app.city_token).await;
    assert_eq!(by_school["groups"].as_array().unwrap().len(), 2);
    assert_eq!(group(&by_school, "天河小学")["teachers"], 2);
}

#[tokio::test]
async fn live_progress_applies_the_policy_like_the_verification_does() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    let mut capped = policy(2030);
    capped["activity_caps"] = json!({ "training_course": 50 });
    app.set_policy(2030, capped).await;
    app.set_policy(2031, policy(2031)).await;
    let teachers = [
        app.teacher(&t.school, "甲", 1).await,
        app.teacher(&t.school, "乙", 2).await,
        app.teacher(&t.school, "丙", 3).await,
    ];
    // 甲: 60 professional hours of training courses, capped at 50; 8 carry into 2031.
    app.earn(&teachers[0], 2030, 30.0, 60.0, 0.0).await;
    let other = app
        .training(
            &app.city_token,
            &app.city_id,
            "city",
            "elective",
            "other",
            18.0,
            2030,
        )
        .await;
    app.credit(&other, &[(&teachers[0], 18.0)]).await;
    app.earn(&teachers[1], 2030, 30.0, 42.0, 18.0).await;
    app.earn(&teachers[2], 2030, 15.0, 0.0, 5.0).await;
    app.earn(&teachers[0], 2031, 30.0, 34.0, 18.0).await;
    let live = app
        .api_get("/reports/2030/summary?group_by=school", &app.city_token)
        .await
        .expect(200);
    assert_eq!(live["groups"][0]["hours"]["professional"], 92);

    for year in [2030, 2031] {
        let path = format!("/reports/{year}/summary?group_by=school");
        let list = format!("/reports/{year}/shortfalls");
        let live = app.api_get(&path, &app.city_token).await.expect(200);
        let live_short = app.api_get(&list, &app.city_token).await.expect(200);
        assert_eq!(live["basis"], "live");
        verify(&app, year).await;
        let verified = app.api_get(&path, &app.city_token).await.expect(200);
        let verified_short = app.api_get(&list, &app.city_token).await.expect(200);
        assert_eq!(verified["basis"], "verified");
        assert_eq!(live["groups"], verified["groups"], "{year}");
        assert_eq!(live_short["items"], verified_short["items"], "{year}");
    }
    // 34 hours and 8 carried meet the professional minimum of 2031.
    let s2031 = app
        .api_get("/reports/2031/shortfalls", &app.city_token)
        .await
        .expect(200);
    let first = s2031["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["teacher_id"] == teachers[0].as_str());
    assert!(
        first.is_none(),
        "甲 passes 2031 with the carried hours: {s2031}"
    );
}

#[tokio::test]
async fn pending_reviews_are_counted_per_level_and_overdue_after_the_deadlines() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let teacher = app.teacher(&t.school, "申报人", 1).await;
    app.set_policy(2030, policy(2030)).await;
    app.set_policy(2020, policy(2020)).await;
    for (year, status) in [
        (2030, "submitted"),
        (2030, "submitted"),
        (2030, "school_approved"),
        (2030, "draft"),
        (2030, "approved"),
        (2020, "submitted"),
        (2020, "school_approved"),
        (2020, "school_approved"),
    ] {
        declaration(&app, &teacher, year, status).await;
    }
    let now = summary(&app, "", &t.district_token).await;
    let school = group(&now, "白云小学");
    assert_eq!(
        (
            school["pending_school"].clone(),
            school["pending_second"].clone(),
            school["overdue"].clone()
        ),
        (json!(2), json!(1), json!(0)),
        "the 2030 deadlines are ahead"
    );
    let past = app
        .api_get("/reports/2020/summary", &t.district_token)
        .await
        .expect(200);
    let school = group(&past, "白云小学");
    assert_eq!(school["pending_school"], 1);
    assert_eq!(school["pending_second"], 2);
    assert_eq!(
        school["overdue"], 3,
        "both review deadlines of 2020 are over"
    );
    assert_eq!(past["total"]["overdue"], 3);
}

#[tokio::test]
async fn each_caller_sees_its_own_scope() {
    let app = spawn_app().await;
    let a = tree(&app, "番禺").await;
    let b = tree(&app, "花都").await;
    let second = app.school(&a.district, "番禺中学").await;
    app.set_policy(2030, policy(2030)).await;
    app.teacher(&a.school, "甲", 1).await;
    app.teacher(&second, "乙", 2).await;
    app.teacher(&b.school, "丙", 3).await;

    let district = summary(&app, "", &a.district_token).await;
    assert_eq!(district["group_by"], "school");
    let names: Vec<&str> = district["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["番禺中学", "番禺小学"]);
    let own = summary(&app, "?group_by=district", &a.district_token).await;
    assert_eq!(own["groups"].as_array().unwrap().len(), 1);
    assert_eq!(own["groups"][0]["teachers"], 2);
    let school = summary(&app, "", &a.school_token).await;
    assert_eq!(school["groups"].as_array().unwrap().len(), 1);
    assert_eq!(school["groups"][0]["org_id"], a.school.as_str());

    let narrowed = summary(
        &app,
        &format!("?group_by=school&district_id={}", b.district),
        &app.city_token,
    )
    .await;
    assert_eq!(narrowed["groups"].as_array().unwrap().len(), 1);
    assert_eq!(narrowed["total"]["teachers"], 1);

    let foreign = format!("/reports/2030/summary?district_id={}", b.district);
    app.api_get(&foreign, &a.district_token)
        .await
        .expect_error(404, "not_found");
    let foreign_school = format!("/reports/2030/shortfalls?school_id={}", b.school);
    app.api_get(&foreign_school, &a.district_token)
        .await
        .expect_error(404, "not_found");
    app.api_get("/reports/2030/shortfalls?category=total", &a.district_token)
        .await
        .expect(200);
    app.api_get("/reports/2030/shortfalls?category=hours", &a.district_token)
        .await
        .expect_error(400, "bad_request");
    app.api_get("/reports/2030/summary?group_by=district", &a.school_token)
        .await
        .expect_error(422, "invalid");
    app.api_get("/reports/2030/summary?group_by=province", &app.city_token)
        .await
        .expect_error(400, "bad_request");
    app.api_get("/reports/2099/summary", &app.city_token)
        .await
        .expect_error(422, "invalid");
    app.api_get("/reports/20x0/summary", &app.city_token)
        .await
        .expect_error(400, "bad_request");
    let teacher = app
        .login(&crate::helpers::id_number(1), crate::helpers::PASSWORD)
        .await;
    for path in ["summary", "shortfalls", "allowance"] {
        app.api_get(&format!("/reports/2030/{path}"), &teacher)
            .await
            .expect_error(403, "forbidden");
    }
    let provider = app
        .admin("provider", "provider_admin", &{
            let body = json!({ "name": "培训机构", "kind": "provider", "parent_id": app.city_id });
            app.post("/orgs", &app.city_token, body).await.expect(201)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .await;
    app.api_get("/reports/2030/summary", &provider)
        .await
        .expect_error(403, "forbidden");
}

#[tokio::test]
async fn city_affiliated_schools_form_their_own_group_for_the_city() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let affiliated = app.affiliated_school(&app.city_id, "市属中学").await;
    app.set_policy(2030, policy(2030)).await;
    app.teacher(&t.school, "区属", 1).await;
    app.teacher(&affiliated, "局属", 2).await;
    let city = summary(&app, "", &app.city_token).await;
    assert_eq!(group(&city, "越秀区")["teachers"], 1);
    let own = group(&city, "市局属学校");
    assert_eq!(own["org_id"], app.city_id.as_str());
    assert_eq!(own["teachers"], 1);
    let district = summary(&app, "", &t.district_token).await;
    assert_eq!(district["total"]["teachers"], 1);
}

#[tokio::test]
async fn the_shortfall_list_says_what_each_teacher_lacks() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    app.set_policy(2030, policy(2030)).await;
    let done = app.teacher(&t.school, "已达标", 1).await;
    let no_public = app.teacher(&t.school, "缺公需", 2).await;
    let total_only = app.teacher(&t.school, "总数不足", 3).await;
    app.earn(&done, 2030, 30.0, 42.0, 18.0).await;
    app.earn(&no_public, 2030, 0.0, 50.0, 20.0).await;
    app.earn(&total_only, 2030, 30.0, 42.0, 17.5).await;

    let list = app
        .api_get("/reports/2030/shortfalls", &t.school_token)
        .await
        .expect(200);
    assert_eq!(list["basis"], "live");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let lacking = items.iter().find(|i| i["name"] == "缺公需").unwrap();
    assert_eq!(lacking["teacher_id"], no_public.as_str());
    assert_eq!(
        lacking["lacking"],
        json!({ "public": 30, "professional": 0, "elective": 0, "total": 20 })
    );
    assert_eq!(
        lacking["id_number"],
        xueshi_domain::IdNumber::mask_str(&crate::helpers::id_number(2))
    );
    let other = items.iter().find(|i| i["name"] == "总数不足").unwrap();
    assert_eq!(
        other["lacking"],
        json!({ "public": 0, "professional": 0, "elective": 0.5, "total": 0.5 })
    );

    let public = app
        .api_get("/reports/2030/shortfalls?category=public", &t.school_token)
        .await
        .expect(200);
    assert_eq!(public["items"].as_array().unwrap().len(), 1);
    assert_eq!(public["items"][0]["name"], "缺公需");

    let first = app
        .api_get("/reports/2030/shortfalls?limit=1", &t.district_token)
        .await
        .expect(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .api_get(
            &format!("/reports/2030/shortfalls?limit=1&cursor={cursor}"),
            &t.district_token,
        )
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_ne!(
        rest["items"][0]["teacher_id"],
        first["items"][0]["teacher_id"]
    );

    let (status, kind, disposition, bytes) = download(
        &app,
        "/reports/2030/shortfalls?format=xlsx",
        &t.school_token,
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    assert!(disposition.contains("attachment"), "{disposition}");
    let rows = xlsx_rows(
        &bytes,
        &["姓名", "身份证号", "学校", "公需科目尚差", "总学时尚差"],
    );
    assert_eq!(rows.len(), 2);
    let row = rows.iter().find(|r| r[0] == "缺公需").unwrap();
    assert_eq!(
        row[1..],
        [
            xueshi_domain::IdNumber::mask_str(&crate::helpers::id_number(2)),
            "南沙小学".to_owned(),
            "30".to_owned(),
            "20".to_owned()
        ]
    );
}

#[tokio::test]
async fn the_summary_downloads_as_xlsx_with_chinese_headers() {
    let app = spawn_app().await;
    let t = tree(&app, "增城").await;
    app.set_policy(2030, policy(2030)).await;
    let teacher = app.teacher(&t.school, "甲", 1).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    app.teacher(&t.school, "乙", 2).await;
    let (status, _, disposition, bytes) =
        download(&app, "/reports/2030/summary?format=xlsx", &app.city_token).await;
    assert_eq!(status, 200);
    assert!(
        disposition.contains("filename*=UTF-8''2030"),
        "{disposition}"
    );
    let rows = xlsx_rows(
        &bytes,
        &[
            "单位",
            "教师人数",
            "合格人数",
            "合格率",
            "总学时合计",
            "待学校初审",
        ],
    );
    assert_eq!(
        rows,
        [
            ["增城区", "2", "1", "0.5", "90", "0"],
            ["合计", "2", "1", "0.5", "90", "0"]
        ]
    );
    let (status, _, _, _) =
        download(&app, "/reports/2030/summary?format=pdf", &app.city_token).await;
    assert_eq!(status, 400);
}
