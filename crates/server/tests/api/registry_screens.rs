//! The registry and the home pages at the scale of a city: schools and teachers found by
//! name, district, type and status; districts in their official order and wording; a
//! district without teachers shows no pass rate; each administrator's home says what waits,
//! with the days to the deadline.

use reqwest::header::COOKIE;
use serde_json::json;

use crate::declaring::scene;
use crate::form_session::{page, session};
use crate::helpers::{TestApp, policy, spawn_app, tree};

async fn org(app: &TestApp, body: serde_json::Value) -> String {
    app.post("/orgs", &app.city_token, body).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_city_finds_schools_by_name_district_type_and_status_in_the_official_order() {
    let app = spawn_app().await;
    // Registered out of order: lists follow the official order all the same.
    let zengcheng = app.district("增城区").await;
    let yuexiu = app.district("越秀区").await;
    app.district("天河区").await;
    org(
        &app,
        json!({"name": "越秀区东风路小学", "kind": "school", "parent_id": yuexiu,
        "ownership": "public", "school_type": "primary"}),
    )
    .await;
    org(
        &app,
        json!({"name": "越秀区东山幼儿园", "kind": "school", "parent_id": yuexiu,
        "ownership": "public", "school_type": "kindergarten"}),
    )
    .await;
    let closed = org(
        &app,
        json!({"name": "增城区东风中学", "kind": "school", "parent_id": zengcheng,
        "ownership": "private", "school_type": "secondary"}),
    )
    .await;
    app.patch(
        &format!("/orgs/{closed}"),
        &app.city_token,
        json!({"status": "archived"}),
    )
    .await
    .expect(200);
    let s = session(&app, "city").await;

    let (_, html) = page(&app, &s, "/schools?q=东风").await;
    assert!(
        html.contains("越秀区东风路小学") && html.contains("增城区东风中学"),
        "{html}"
    );
    assert!(!html.contains("越秀区东山幼儿园"), "{html}");
    assert!(
        html.contains("<td>小学</td><td>越秀区</td>"),
        "the type in words and the district: {html}"
    );
    let (_, html) = page(
        &app,
        &s,
        &format!("/schools?district_id={yuexiu}&school_type=kindergarten"),
    )
    .await;
    assert!(
        html.contains("越秀区东山幼儿园") && !html.contains("越秀区东风路小学"),
        "{html}"
    );
    let (_, html) = page(&app, &s, "/schools?q=东风&status=archived").await;
    assert!(
        html.contains("增城区东风中学") && !html.contains("越秀区东风路小学"),
        "{html}"
    );
    let (_, html) = page(&app, &s, "/schools?q=%25").await;
    assert!(
        html.contains("没有符合条件的单位"),
        "a % is a character, not a wildcard: {html}"
    );

    // The district filter lists 越秀 天河 增城 in that order.
    let (_, html) = page(&app, &s, "/schools").await;
    let at = |name: &str| {
        html.find(&format!(">{name}</option>"))
            .unwrap_or(usize::MAX)
    };
    assert!(
        at("越秀区") < at("天河区") && at("天河区") < at("增城区"),
        "{html}"
    );

    // The overview: a district without teachers has no pass rate, not 0.0 %.
    app.set_policy(2030, policy(2030)).await;
    let (_, html) = page(&app, &s, "/overview?year=2030").await;
    assert!(
        html.contains("<td>天河区</td><td>0</td><td>0</td><td>—</td>"),
        "{html}"
    );
    assert!(!html.contains("0.0%"), "{html}");
    let districts = app
        .api_get("/orgs?kind=district&q=越秀", &app.city_token)
        .await
        .expect(200);
    assert_eq!(districts["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_district_finds_its_teachers_by_school() {
    let app = spawn_app().await;
    let t = tree(&app, "花都").await;
    let other = app.school(&t.district, "花都区第二小学").await;
    app.teacher(&t.school, "陈伟", 1).await;
    app.teacher(&other, "王强", 2).await;
    let s = session(&app, "花都_district").await;
    let (_, html) = page(&app, &s, &format!("/teachers?school_id={other}")).await;
    assert!(
        html.contains("王强") && !html.contains("<td>陈伟</td>"),
        "{html}"
    );
}

#[tokio::test]
async fn each_administrators_home_says_what_waits_and_how_long_is_left() {
    let s = scene("海珠").await;
    let app = &s.app;
    // This year's policy, with the school review ending in ten days and the district's passed.
    let today = xueshi_domain::time_rules::business_date(time::OffsetDateTime::now_utc());
    let year = today.year() - i32::from(today.month() == time::Month::January);
    let mut p = policy(year);
    let day = |d: time::Date| xueshi_domain::time_rules::format_date(d);
    p["deadlines"] = json!({
        "declaration": day(today + time::Duration::days(5)),
        "registration": day(today + time::Duration::days(5)),
        "school_review": day(today + time::Duration::days(10)),
        "district_review": day(today + time::Duration::days(12)),
    });
    app.set_policy(year, p).await;
    // An activity of the year under review (in January, the one just ended).
    let on = if today.year() == year {
        today
    } else {
        time::Date::from_calendar_date(year, time::Month::December, 31).unwrap()
    };
    let mut body = crate::declaring::form("骨干教师培训", &day(on), &day(on));
    body["hours"] = json!(8);
    let id = app.ready(&s.token, body, 1).await;
    app.submit(&s.token, &id).await.expect(200);

    let school = session(app, "海珠_school").await;
    let (_, html) = page(app, &school, "/home").await;
    assert!(
        html.contains("待学校初审 1 份")
            && html.contains("距截止 10 天")
            && html.contains("开始审核"),
        "{html}"
    );
    let district = session(app, "海珠_district").await;
    let (_, html) = page(app, &district, "/home").await;
    assert!(
        html.contains("待区级复审 0 份")
            && html.contains("距截止 12 天")
            && html.contains("各校待初审 1 份"),
        "{html}"
    );
    assert!(html.contains("海珠小学 · 1 份"), "{html}");
}

#[tokio::test]
async fn the_city_picks_a_district_then_a_school_to_transfer_a_teacher_to() {
    let app = spawn_app().await;
    let a = tree(&app, "越秀").await;
    let b = tree(&app, "增城").await;
    app.school(&a.district, "越秀区第二小学").await;
    let teacher = app.teacher(&a.school, "陈伟", 1).await;
    let s = session(&app, "city").await;
    // First the teacher's own district's schools.
    let (_, html) = page(&app, &s, &format!("/teachers/{teacher}")).await;
    assert!(
        html.contains("越秀区第二小学") && !html.contains(">增城小学<"),
        "{html}"
    );
    let (_, html) = page(
        &app,
        &s,
        &format!("/teachers/{teacher}?transfer_district={}", b.district),
    )
    .await;
    assert!(
        html.contains(">增城小学<") && !html.contains("越秀区第二小学"),
        "{html}"
    );
    // The move itself, from that list.
    let resp = app
        .client
        .post(format!("{}/teachers/{teacher}", app.address))
        .header(COOKIE, &s.cookie)
        .form(&[
            ("csrf", s.csrf.as_str()),
            ("action", "transfer"),
            ("school_id", b.school.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let moved = app
        .api_get(&format!("/teachers/{teacher}"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(moved["school_id"], b.school.as_str());
}
