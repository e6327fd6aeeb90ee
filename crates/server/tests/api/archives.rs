//! 继续教育档案: a teacher's archive as a PDF (a page per year: the verification's result or a
//! not-yet-verified year's effective hours, and the records), read back with `pdftotext`;
//! and a school's archive as XLSX, one row per teacher and verified year.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, id_number, policy, spawn_app, tree};
use crate::reports::{download, xlsx_rows};

/// The PDF's pages as `pdftotext` reads them, or `None` when it is missing.
fn pdf_pages(pdf: &[u8]) -> Option<Vec<String>> {
    let text = crate::helpers::pdftotext(pdf, false)?;
    Some(
        text.split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

async fn verified(app: &TestApp, year: i32) {
    app.post(
        &format!("/verifications/{year}/run"),
        &app.city_token,
        json!({"force": true}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn a_teachers_archive_has_a_page_for_each_year_and_a_school_has_its_rows() {
    let app = spawn_app().await;
    let t = tree(&app, "越秀").await;
    let chen = app.teacher(&t.school, "陈大伟", 1).await;
    let li = app.teacher(&t.school, "李四", 2).await;
    app.set_policy(2029, policy(2029)).await;
    app.set_policy(2030, policy(2030)).await;
    app.earn(&chen, 2029, 30.0, 60.0, 18.5).await;
    app.earn(&li, 2029, 30.0, 40.0, 10.0).await;
    verified(&app, 2029).await;
    // 2030 is not verified yet: its page shows what the ledger counts today.
    app.earn(&chen, 2030, 30.0, 0.0, 0.0).await;

    let token = app.login(&id_number(1), PASSWORD).await;
    let (status, kind, disposition, pdf) =
        download(&app, &format!("/teachers/{chen}/archive.pdf"), &token).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(disposition.contains("archive.pdf"), "{disposition}");
    if let Some(pages) = pdf_pages(&pdf) {
        assert_eq!(
            pages.len(),
            2,
            "a page for 2029 and one for 2030: {pages:?}"
        );
        let first = &pages[0];
        for expected in [
            "继续教育档案",
            "陈大伟",
            "越秀小学",
            "2029 年度 合格",
            "108.5",
            "公需科目",
        ] {
            assert!(first.contains(expected), "{expected} missing: {first}");
        }
        let masked = format!("{}********{}", &id_number(1)[..6], &id_number(1)[14..]);
        assert!(first.contains(&masked) && !first.contains(&id_number(1)));
        let second = &pages[1];
        assert!(
            second.contains("2030 年度 未验证") && second.contains("有效学时"),
            "{second}"
        );
        // The carry-over from 2029 is among 2030's records.
        assert!(second.contains("学时记录（2 条）") && second.contains("上年度结转"));
        assert!(second.contains("第 2 页，共 2 页"));
    }
    // Someone else's archive is not the teacher's to read; the school's and district's are.
    download(&app, &format!("/teachers/{li}/archive.pdf"), &token)
        .await
        .0
        .eq(&404)
        .then_some(())
        .expect("another teacher's archive is 404");
    assert_eq!(
        download(
            &app,
            &format!("/teachers/{chen}/archive.pdf"),
            &t.district_token
        )
        .await
        .0,
        200
    );
    let other = tree(&app, "海珠").await;
    assert_eq!(
        download(
            &app,
            &format!("/teachers/{chen}/archive.pdf"),
            &other.school_token
        )
        .await
        .0,
        404
    );
    assert!(
        app.audit_actions(&chen)
            .await
            .contains(&"teacher.archive_download".to_owned())
    );

    // The school's archive: one row per teacher and verified year.
    let (status, _, _, bytes) = download(&app, "/reports/archive", &t.school_token).await;
    assert_eq!(status, 200);
    let rows = xlsx_rows(
        &bytes,
        &["姓名", "身份证号", "年度", "公需科目", "合计", "验证结果"],
    );
    assert_eq!(
        rows,
        [
            vec![
                "李四".to_owned(),
                format!("{}********{}", &id_number(2)[..6], &id_number(2)[14..]),
                "2029".into(),
                "30".into(),
                "80".into(),
                "不合格".into()
            ],
            vec![
                "陈大伟".to_owned(),
                format!("{}********{}", &id_number(1)[..6], &id_number(1)[14..]),
                "2029".into(),
                "30".into(),
                "108.5".into(),
                "合格".into()
            ],
        ]
    );
    // The district names the school; out of scope it is 404, and a district must name one.
    let path = format!("/reports/archive?school_id={}", t.school);
    assert_eq!(download(&app, &path, &t.district_token).await.0, 200);
    assert_eq!(download(&app, &path, &app.city_token).await.0, 200);
    assert_eq!(download(&app, &path, &other.district_token).await.0, 404);
    assert_eq!(download(&app, &path, &other.school_token).await.0, 404);
    assert_eq!(
        download(&app, "/reports/archive", &t.district_token)
            .await
            .0,
        422
    );
    assert_eq!(download(&app, &path, &token).await.0, 403);
}
