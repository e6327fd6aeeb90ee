use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use xueshi_domain::IdNumber;

use crate::helpers::{TestApp, id_number, policy, spawn_app, tree};
use crate::reports::{download, verify, xlsx_rows};

const PROVINCIAL: [&str; 9] = [
    "姓名",
    "身份证号",
    "单位",
    "年度",
    "公需科目学时",
    "专业科目学时",
    "个人选修科目学时",
    "总学时",
    "是否合格",
];

async fn private_school(app: &TestApp, district: &str, name: &str, kind: &str) -> String {
    let body = json!({ "name": name, "kind": "school", "parent_id": district,
        "ownership": "private", "school_type": kind });
    app.post("/orgs", &app.city_token, body).await.expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_provincial_export_has_the_documented_columns_and_full_id_numbers() {
    let app = spawn_app().await;
    let a = tree(&app, "天河").await;
    let b = tree(&app, "海珠").await;
    app.set_policy(2030, policy(2030)).await;
    let pass = app.teacher(&a.school, "陈伟", 1).await;
    let fail = app.teacher(&a.school, "李芳", 2).await;
    let other = app.teacher(&b.school, "王强", 3).await;
    app.earn(&pass, 2030, 30.0, 50.5, 18.0).await;
    app.earn(&fail, 2030, 30.0, 0.0, 0.0).await;
    app.earn(&other, 2030, 30.0, 42.0, 18.0).await;

    let (status, _, _, body) = download(&app, "/exports/2030/provincial", &app.city_token).await;
    assert_eq!(status, 409, "only verified years go to the province");
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["error"]["code"], "conflict");
    verify(&app, 2030).await;

    let (status, kind, disposition, bytes) =
        download(&app, "/exports/2030/provincial?format=csv", &app.city_token).await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(disposition.contains("provincial-2030.csv"), "{disposition}");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a BOM for Excel"
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        PROVINCIAL
    );
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    rows.sort();
    let expected = |name: &str, n: u32, school: &str, hours: [&str; 4], passed: &str| {
        let mut row = vec![
            name.to_owned(),
            id_number(n),
            school.to_owned(),
            "2030".to_owned(),
        ];
        row.extend(hours.iter().map(|h| h.to_string()));
        row.push(passed.to_owned());
        row
    };
    let mut want = vec![
        expected("陈伟", 1, "天河小学", ["30", "50.5", "18", "98.5"], "是"),
        expected("李芳", 2, "天河小学", ["30", "0", "0", "30"], "否"),
        expected("王强", 3, "海珠小学", ["30", "42", "18", "90"], "是"),
    ];
    want.sort();
    assert_eq!(rows, want);

    let (status, kind, _, bytes) = download(
        &app,
        "/exports/2030/provincial?format=xlsx",
        &a.district_token,
    )
    .await;
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"));
    let rows = xlsx_rows(&bytes, &PROVINCIAL);
    assert_eq!(
        rows.len(),
        2,
        "a district exports its own schools: {rows:?}"
    );
    let chen = rows.iter().find(|r| r[0] == "陈伟").unwrap();
    assert_eq!(chen[1], id_number(1), "the full ID number");
    assert_eq!(chen[3..], ["2030", "30", "50.5", "18", "98.5", "是"]);

    let audit = app
        .api_get("/audit?target_id=2030", &app.city_token)
        .await
        .expect(200);
    let exports: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "export.provincial")
        .collect();
    assert_eq!(exports.len(), 2, "every download is audited");
    assert_eq!(exports[0]["detail"]["format"], "xlsx");
    assert_eq!(exports[0]["detail"]["rows"], 2);
    assert_eq!(exports[1]["detail"]["rows"], 3);

    let (status, _, _, _) = download(&app, "/exports/2030/provincial", &a.school_token).await;
    assert_eq!(status, 403, "schools never download full ID numbers");
    let (status, _, _, _) =
        download(&app, "/exports/2030/provincial?format=pdf", &app.city_token).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_allowance_lists_private_compulsory_school_teachers_with_last_year() {
    let app = spawn_app().await;
    let t = tree(&app, "白云").await;
    let private = private_school(&app, &t.district, "白云民办小学", "primary").await;
    let nursery = private_school(&app, &t.district, "白云民办幼儿园", "kindergarten").await;
    app.set_policy(2030, policy(2030)).await;
    let passed = app.teacher(&private, "合格", 1).await;
    let failed = app.teacher(&private, "不合格", 2).await;
    app.teacher(&nursery, "幼儿园教师", 3).await;
    let public = app.teacher(&t.school, "公办教师", 4).await;
    app.earn(&passed, 2030, 30.0, 42.0, 18.0).await;
    app.earn(&public, 2030, 30.0, 42.0, 18.0).await;

    let before = app
        .api_get("/reports/2031/allowance", &t.district_token)
        .await
        .expect(200);
    assert_eq!(before["previous_year"], 2030);
    assert_eq!(before["previous_year_verified"], false);
    assert!(
        before["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["eligible"] == false && i["previous_year_passed"] == Value::Null)
    );
    verify(&app, 2030).await;
    // A teacher who arrives afterwards has no result for 2030.
    let newcomer = app.teacher(&private, "新教师", 5).await;

    let list = app
        .api_get("/reports/2031/allowance", &t.district_token)
        .await
        .expect(200);
    assert_eq!(list["previous_year_verified"], true);
    let items = list["items"].as_array().unwrap();
    let by_id = |id: &str| items.iter().find(|i| i["teacher_id"] == id).unwrap();
    assert_eq!(
        items.len(),
        3,
        "private compulsory-school teachers only: {list}"
    );
    assert_eq!(by_id(&passed)["eligible"], true);
    assert_eq!(by_id(&passed)["previous_year_passed"], true);
    assert_eq!(
        by_id(&passed)["id_number"],
        IdNumber::mask_str(&id_number(1)),
        "masked in a list"
    );
    assert_eq!(by_id(&passed)["school_type"], "primary");
    assert_eq!(by_id(&failed)["previous_year_passed"], false);
    assert_eq!(by_id(&failed)["eligible"], false);
    assert_eq!(by_id(&newcomer)["previous_year_passed"], Value::Null);

    let page = app
        .api_get("/reports/2031/allowance?limit=2", &app.city_token)
        .await
        .expect(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .api_get(
            &format!("/reports/2031/allowance?limit=2&cursor={cursor}"),
            &app.city_token,
        )
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);

    let (status, _, _, bytes) = download(
        &app,
        "/reports/2031/allowance?format=xlsx",
        &t.district_token,
    )
    .await;
    assert_eq!(status, 200);
    let mut rows = xlsx_rows(
        &bytes,
        &[
            "姓名",
            "身份证号",
            "学校",
            "学校类型",
            "上年度验证结果",
            "是否符合发放条件",
        ],
    );
    rows.sort();
    assert_eq!(
        rows,
        [
            [
                "不合格",
                &IdNumber::mask_str(&id_number(2)),
                "白云民办小学",
                "小学",
                "不合格",
                "否"
            ],
            [
                "合格",
                &IdNumber::mask_str(&id_number(1)),
                "白云民办小学",
                "小学",
                "合格",
                "是"
            ],
            [
                "新教师",
                &IdNumber::mask_str(&id_number(5)),
                "白云民办小学",
                "小学",
                "无验证结果",
                "否"
            ],
        ]
    );
    let other = tree(&app, "从化").await;
    let foreign = app
        .api_get("/reports/2031/allowance", &other.district_token)
        .await
        .expect(200);
    assert!(foreign["items"].as_array().unwrap().is_empty());
}

async fn reconcile(app: &TestApp, token: &str, bytes: Vec<u8>, query: &str) -> (u16, Vec<u8>) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("roster"));
    let resp = app
        .client
        .post(format!("{}/api/v1/reconciliation{query}", app.address))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

fn roster_xlsx(rows: &[(&str, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "姓名").unwrap();
    sheet.write_string(0, 1, "身份证号").unwrap();
    for (i, (name, id)) in rows.iter().enumerate() {
        sheet.write_string(i as u32 + 1, 0, *name).unwrap();
        sheet.write_string(i as u32 + 1, 1, *id).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn reconciliation_lists_the_unregistered_and_the_misnamed_in_scope() {
    let app = spawn_app().await;
    let a = tree(&app, "黄埔").await;
    let b = tree(&app, "花都").await;
    let known = app.teacher(&a.school, "陈伟", 1).await;
    let missing = app.teacher(&a.school, "李芳", 2).await;
    let renamed = app.teacher(&a.school, "王强", 3).await;
    let elsewhere = app.teacher(&b.school, "赵敏", 4).await;
    let lower_x = id_number(1).to_lowercase();
    let roster = roster_xlsx(&[
        ("陈 伟", &lower_x),
        ("王小强", &id_number(3)),
        ("省里才有", &id_number(9)),
    ]);

    let (status, body) = reconcile(&app, &a.school_token, roster.clone(), "").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let result: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(result["roster_rows"], 3);
    assert_eq!(result["teachers_checked"], 3, "the school's own teachers");
    assert_eq!(
        result["not_registered"],
        json!([{ "teacher_id": missing, "name": "李芳", "id_number": IdNumber::mask_str(&id_number(2)),
                 "school_id": a.school, "school_name": "黄埔小学" }])
    );
    assert_eq!(
        result["name_mismatch"],
        json!([{ "teacher_id": renamed, "name": "王强", "provincial_name": "王小强",
                 "id_number": IdNumber::mask_str(&id_number(3)), "school_id": a.school, "school_name": "黄埔小学" }])
    );
    let _ = known;

    // The city checks everyone; a GB18030 CSV as Excel saves it is read too.
    let text = format!(
        "姓名,身份证号\n陈伟,{}\n王强,{}\n李芳,{}\n",
        id_number(1),
        id_number(3),
        id_number(2)
    );
    let (csv, _, _) = encoding_rs::GB18030.encode(&text);
    let (status, body) = reconcile(&app, &app.city_token, csv.into_owned(), "").await;
    assert_eq!(status, 200);
    let city: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(city["teachers_checked"], 4);
    assert_eq!(city["not_registered"][0]["teacher_id"], elsewhere.as_str());
    assert_eq!(city["name_mismatch"], json!([]));

    let (status, bytes) = reconcile(&app, &a.district_token, roster, "?format=xlsx").await;
    assert_eq!(status, 200);
    let rows = xlsx_rows(&bytes, &["姓名", "身份证号", "学校"]);
    assert_eq!(
        rows,
        [["李芳", &IdNumber::mask_str(&id_number(2)), "黄埔小学"]]
    );

    let (status, body) = reconcile(&app, &a.school_token, b"name,id\nx,y\n".to_vec(), "").await;
    assert_eq!(status, 422);
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["code"], "invalid");
    assert!(error["error"]["message"].as_str().unwrap().contains("姓名"));
    let teacher = app.login(&id_number(1), crate::helpers::PASSWORD).await;
    let (status, _) = reconcile(&app, &teacher, roster_xlsx(&[]), "").await;
    assert_eq!(status, 403);
}
