use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, id_number, spawn_app, tree};
use crate::reports::download;

async fn publish(app: &TestApp, token: &str, title: &str) -> String {
    let body = json!({ "title": title, "body": format!("{title}的正文") });
    app.post("/announcements", token, body).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn titles(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect()
}

async fn upload(app: &TestApp, token: &str, id: &str, bytes: Vec<u8>, name: &str) -> (u16, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/announcements/{id}/attachments",
            app.address
        ))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn a_user_sees_the_city_notices_and_their_own_districts_newest_first() {
    let app = spawn_app().await;
    let a = tree(&app, "天河").await;
    let b = tree(&app, "海珠").await;
    app.teacher(&a.school, "天河教师", 1).await;
    let city_first = publish(&app, &app.city_token, "全市通知一").await;
    publish(&app, &a.district_token, "天河区通知").await;
    publish(&app, &b.district_token, "海珠区通知").await;
    publish(&app, &app.city_token, "全市通知二").await;

    let teacher = app.login(&id_number(1), PASSWORD).await;
    let seen = app.api_get("/announcements", &teacher).await.expect(200);
    assert_eq!(titles(&seen), ["全市通知二", "天河区通知", "全市通知一"]);
    let first = &seen["items"][2];
    assert_eq!(first["id"], city_first.as_str());
    assert_eq!(first["org_name"], "广州市教育局");
    assert_eq!(first["body"], "全市通知一的正文");
    assert!(first["created_at"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(
        titles(
            &app.api_get("/announcements", &a.school_token)
                .await
                .expect(200)
        ),
        ["全市通知二", "天河区通知", "全市通知一"]
    );
    assert_eq!(
        titles(
            &app.api_get("/announcements", &b.district_token)
                .await
                .expect(200)
        ),
        ["全市通知二", "海珠区通知", "全市通知一"]
    );
    assert_eq!(
        app.api_get("/announcements", &app.city_token)
            .await
            .expect(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let page = app
        .api_get("/announcements?limit=2", &teacher)
        .await
        .expect(200);
    assert_eq!(titles(&page), ["全市通知二", "天河区通知"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .api_get(&format!("/announcements?limit=2&cursor={cursor}"), &teacher)
        .await
        .expect(200);
    assert_eq!(titles(&rest), ["全市通知一"]);
}

#[tokio::test]
async fn only_the_city_and_districts_publish_and_withdraw_their_own() {
    let app = spawn_app().await;
    let a = tree(&app, "白云").await;
    let b = tree(&app, "花都").await;
    app.post(
        "/announcements",
        &a.school_token,
        json!({ "title": "x", "body": "y" }),
    )
    .await
    .expect_error(403, "forbidden");
    let answer = app
        .post(
            "/announcements",
            &a.district_token,
            json!({ "title": " ", "body": "" }),
        )
        .await
        .expect_error(422, "invalid");
    let fields: Vec<&str> = answer["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "body"]);

    let notice = publish(&app, &a.district_token, "白云区通知").await;
    let path = format!("/announcements/{notice}");
    app.api_get(&path, &b.district_token)
        .await
        .expect_error(404, "not_found");
    app.call(
        Method::DELETE,
        &format!("/api/v1{path}"),
        Some(&b.district_token),
        None,
    )
    .await
    .expect_error(404, "not_found");
    app.call(
        Method::DELETE,
        &format!("/api/v1{path}"),
        Some(&app.city_token),
        None,
    )
    .await
    .expect_error(403, "forbidden");
    app.call(
        Method::DELETE,
        &format!("/api/v1{path}"),
        Some(&a.school_token),
        None,
    )
    .await
    .expect_error(403, "forbidden");
    let gone = app
        .call(
            Method::DELETE,
            &format!("/api/v1{path}"),
            Some(&a.district_token),
            None,
        )
        .await;
    assert_eq!(gone.status, 204);
    app.api_get(&path, &a.school_token)
        .await
        .expect_error(404, "not_found");
    assert_eq!(
        app.audit_actions(&notice).await,
        ["announcement.withdraw", "announcement.publish"]
    );
}

#[tokio::test]
async fn attachments_are_checked_by_content_and_downloaded_by_the_audience() {
    let app = spawn_app().await;
    let a = tree(&app, "番禺").await;
    let b = tree(&app, "南沙").await;
    let notice = publish(&app, &a.district_token, "培训通知").await;
    let pdf = b"%PDF-1.4\n% test\n".to_vec();

    let (status, body) = upload(
        &app,
        &a.district_token,
        &notice,
        pdf.clone(),
        "培训安排.pdf",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["filename"], "培训安排.pdf");
    assert_eq!(body["content_type"], "application/pdf");
    assert_eq!(body["size"], pdf.len());
    let attachment = body["id"].as_str().unwrap().to_owned();

    let (status, body) = upload(
        &app,
        &a.district_token,
        &notice,
        b"MZ\x90\x00".to_vec(),
        "通知.pdf",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (415, Some("unsupported_media"))
    );
    let (status, _) = upload(&app, &a.school_token, &notice, pdf.clone(), "x.pdf").await;
    assert_eq!(status, 403);
    let (status, _) = upload(&app, &b.district_token, &notice, pdf.clone(), "x.pdf").await;
    assert_eq!(status, 404);

    let shown = app
        .api_get(&format!("/announcements/{notice}"), &a.school_token)
        .await
        .expect(200);
    assert_eq!(shown["attachments"][0]["id"], attachment.as_str());
    let path = format!("/announcements/{notice}/attachments/{attachment}");
    let (status, kind, disposition, bytes) = download(&app, &path, &a.school_token).await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/pdf");
    assert!(
        disposition.contains("filename*=UTF-8''%E5%9F%B9"),
        "{disposition}"
    );
    assert_eq!(bytes, pdf);
    let (status, _, _, _) = download(&app, &path, &b.school_token).await;
    assert_eq!(status, 404, "another district's school does not see it");
    assert!(
        app.audit_actions(&notice)
            .await
            .contains(&"announcement.attach".to_owned())
    );

    for i in 1..10 {
        let (status, _) = upload(
            &app,
            &a.district_token,
            &notice,
            pdf.clone(),
            &format!("{i}.pdf"),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, body) = upload(&app, &a.district_token, &notice, pdf.clone(), "11.pdf").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "at most 10"
    );
    let form = Form::new().text("note", "no file");
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/announcements/{notice}/attachments",
            app.address
        ))
        .bearer_auth(&a.district_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422, "the file field is required");
}

#[tokio::test]
async fn a_district_keeps_its_consultation_contacts_and_its_teachers_see_them() {
    let app = spawn_app().await;
    let a = tree(&app, "越秀").await;
    let b = tree(&app, "荔湾").await;
    app.teacher(&a.school, "越秀教师", 1).await;
    let contacts = json!({ "contacts": [
        { "name": "张老师", "phone": "020-83188888", "hours": "工作日 9:00-12:00" },
        { "name": "李老师", "phone": "13812345678", "hours": "" }
    ]});
    let path = format!("/orgs/{}/contacts", a.district);
    let saved = app
        .put(&path, &a.district_token, contacts.clone())
        .await
        .expect(200);
    assert_eq!(saved["org_id"], a.district.as_str());
    assert_eq!(saved["org_name"], "越秀区");
    assert_eq!(saved["contacts"], contacts["contacts"]);

    let teacher = app.login(&id_number(1), PASSWORD).await;
    let seen = app.api_get("/contacts", &teacher).await.expect(200);
    assert_eq!(seen, saved, "a teacher sees the district's contacts");
    assert_eq!(
        app.api_get("/contacts", &a.school_token).await.expect(200),
        saved
    );
    let other = app.api_get("/contacts", &b.school_token).await.expect(200);
    assert_eq!(other["org_id"], b.district.as_str());
    assert_eq!(other["contacts"], json!([]));
    let city_view = app
        .api_get(&format!("/contacts?org_id={}", a.district), &app.city_token)
        .await
        .expect(200);
    assert_eq!(city_view, saved);
    app.api_get(
        &format!("/contacts?org_id={}", a.district),
        &b.district_token,
    )
    .await
    .expect_error(404, "not_found");

    app.put(&path, &b.district_token, contacts.clone())
        .await
        .expect_error(404, "not_found");
    app.put(&path, &a.school_token, contacts.clone())
        .await
        .expect_error(403, "forbidden");
    app.put(&path, &app.city_token, json!({ "contacts": [] }))
        .await
        .expect(200);
    let bad = json!({ "contacts": [{ "name": "王老师", "phone": "电话", "hours": "" }] });
    let answer = app
        .put(&path, &a.district_token, bad)
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "contacts[0].phone");
    assert_eq!(
        app.audit_actions(&a.district).await[..2],
        ["contacts.update", "contacts.update"]
    );
}
