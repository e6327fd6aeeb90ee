//! 学校注册申请 as pages: the public form linked from the login page (its errors in Chinese,
//! its fields kept), and the district's queue where an approval shows the temporary password
//! once and a rejection needs a reason.

use reqwest::header::COOKIE;

use crate::form_session::{page, post, session, set_cookie, value_of};
use crate::helpers::{TestApp, spawn_app, tree};

/// Submits the public form as a browser that opened it first (its login-CSRF cookie).
async fn submit(app: &TestApp, fields: &[(&str, &str)]) -> (u16, String) {
    let form = app
        .client
        .get(format!("{}/register-school", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let csrf = value_of(&set_cookie(&form, "xueshi_csrf").unwrap()).to_owned();
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    let resp = app
        .client
        .post(format!("{}/register-school", app.address))
        .header(COOKIE, format!("xueshi_csrf={csrf}"))
        .form(&all)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn a_school_applies_on_the_public_form_and_the_district_decides_in_its_queue() {
    let app = spawn_app().await;
    let t = tree(&app, "荔湾").await;
    let login = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains(r#"<a href="/register-school">学校注册申请</a>"#));

    let mut fields = vec![
        ("name", "荔湾区西关小学"),
        ("district_id", t.district.as_str()),
        ("ownership", "public"),
        ("school_type", "primary"),
        ("contact_name", "周红"),
        ("contact_phone", "020-8123456"),
        ("admin_username", "liwan_xg"),
    ];
    let (status, refused) = submit(&app, &fields).await;
    assert_eq!(status, 422);
    assert!(refused.contains("请填写联系人的11位手机号码"), "{refused}");
    assert!(
        refused.contains(r#"value="荔湾区西关小学""#),
        "the fields are kept"
    );
    fields[5].1 = "13900001111";
    let (status, sent) = submit(&app, &fields).await;
    assert_eq!(status, 201);
    assert!(
        sent.contains("等待荔湾区教育局审核") && sent.contains("139****1111"),
        "{sent}"
    );
    let (status, again) = submit(&app, &fields).await;
    assert_eq!(status, 422);
    assert!(again.contains("已在审核中"), "{again}");
    // A stale form (no cookie) is refused and says so.
    let stale = app
        .client
        .post(format!("{}/register-school", app.address))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 403);
    assert!(stale.text().await.unwrap().contains("页面已过期"));

    let s = session(&app, "荔湾_district").await;
    let (_, home) = page(&app, &s, "/home").await;
    assert!(home.contains("待审核学校注册申请 1 份"), "{home}");
    let (_, queue) = page(&app, &s, "/school-applications").await;
    assert!(queue.contains("荔湾区西关小学") && queue.contains("周红 139****1111"));
    assert!(!queue.contains("13900001111"), "the phone is masked");
    let id = queue
        .split("/school-applications/")
        .nth(1)
        .and_then(|p| p.split('/').next())
        .unwrap()
        .to_owned();
    let action = format!("/school-applications/{id}/review");
    let (status, no_reason, _) = post(&app, &s, &action, &[("decision", "reject")]).await;
    assert_eq!(status, 422);
    assert!(no_reason.contains("不予通过须填写理由"), "{no_reason}");

    let (status, approved, location) = post(&app, &s, &action, &[("decision", "approve")]).await;
    assert_eq!(
        (status.as_u16(), location),
        (200, None),
        "shown, not redirected"
    );
    assert!(approved.contains("临时密码（只显示这一次）"), "{approved}");
    let password = approved
        .split("<code>")
        .nth(1)
        .and_then(|p| p.split("</code>").next())
        .unwrap()
        .to_owned();
    assert!(
        app.login_as_is("liwan_xg", &password)
            .await
            .status
            .is_success()
    );
    // Once: the queue does not show it again.
    let (_, later) = page(&app, &s, "/school-applications?status=all").await;
    assert!(later.contains("已通过") && !later.contains(&password));
    assert!(later.contains("查看学校"));
    // A school administrator has no such page.
    let school = session(&app, "荔湾_school").await;
    let (status, _) = page(&app, &school, "/school-applications").await;
    assert_eq!(status, 403);
}
