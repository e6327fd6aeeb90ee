use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_number, spawn_app, tree};

fn xlsx(rows: &[(&str, &str, Option<f64>)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in ["姓名", "身份证号", "学时"].iter().enumerate() {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    for (i, (name, id, hours)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, *name).unwrap();
        sheet.write_string(row, 1, *id).unwrap();
        if let Some(h) = hours {
            sheet.write_number(row, 2, *h).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

async fn upload(
    app: &TestApp,
    token: &str,
    training: &str,
    bytes: Vec<u8>,
    name: &str,
    dry_run: bool,
) -> (u16, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let resp = app
        .client
        .post(format!(
            "{}/api/v1/trainings/{training}/attendance/import?dry_run={dry_run}",
            app.address
        ))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn count_records(app: &TestApp, teacher: &str) -> usize {
    app.api_get(&format!("/teachers/{teacher}/records"), &app.city_token)
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_xlsx_registers_every_row_and_a_dry_run_nothing() {
    let app = spawn_app().await;
    let t = tree(&app, "天河").await;
    let a = app.teacher(&t.school, "陈伟", 1).await;
    let b = app.teacher(&t.school, "李芳", 2).await;
    let training = app
        .training(
            &t.district_token,
            &t.district,
            "district",
            "professional",
            "training_course",
            8.0,
            2030,
        )
        .await;
    let file = xlsx(&[
        ("陈伟", &id_number(1), Some(6.5)),
        ("李芳", &id_number(2).to_lowercase(), None),
    ]);
    let (status, body) = upload(
        &app,
        &t.district_token,
        &training,
        file.clone(),
        "名单.xlsx",
        true,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({ "registered": 2, "updated": 0 }))
    );
    assert_eq!(count_records(&app, &a).await, 0, "a dry run writes nothing");
    let (status, body) = upload(
        &app,
        &t.district_token,
        &training,
        file.clone(),
        "名单.xlsx",
        false,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({ "registered": 2, "updated": 0 }))
    );
    let records = app
        .api_get(&format!("/teachers/{b}/records"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(records["items"][0]["hours"], 8);
    let (_, again) = upload(&app, &t.district_token, &training, file, "名单.xlsx", false).await;
    assert_eq!(again, json!({ "registered": 0, "updated": 2 }));
    assert_eq!(count_records(&app, &a).await, 1);
}

#[tokio::test]
async fn every_bad_row_is_reported_with_its_row_and_column_and_nothing_is_registered() {
    let app = spawn_app().await;
    let t = tree(&app, "海珠").await;
    let other = tree(&app, "荔湾").await;
    let good = app.teacher(&t.school, "陈伟", 1).await;
    app.teacher(&t.school, "李芳", 2).await;
    app.teacher(&other.school, "外区", 3).await;
    let training = app
        .training(
            &t.district_token,
            &t.district,
            "district",
            "professional",
            "training_course",
            8.0,
            2030,
        )
        .await;
    let file = xlsx(&[
        ("陈伟", &id_number(1), Some(8.0)),        // row 2: fine
        ("王五", &id_number(2), Some(8.0)),        // row 3: name does not match
        ("赵六", &id_number(99), Some(8.0)),       // row 4: unknown ID number
        ("钱七", "440106199002301234", Some(8.0)), // row 5: invalid ID number
        ("外区", &id_number(3), Some(8.0)),        // row 6: another district's teacher
        ("陈伟", &id_number(1), Some(9.0)),        // row 7: above the event's hours (and a repeat)
    ]);
    let (status, body) = upload(&app, &t.district_token, &training, file, "名单.xlsx", false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid");
    let details = body["error"]["details"].as_array().unwrap();
    let found: Vec<(u64, &str)> = details
        .iter()
        .map(|d| (d["row"].as_u64().unwrap(), d["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (3, "姓名"),
            (4, "身份证号"),
            (5, "身份证号"),
            (6, "身份证号"),
            (7, "学时")
        ]
    );
    assert!(
        details
            .iter()
            .all(|d| !d["message"].as_str().unwrap().is_empty())
    );
    assert_eq!(count_records(&app, &good).await, 0, "all or nothing");
}

#[tokio::test]
async fn csv_in_utf8_with_a_bom_and_in_gb18030_are_both_read() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let a = app.teacher(&t.school, "陈伟", 1).await;
    let training = app
        .training(
            &t.school_token,
            &t.school,
            "school",
            "elective",
            "teaching_research",
            4.0,
            2030,
        )
        .await;
    let utf8 = format!(
        "\u{feff}姓名,身份证号,学时\r\n陈伟,{},3.5\r\n",
        id_number(1)
    )
    .into_bytes();
    let (status, body) = upload(&app, &t.school_token, &training, utf8, "a.csv", false).await;
    assert_eq!(
        (status, body),
        (200, json!({ "registered": 1, "updated": 0 }))
    );
    let text = format!("姓名,身份证号,学时\r\n陈伟,{},4\r\n", id_number(1));
    let (gb, _, _) = encoding_rs::GB18030.encode(&text);
    let (status, body) = upload(
        &app,
        &t.school_token,
        &training,
        gb.into_owned(),
        "b.csv",
        false,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({ "registered": 0, "updated": 1 }))
    );
    let records = app
        .api_get(&format!("/teachers/{a}/records"), &app.city_token)
        .await
        .expect(200);
    assert_eq!(records["items"][0]["hours"], 4);
}

#[tokio::test]
async fn a_file_without_the_expected_headers_or_with_bad_hours_is_refused() {
    let app = spawn_app().await;
    let t = tree(&app, "黄埔").await;
    app.teacher(&t.school, "陈伟", 1).await;
    let training = app
        .training(
            &t.school_token,
            &t.school,
            "school",
            "elective",
            "other",
            4.0,
            2030,
        )
        .await;
    let (status, body) = upload(
        &app,
        &t.school_token,
        &training,
        "名字,号码\n陈伟,1\n".as_bytes().to_vec(),
        "x.csv",
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("身份证号")
    );
    let bad_hours = format!("姓名,身份证号,学时\n陈伟,{},三\n", id_number(1)).into_bytes();
    let (status, body) = upload(&app, &t.school_token, &training, bad_hours, "x.csv", false).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["details"][0]["column"], "学时");
    let (status, _) = upload(&app, &t.school_token, &training, Vec::new(), "x.csv", false).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn the_template_has_the_expected_headers() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(format!(
            "{}/api/v1/trainings/attendance/template.xlsx",
            app.address
        ))
        .bearer_auth(&app.city_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let rows = xueshi_server::services::sheet::read(
        &bytes,
        &["姓名", "身份证号", "学时"],
        &["姓名", "身份证号", "学时"],
    )
    .unwrap();
    assert!(rows.is_empty(), "the template has headers and no data rows");
}

/// An import tells nobody who is registered where: another district's teacher, even with a
/// wrong name, is answered exactly as an ID number nobody has.
#[tokio::test]
async fn a_teacher_outside_the_organisers_reach_is_answered_as_unknown() {
    let app = spawn_app().await;
    let t = tree(&app, "南沙").await;
    let other = tree(&app, "从化").await;
    app.teacher(&other.school, "外区教师", 3).await;
    let training = app
        .training(
            &t.school_token,
            &t.school,
            "school",
            "professional",
            "training_course",
            4.0,
            2030,
        )
        .await;
    let file = xlsx(&[
        ("随便写", &id_number(3), Some(4.0)),
        ("随便写", &id_number(99), Some(4.0)),
    ]);
    let (status, body) = upload(&app, &t.school_token, &training, file, "名单.xlsx", true).await;
    assert_eq!(status, 422, "{body}");
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    assert_eq!(details[0]["column"], details[1]["column"]);
    assert_eq!(details[0]["message"], details[1]["message"]);
    assert!(!body.to_string().contains("外区教师"), "{body}");
}
