//! The administrators' and teachers' pages render what they should and their forms work
//! (cookie session and CSRF token, as a browser sends them).

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::json;

use crate::form_session::{page, post, session};
use crate::helpers::{PASSWORD, id_number, policy, spawn_app, tree};

#[tokio::test]
async fn pages_need_a_login_and_forms_their_csrf_token() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(format!("{}/teachers", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "a visitor is sent to the login form");
    let s = session(&app, "city").await;
    let forged = app
        .client
        .post(format!("{}/schools", app.address))
        .header(COOKIE, &s.cookie)
        .form(&[("name", "x"), ("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

#[tokio::test]
async fn a_school_admin_adds_a_teacher_and_sees_errors_beside_the_fields() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let s = session(&app, "天河_school").await;
    let (status, html) = page(&app, &s, "/teachers").await;
    assert_eq!(status, 200);
    assert!(html.contains("新增教师") && html.contains("天河小学"));
    let bad = [
        ("name", "陈伟"),
        ("id_number", "440106199001011230"),
        ("school_id", t.school.as_str()),
        ("phone", ""),
        ("password", PASSWORD),
    ];
    let (status, html, _) = post(&app, &s, "/teachers", &bad).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("校验码") && html.contains("value=\"陈伟\""),
        "the error is shown beside the field and the form keeps its values"
    );
    let id = id_number(9);
    let good = [
        ("name", "陈伟"),
        ("id_number", id.as_str()),
        ("school_id", t.school.as_str()),
        ("phone", "13812345678"),
        ("password", PASSWORD),
    ];
    let (status, _, location) = post(&app, &s, "/teachers", &good).await;
    assert_eq!(
        (status.as_u16(), location.as_deref()),
        (303, Some("/teachers?done=created"))
    );
    let (_, html) = page(&app, &s, "/teachers?done=created").await;
    assert!(
        html.contains("已创建") && html.contains("陈伟") && !html.contains(&id),
        "lists mask ID numbers"
    );
}

#[tokio::test]
async fn a_district_registers_and_archives_a_school() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let s = session(&app, "海珠_district").await;
    let form = [
        ("name", "海珠区新港小学"),
        ("parent_id", t.district.as_str()),
        ("ownership", "public"),
        ("school_type", "primary"),
        ("kind", "school"),
    ];
    let (status, _, _) = post(&app, &s, "/schools", &form).await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &s, "/schools").await;
    assert!(html.contains("海珠区新港小学"));
    let (status, _, _) = post(
        &app,
        &s,
        &format!("/schools/{}/status", t.school),
        &[("status", "archived")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &s, "/schools").await;
    assert!(
        html.contains("已注销") || html.contains("archived") || html.contains("恢复"),
        "{html}"
    );
}

#[tokio::test]
async fn an_organiser_uploads_a_roster_and_reads_the_row_by_row_report() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    app.teacher(&t.school, "陈伟", 1).await;
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
    let s = session(&app, "白云_school").await;
    let (_, html) = page(&app, &s, &format!("/trainings/{training}")).await;
    assert!(html.contains("上传参训名单") && html.contains("下载模板"));
    let upload = |csv: String| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", s.csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("名单.csv"),
            );
        app.client
            .post(format!("{}/trainings/{training}/import", app.address))
            .header(COOKIE, &s.cookie)
            .multipart(form)
            .send()
    };
    let bad = upload(format!("姓名,身份证号,学时\n王五,{},6\n", id_number(1)))
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("全部未登记") && html.contains("<td>2</td><td>姓名</td>"),
        "{html}"
    );
    let good = upload(format!("姓名,身份证号,学时\n陈伟,{},6\n", id_number(1)))
        .await
        .unwrap();
    assert_eq!(good.status(), 200);
    assert!(good.text().await.unwrap().contains("已登记：新增 1 人"));
}

#[tokio::test]
async fn the_city_sets_a_policy_runs_the_verification_and_reads_the_overview() {
    let app = spawn_app().await;
    let t = tree(&app, "番禺").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    let s = session(&app, "city").await;
    let (_, html) = page(&app, &s, "/policies?year=2030").await;
    assert!(html.contains("尚未设置") && html.contains("value=\"42\""));
    let form = [
        ("public", "30"),
        ("professional", "42"),
        ("elective", "18"),
        ("total", "90"),
        ("declaration", "2030-12-31"),
        ("registration", "2030-12-31"),
        ("school_review", "2031-01-09"),
        ("district_review", "2031-01-05"),
        ("carry_over", "true"),
        ("cap", ""),
    ];
    let (status, html, _) = post(&app, &s, "/policies?year=2030", &form).await;
    assert_eq!(
        status, 422,
        "the district review cannot end before the school review"
    );
    assert!(html.contains("aria-invalid"));
    let mut fixed = form;
    fixed[7] = ("district_review", "2031-01-13");
    let (status, _, _) = post(&app, &s, "/policies?year=2030", &fixed).await;
    assert_eq!(status, 303);
    assert_eq!(
        app.api_get("/policies/2030", &app.city_token)
            .await
            .expect(200)["deadlines"]["district_review"],
        "2031-01-13"
    );

    let course = app.public_course(2030, 30.0).await;
    app.complete(&course, &teacher, 30.0, "2030-03-01")
        .await
        .expect(200);
    // Before the district review deadline a run needs the year typed in.
    let (_, html) = page(&app, &s, "/verification?year=2030").await;
    assert!(
        html.contains("尚未截止") && html.contains("2031年1月13日") && html.contains("尚未运行"),
        "{html}"
    );
    let (status, html, _) = post(&app, &s, "/verification", &[("year", "2030")]).await;
    assert_eq!(status, 409);
    assert!(html.contains("尚未结束"), "{html}");
    let (status, _, _) = post(
        &app,
        &s,
        "/verification",
        &[("year", "2030"), ("confirm", "2029")],
    )
    .await;
    assert_eq!(status, 409, "a wrong year is no confirmation");
    let (status, html, _) = post(&app, &s, "/verification/preview", &[("year", "2030")]).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("教师 1 人，合格 0 人") && html.contains("仅为模拟"),
        "{html}"
    );
    assert!(
        html.contains("尚未运行"),
        "neither the failed attempts nor the preview ran it"
    );
    app.api_get(
        &format!("/teachers/{teacher}/verification/2030"),
        &app.city_token,
    )
    .await
    .expect_error(404, "not_found");
    let (status, html, _) = post(
        &app,
        &s,
        "/verification",
        &[("year", "2030"), ("confirm", " 2030 ")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("2030年度验证完成：教师 1 人，合格 0 人"),
        "{html}"
    );
    assert!(
        html.contains("由 city 运行（区（市）复审截止前提前运行）：教师 1 人"),
        "{html}"
    );
    let (_, html) = page(&app, &s, "/overview?year=2030").await;
    assert!(
        html.contains("依据年度验证结果") && html.contains("<svg") && html.contains("番禺区"),
        "{html}"
    );
    let _ = json!({});
    let (_, html) = page(&app, &s, "/courses").await;
    assert!(html.contains("科技创新现状与发展趋势"));
    // The same public topic again: the form says why, and nothing is published.
    let (status, html, _) = post(
        &app,
        &s,
        "/courses",
        &[
            ("title", "《科技创新现状与发展趋势》"),
            ("year", "2030"),
            ("category", "public"),
            ("hours", "30"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("教师重复选学只按1门计算学时"), "{html}");
}

#[tokio::test]
async fn the_teacher_sees_progress_records_and_past_results() {
    let app = spawn_app().await;
    let t = tree(&app, "花都").await;
    let teacher = app.teacher(&t.school, "陈伟", 1).await;
    app.set_policy(2030, policy(2030)).await;
    let course = app.public_course(2030, 30.0).await;
    app.complete(&course, &teacher, 30.0, "2030-03-01")
        .await
        .expect(200);
    app.post(
        "/verifications/2030/run",
        &app.city_token,
        json!({"force": true}),
    )
    .await
    .expect(200);
    let s = session(&app, &id_number(1)).await;
    let (_, html) = page(&app, &s, "/records?year=2030").await;
    assert!(html.contains("公需科目学习") && html.contains("科技创新现状与发展趋势"));
    let (_, html) = page(&app, &s, "/results").await;
    assert!(html.contains("2030年度") && html.contains("不合格"));
    let (status, _) = page(&app, &s, "/teachers").await;
    assert_eq!(status, 403, "a teacher has no registry");
}

#[tokio::test]
async fn a_school_returns_or_rejects_a_batch_from_its_queue_page() {
    let scene = crate::declaring::scene("从化").await;
    let app = &scene.app;
    let mut ids = Vec::new();
    for (i, title) in ["甲培训", "乙培训", "丙培训"].iter().enumerate() {
        let id = app
            .ready(
                &scene.token,
                crate::declaring::form(title, "2030-03-01", "2030-03-02"),
                i as u32 + 1,
            )
            .await;
        app.post(
            &format!("/declarations/{id}/submit"),
            &scene.token,
            json!({}),
        )
        .await
        .expect(200);
        ids.push(id);
    }
    let s = session(app, "从化_school").await;
    let (_, html) = page(app, &s, "/review").await;
    assert!(
        html.contains("3 份待审核") && html.contains("批量退回修改") && html.contains("批量驳回")
    );
    // Rules of the batch first: nothing happens without a reason or a comment.
    let (status, _, location) = post(
        app,
        &s,
        "/review/batch",
        &[("ids", &ids[0]), ("decision", "reject")],
    )
    .await;
    assert_eq!(
        (status.as_u16(), location.as_deref()),
        (303, Some("/review?done=need_reason"))
    );
    let (_, _, location) = post(
        app,
        &s,
        "/review/batch",
        &[("ids", &ids[0]), ("decision", "return")],
    )
    .await;
    assert_eq!(location.as_deref(), Some("/review?done=need_comment"));
    let mut returned = vec![
        ("ids", ids[0].as_str()),
        ("ids", ids[1].as_str()),
        ("decision", "return"),
        ("comment", "请补充盖章页"),
    ];
    // First the batch says what it will do, and does nothing yet.
    let (status, html, _) = post(app, &s, "/review/batch", &returned).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("确认批量退回修改") && html.contains("将退回修改 2 份申报，共 48 学时"),
        "{html}"
    );
    let (_, html) = page(app, &s, "/review").await;
    assert!(
        html.contains("3 份待审核"),
        "nothing was reviewed unconfirmed"
    );
    returned.push(("confirmed", "1"));
    let (status, html, _) = post(app, &s, "/review/batch", &returned).await;
    assert_eq!(status, 200);
    assert!(html.contains("已退回修改 2 份，共 48 学时"), "{html}");
    let rejected = [
        ("ids", ids[2].as_str()),
        ("decision", "reject"),
        ("reason_code", "copy_not_original"),
        ("confirmed", "1"),
    ];
    post(app, &s, "/review/batch", &rejected).await;
    for (id, status) in [
        (&ids[0], "returned"),
        (&ids[1], "returned"),
        (&ids[2], "rejected"),
    ] {
        let d = app
            .api_get(&format!("/declarations/{id}"), &scene.token)
            .await
            .expect(200);
        assert_eq!(d["status"], status);
    }
}

/// The city's second level is the city-affiliated schools' (局属学校); the other schools'
/// declarations wait for their districts, not in the city's queue.
#[tokio::test]
async fn the_citys_review_queue_holds_the_city_affiliated_schools_only() {
    let scene = crate::declaring::scene("黄埔").await;
    let app = &scene.app;
    let affiliated = app
        .affiliated_school(&scene.tree.district, "广州市第六中学")
        .await;
    let affiliated_admin = app.admin("liuzhong", "school_admin", &affiliated).await;
    app.teacher(&affiliated, "局属老师", 2).await;
    let city_teacher = app.login(&id_number(2), PASSWORD).await;
    for (token, school_token, title, seed) in [
        (&scene.token, &scene.tree.school_token, "区属学校的申报", 1),
        (&city_teacher, &affiliated_admin, "局属学校的申报", 2),
    ] {
        let id = app.submitted(token, title, seed).await;
        app.review(school_token, &id, json!({ "decision": "approve" }))
            .await
            .expect(200);
    }
    let city = session(app, "city").await;
    let (status, html) = page(app, &city, "/review").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("局属学校复审") && html.contains("1 份待审核"));
    assert!(html.contains("局属学校的申报") && !html.contains("区属学校的申报"));
    let district = session(app, "黄埔_district").await;
    let (_, html) = page(app, &district, "/review").await;
    assert!(html.contains("区级复审") && html.contains("1 份待审核"));
    assert!(html.contains("区属学校的申报") && !html.contains("局属学校的申报"));
}

/// The teacher's own list shows the latest first, fifty at a time, with a link to older ones.
#[tokio::test]
async fn the_teachers_list_pages_from_the_latest_declaration_back() {
    use crate::declaring::{form, scene};
    let scene = scene("南沙").await;
    let app = &scene.app;
    let body = |title: &str| form(title, "2030-05-01", "2030-05-02");
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(5));
    app.declare(&scene.token, body("最早的申报")).await;
    pause().await;
    for n in 0..50 {
        app.declare(&scene.token, body(&format!("第{n}项培训")))
            .await;
    }
    pause().await;
    app.declare(&scene.token, body("最新的申报")).await;
    let s = session(app, &id_number(1)).await;
    let (status, first) = page(app, &s, "/declarations").await;
    assert_eq!(status, StatusCode::OK);
    let rows = |html: &str| html.matches("class=\"record-title\"").count();
    assert_eq!(rows(&first), 50);
    let latest = first
        .find("最新的申报")
        .expect("the latest is on the first page");
    assert!(first.find("项培训").is_some_and(|other| latest < other));
    assert!(!first.contains("最早的申报"));
    let older = first
        .split("href=\"/declarations?cursor=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older declarations");
    let (_, second) = page(app, &s, &format!("/declarations?cursor={older}")).await;
    assert_eq!(rows(&second), 2);
    assert!(second.contains("最早的申报") && !second.contains("最新的申报"));
    assert!(!second.contains("更早的申报"), "nothing older");
}

#[tokio::test]
async fn a_district_publishes_a_notice_and_its_contacts_which_its_teachers_see_on_login() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    let other = tree(&app, "增城").await;
    app.teacher(&t.school, "陈伟", 1).await;
    app.teacher(&other.school, "李芳", 2).await;
    let s = session(&app, "南沙_district").await;
    let (status, _, _) = post(
        &app,
        &s,
        "/notices",
        &[
            ("title", "关于2030年度学时申报的通知"),
            ("body", "请于12月31日前完成申报。"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let contacts = [
        ("name", "王老师"),
        ("phone", "020-12345678"),
        ("hours", "工作日 9:00-17:00"),
        ("name", ""),
        ("phone", ""),
        ("hours", ""),
    ];
    let (status, _, _) = post(&app, &s, "/notices/contacts", &contacts).await;
    assert_eq!(status, 303);
    let teacher = session(&app, &id_number(1)).await;
    let (_, html) = page(&app, &teacher, "/home").await;
    assert!(
        html.contains("关于2030年度学时申报的通知")
            && html.contains("王老师")
            && html.contains("020-12345678"),
        "{html}"
    );
    let elsewhere = session(&app, &id_number(2)).await;
    let (_, html) = page(&app, &elsewhere, "/home").await;
    assert!(
        !html.contains("关于2030年度学时申报的通知") && !html.contains("王老师"),
        "another district hears nothing"
    );
    let (status, _, _) = post(&app, &teacher, "/notices", &[("title", "x"), ("body", "y")]).await;
    assert_eq!(status, 403, "a teacher publishes nothing");
}

#[tokio::test]
async fn the_overview_charts_the_pending_reviews_of_the_scope_day_by_day() {
    let scene = crate::declaring::scene("黄埔").await;
    let app = &scene.app;
    let other = tree(app, "荔湾").await;
    for (i, title) in ["甲培训", "乙培训"].iter().enumerate() {
        let id = app
            .ready(
                &scene.token,
                crate::declaring::form(title, "2030-03-01", "2030-03-02"),
                i as u32 + 1,
            )
            .await;
        app.post(
            &format!("/declarations/{id}/submit"),
            &scene.token,
            json!({}),
        )
        .await
        .expect(200);
    }
    let today = xueshi_domain::time_rules::business_date(time::OffsetDateTime::now_utc());
    xueshi_server::services::reports::snapshot_pending(&app.db, today)
        .await
        .unwrap();
    // A second snapshot the same day replaces the first.
    xueshi_server::services::reports::snapshot_pending(&app.db, today)
        .await
        .unwrap();
    let s = session(app, "黄埔_district").await;
    let (_, html) = page(app, &s, "/overview").await;
    assert!(
        html.contains(&format!("{today} 待初审 2")) && html.contains(&format!("{today} 待复审 0")),
        "{html}"
    );
    let elsewhere = session(app, "荔湾_district").await;
    let (_, html) = page(app, &elsewhere, "/overview").await;
    assert!(
        !html.contains("待初审 2"),
        "another district's backlog is not shown"
    );
    let _ = other;
}
