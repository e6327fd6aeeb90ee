//! 调动申请 on screens: the school asks from the teacher's page, choosing the district and
//! then the school; the receiving district sees it on its home page and decides on the
//! list, a rejection kept in view until it has a reason.

use crate::form_session::{page, post, session};
use crate::helpers::{spawn_app, tree};

#[tokio::test]
async fn a_school_asks_for_a_transfer_from_the_teachers_page_and_may_withdraw_it() {
    let app = spawn_app().await;
    let a = tree(&app, "越秀").await;
    let b = tree(&app, "增城").await;
    app.school(&a.district, "越秀区第二小学").await;
    let teacher = app.teacher(&a.school, "陈伟", 1).await;
    let s = session(&app, "越秀_school").await;
    let (_, home) = page(&app, &s, "/home").await;
    assert!(home.contains("href=\"/transfers\""), "the menu offers it");

    // First the schools of its own district (not itself), then another district's.
    let (_, html) = page(&app, &s, &format!("/teachers/{teacher}")).await;
    assert!(html.contains("提交调动申请"), "{html}");
    assert!(
        !html.contains("确认调动"),
        "no direct transfer for a school: {html}"
    );
    assert!(
        html.contains(">越秀区第二小学</option>") && !html.contains(">越秀小学</option>"),
        "{html}"
    );
    let (_, html) = page(
        &app,
        &s,
        &format!("/teachers/{teacher}?transfer_district={}", b.district),
    )
    .await;
    assert!(html.contains(">增城小学<"), "{html}");

    let path = format!("/teachers/{teacher}/transfer-request");
    let (status, html, _) = post(&app, &s, &path, &[("school_id", ""), ("reason", "")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("请选择调入学校"), "{html}");
    let (status, _, location) = post(
        &app,
        &s,
        &path,
        &[("school_id", b.school.as_str()), ("reason", "工作调动")],
    )
    .await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.contains("done=transfer_requested"), "{location}");
    let (_, html) = page(&app, &s, &location).await;
    assert!(
        html.contains("调动申请已提交") && html.contains("已申请调入“增城小学”"),
        "{html}"
    );
    assert!(
        html.contains("data-confirm=\"确认撤销教师“陈伟”调入“增城小学”的申请？\""),
        "{html}"
    );
    // A second one is refused in words, on the same page.
    let (status, html, _) = post(&app, &s, &path, &[("school_id", b.school.as_str())]).await;
    assert_eq!(status, 422);
    assert!(html.contains("已有一份待审批的调动申请"), "{html}");

    let list = app
        .api_get("/transfer-requests?status=pending", &a.school_token)
        .await
        .expect(200);
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let back = format!("/teachers/{teacher}");
    let (status, _, location) = post(
        &app,
        &s,
        &format!("/transfers/{id}/cancel"),
        &[("back", back.as_str())],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with(&back));
    let (_, html) = page(&app, &s, "/transfers?status=cancelled").await;
    assert!(html.contains("陈伟") && html.contains("已撤销"), "{html}");
}

#[tokio::test]
async fn the_receiving_district_sees_what_waits_and_decides_with_a_reason_to_reject() {
    let app = spawn_app().await;
    let a = tree(&app, "天河").await;
    let b = tree(&app, "海珠").await;
    let first = app.teacher(&a.school, "李明", 2).await;
    let second = app.teacher(&a.school, "王芳", 3).await;
    for t in [&first, &second] {
        app.post(
            &format!("/teachers/{t}/transfer-requests"),
            &a.school_token,
            serde_json::json!({ "school_id": b.school, "reason": "家庭原因" }),
        )
        .await
        .expect(201);
    }
    let s = session(&app, "海珠_district").await;
    let (_, home) = page(&app, &s, "/home").await;
    assert!(home.contains("待审批调动申请 2 份"), "{home}");
    let (_, html) = page(&app, &s, "/transfers").await;
    assert!(
        html.contains("李明（4") && html.contains("天河小学 → 海珠小学"),
        "masked number and both schools: {html}"
    );
    assert!(
        html.contains("确认批准将教师“李明”从“天河小学”调入“海珠小学”？"),
        "{html}"
    );
    // The sending district sees them, but they are not its to decide.
    let s_from = session(&app, "天河_district").await;
    let (_, from_view) = page(&app, &s_from, "/transfers").await;
    assert!(
        from_view.contains("李明") && !from_view.contains("批准调动"),
        "{from_view}"
    );
    assert!(from_view.contains("待调入学校所在区审批"), "{from_view}");

    let list = app
        .api_get("/transfer-requests?status=pending", &b.district_token)
        .await
        .expect(200);
    let id_of = |name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["teacher_name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let review = |id: String| format!("/transfers/{id}/review");
    let (status, html, _) = post(
        &app,
        &s,
        &review(id_of("王芳")),
        &[("decision", "reject"), ("reason", " ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("role=\"alert\">不予批准须填写理由"),
        "the refusal on top of the list: {html}"
    );
    let (status, _, location) = post(
        &app,
        &s,
        &review(id_of("王芳")),
        &[("decision", "reject"), ("reason", "调入学校岗位已满")],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().contains("done=transfer_rejected"));
    let (status, _, location) =
        post(&app, &s, &review(id_of("李明")), &[("decision", "approve")]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&app, &s, &location.unwrap()).await;
    assert!(html.contains("已批准调动"), "{html}");
    assert!(html.contains("没有待审批的调动申请"), "{html}");
    let moved = app
        .api_get(&format!("/teachers/{first}"), &b.district_token)
        .await
        .expect(200);
    assert_eq!(moved["school_id"], b.school.as_str());
    let (_, home) = page(&app, &s, "/home").await;
    assert!(!home.contains("待审批调动申请"), "{home}");
    let (_, all) = page(&app, &s, "/transfers?status=all").await;
    assert!(
        all.contains("已调动") && all.contains("未批准") && all.contains("调入学校岗位已满"),
        "{all}"
    );
}
