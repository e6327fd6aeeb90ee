//! The teacher never gets stuck: the home page's to-do first (returned with the comment,
//! rejected with the reason, drafts to continue or delete, what is missing and how to get
//! it), a refused submission that keeps its draft and links the duplicate, a closed form
//! after the deadline, the certificate on the results page, and a Chinese 404 page.

use reqwest::header::COOKIE;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::declaring::{form, png};
use crate::form_session::{Session, page, post, session};
use crate::helpers::{PASSWORD, TestApp, id_number, policy, spawn_app, tree};

fn this_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

/// The declaration form as the browser posts it, with `files` as (field, name, bytes).
pub async fn post_form(
    app: &TestApp,
    s: &Session,
    path: &str,
    fields: &[(&str, &str)],
    files: Vec<(&str, &str, Vec<u8>)>,
) -> (u16, String) {
    let mut body = Form::new().text("csrf", s.csrf.clone());
    for (k, v) in fields {
        body = body.text(k.to_string(), v.to_string());
    }
    for (field, name, bytes) in files {
        body = body.part(
            field.to_owned(),
            Part::bytes(bytes).file_name(name.to_owned()),
        );
    }
    let resp = app
        .client
        .post(format!("{}{path}", app.address))
        .header(COOKIE, &s.cookie)
        .multipart(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    (status, location.unwrap_or(text))
}

/// The declaration a form's redirect (`/declarations/{id}?done=…`) leads to.
pub fn declaration_id(location: &str) -> String {
    let path = location.trim_start_matches("/declarations/");
    path.split('?').next().unwrap().to_owned()
}

fn declaration_fields<'a>(title: &'a str, day: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("category", "professional"),
        ("activity_type", "training_course"),
        ("title", title),
        ("organizer", "广州市教师发展中心"),
        ("start_date", day),
        ("end_date", day),
        ("hours", "8"),
        ("certificate_states_hours", "true"),
    ]
}

#[tokio::test]
async fn the_home_lists_what_waits_for_the_teacher_first_with_the_way_to_act() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let year = this_year();
    app.set_policy(year, policy(year)).await;
    app.public_course(year, 30.0).await;
    let teacher = app.teacher(&t.school, "陈老师", 1).await;
    let token = app.login(&id_number(1), PASSWORD).await;
    let day = format!("{year}-06-01");
    let returned = app.ready(&token, form("需修改的申报", &day, &day), 1).await;
    app.submit(&token, &returned).await.expect(200);
    app.review(
        &t.school_token,
        &returned,
        json!({ "decision": "return", "comment": "请上传证书原件的照片" }),
    )
    .await
    .expect(200);
    let day2 = format!("{year}-07-01");
    let rejected = app
        .ready(&token, form("被驳回的申报", &day2, &day2), 2)
        .await;
    app.submit(&token, &rejected).await.expect(200);
    app.review(
        &t.school_token,
        &rejected,
        json!({ "decision": "reject", "reason_code": "copy_not_original", "comment": "复印件" }),
    )
    .await
    .expect(200);
    let draft = app
        .declare(&token, form("未提交的草稿", &day2, &day2))
        .await;
    // A draft of a year whose declarations have closed can only go.
    let old = year - 1;
    app.set_policy(old, policy(old)).await;
    let stale_day = format!("{old}-05-01");
    let stale = app
        .declare(&token, form("去年的草稿", &stale_day, &stale_day))
        .await;

    let s = session(&app, &id_number(1)).await;
    let (_, home) = page(&app, &s, "/home").await;
    let todo = home.find("id=\"todo\"").expect("a to-do");
    assert!(
        todo < home.find("年度继续教育学时").unwrap(),
        "first on the page"
    );
    assert!(
        home.contains("退回修改")
            && home.contains("请上传证书原件的照片")
            && home.contains(&format!("href=\"/declarations/{returned}/edit\">去修改")),
        "{home}"
    );
    assert!(
        home.contains("驳回原因：</strong>复印件无效：复印件")
            && home.contains("请拍摄证书原件后新建申报"),
        "{home}"
    );
    assert!(
        home.contains(&format!("href=\"/declarations/{draft}/edit\">继续填写"))
            && home.contains("确认删除草稿“未提交的草稿”"),
        "{home}"
    );
    assert!(
        home.contains("去年的草稿")
            && home.contains("已过申报截止日期，不能再提交，可以删除")
            && !home.contains(&format!("href=\"/declarations/{stale}/edit\"")),
        "{home}"
    );
    assert!(
        home.contains("公需科目还差 30 学时")
            && home.contains("不能个人申报")
            && home.contains("《科技创新现状与发展趋势》"),
        "{home}"
    );
    assert!(home.contains("年度个人申报截止还有"), "{home}");

    let (status, _, location) = post(&app, &s, &format!("/declarations/{stale}/delete"), &[]).await;
    assert_eq!(status, 303);
    let (_, home) = page(&app, &s, &location.unwrap()).await;
    assert!(
        home.contains("草稿已删除") && !home.contains("去年的草稿"),
        "{home}"
    );
    let _ = teacher;
}

#[tokio::test]
async fn a_refused_submission_keeps_its_draft_says_so_and_links_the_duplicate() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let year = this_year();
    app.set_policy(year, policy(year)).await;
    app.teacher(&t.school, "李老师", 2).await;
    let token = app.login(&id_number(2), PASSWORD).await;
    let day = format!("{year}-05-10");
    let existing = app.ready(&token, form("重复的培训", &day, &day), 3).await;
    app.submit(&token, &existing).await.expect(200);

    let s = session(&app, &id_number(2)).await;
    let mut fields = declaration_fields("重复的培训", &day);
    fields.push(("intent", "submit"));
    let (status, html) = post_form(
        &app,
        &s,
        "/declarations",
        &fields,
        vec![("certificate", "证书.png", png(4))],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("未能提交") && html.contains("已保存为草稿"),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/declarations/{existing}\">查看已有的申报")),
        "{html}"
    );
    assert!(html.contains("删除草稿"), "the kept draft may go: {html}");

    // Several pages of one certificate in one go.
    let (status, location) = post_form(
        &app,
        &s,
        "/declarations",
        &declaration_fields("两页的证书", &day),
        vec![
            ("certificate", "第1页.png", png(5)),
            ("certificate", "第2页.png", png(6)),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let id = declaration_id(&location);
    let saved = app.declaration(&token, &id).await;
    assert_eq!(saved["evidence"].as_array().unwrap().len(), 2, "{saved}");

    // A field the browser would have refused: the page says the files must be chosen again.
    let mut bad = declaration_fields("学时写错了", &day);
    bad.retain(|(k, _)| *k != "hours");
    bad.push(("hours", "7.55"));
    let (status, html) = post_form(
        &app,
        &s,
        "/declarations",
        &bad,
        vec![("certificate", "证书.png", png(8))],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("pattern=\"0*[1-9][0-9]{0,3}(\\.[0-9])?|0*\\.[1-9]\""),
        "the browser refuses it before sending, keeping the file: {html}"
    );
    // Past the browser, the server keeps the file with the page: no second choosing.
    assert!(html.contains("已保留刚才选择的文件"), "{html}");
    let token = html
        .split("name=\"kept\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a kept file")
        .to_owned();
    // Someone else's page cannot use it, nor can an altered one.
    app.teacher(&t.school, "王老师", 12).await;
    let other = session(&app, &id_number(12)).await;
    let mut fixed = declaration_fields("学时写对了", &day);
    fixed.push(("kept", token.as_str()));
    let (status, html) = post_form(&app, &other, "/declarations", &fixed, vec![]).await;
    assert_eq!(status, 422);
    assert!(html.contains("之前选择的文件已失效"), "{html}");
    let altered = format!("{token}x");
    let mut bad_token = declaration_fields("学时写对了", &day);
    bad_token.push(("kept", altered.as_str()));
    let (status, _) = post_form(&app, &s, "/declarations", &bad_token, vec![]).await;
    assert_eq!(status, 422);
    let (status, location) = post_form(&app, &s, "/declarations", &fixed, vec![]).await;
    assert_eq!(status, 303, "{location}");
    let id = declaration_id(&location);
    let saved = app.declaration(&token_of(&app, 2).await, &id).await;
    assert_eq!(saved["evidence"].as_array().unwrap().len(), 1, "{saved}");
}

async fn token_of(app: &TestApp, n: u32) -> String {
    app.login(&id_number(n), PASSWORD).await
}

#[tokio::test]
async fn a_returned_declaration_shows_the_comment_and_its_files_are_replaced_one_by_one() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let year = this_year();
    app.set_policy(year, policy(year)).await;
    app.teacher(&t.school, "黄老师", 3).await;
    let token = app.login(&id_number(3), PASSWORD).await;
    let day = format!("{year}-04-01");
    let id = app.ready(&token, form("照片模糊", &day, &day), 9).await;
    app.submit(&token, &id).await.expect(200);
    app.review(
        &t.school_token,
        &id,
        json!({ "decision": "return", "comment": "证书照片模糊，请重新拍摄" }),
    )
    .await
    .expect(200);
    let s = session(&app, &id_number(3)).await;
    let (_, html) = page(&app, &s, &format!("/declarations/{id}/edit")).await;
    assert!(
        html.contains("学校初审退回修改：证书照片模糊，请重新拍摄"),
        "{html}"
    );
    let old = app.declaration(&token, &id).await["evidence"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(html.contains(&format!("/files/{old}/replace")), "{html}");

    let (status, location) = post_form(
        &app,
        &s,
        &format!("/declarations/{id}/files/{old}/replace"),
        &[],
        vec![("file", "清晰.png", png(10))],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.contains("done=file_replaced"));
    let files = app.declaration(&token, &id).await["evidence"].clone();
    assert_eq!(
        files.as_array().unwrap().len(),
        1,
        "replaced, not added: {files}"
    );
    assert_ne!(files[0]["id"], old.as_str());

    let new = files[0]["id"].as_str().unwrap().to_owned();
    let (status, _, location) = post(
        &app,
        &s,
        &format!("/declarations/{id}/files/{new}/delete"),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().contains("done=file_removed"));
    assert_eq!(
        app.declaration(&token, &id).await["evidence"],
        json!([]),
        "removed"
    );
}

#[tokio::test]
async fn the_form_is_closed_when_no_year_is_open_for_declarations() {
    let app = spawn_app().await;
    let t = tree(&app, "花都").await;
    let old = this_year() - 1;
    app.set_policy(old, policy(old)).await;
    app.teacher(&t.school, "周老师", 4).await;
    let s = session(&app, &id_number(4)).await;
    let (_, html) = page(&app, &s, "/declarations/new").await;
    assert!(html.contains("暂不能申报"), "{html}");
    assert!(
        !html.contains("enctype=\"multipart/form-data\""),
        "no form to fill in: {html}"
    );
    let (_, home) = page(&app, &s, "/home").await;
    assert!(!home.contains("href=\"/declarations/new\""), "{home}");
}

#[tokio::test]
async fn the_results_page_offers_each_passed_years_certificate_and_says_what_a_failed_year_lacked()
{
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    app.set_policy(2029, policy(2029)).await;
    app.set_policy(2030, policy(2030)).await;
    let teacher = app.teacher(&t.school, "吴老师", 5).await;
    app.earn(&teacher, 2029, 0.0, 42.0, 18.0).await;
    app.earn(&teacher, 2030, 30.0, 42.0, 18.0).await;
    for year in [2029, 2030] {
        app.post(
            &format!("/verifications/{year}/run"),
            &app.city_token,
            json!({ "force": true }),
        )
        .await
        .expect(200);
    }
    let s = session(&app, &id_number(5)).await;
    let (_, html) = page(&app, &s, "/results").await;
    assert!(
        html.contains(&format!(
            "href=\"/api/v1/teachers/{teacher}/certificates/2030.pdf\""
        )) && html.contains("下载2030年度合格证明（PDF）"),
        "{html}"
    );
    assert!(html.contains("<svg") && html.contains("/verify/"), "{html}");
    assert!(
        html.contains("未达到2029年度学时要求：公需科目差 30 学时"),
        "{html}"
    );
    assert!(!html.contains("下载2029年度"), "{html}");
}

#[tokio::test]
async fn an_unknown_address_gets_the_sites_own_chinese_page() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(format!("{}/no-such-page", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("lang=\"zh-CN\"")
            && html.contains("找不到该页面")
            && html.contains("返回首页"),
        "{html}"
    );
}
