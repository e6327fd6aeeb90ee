use super::*;

const COLUMNS: &[&str] = &["姓名", "身份证号", "学时"];
const HOSTILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/hostile/");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{HOSTILE}{name}")).unwrap()
}

fn refusal(bytes: &[u8]) -> String {
    match read(bytes, COLUMNS, &COLUMNS[..2]) {
        Err(AppError::Invalid(errors)) => errors[0].message.clone(),
        Err(other) => panic!("expected 422, got {other:?}"),
        Ok(rows) => panic!("expected a refusal, read {} rows", rows.len()),
    }
}

#[test]
fn csv_in_utf8_with_a_bom_is_read() {
    let rows = read(
        "\u{feff}姓名,身份证号,学时\n张三,110105194912310029,8\n".as_bytes(),
        COLUMNS,
        &COLUMNS[..2],
    )
    .unwrap();
    assert_eq!(rows[0].row, 2);
    assert_eq!(rows[0].cells, ["张三", "110105194912310029", "8"]);
}

#[test]
fn csv_in_gb18030_as_excel_saves_it_is_read() {
    let (bytes, _, _) = encoding_rs::GB18030.encode("身份证号,姓名\n110105194912310029,李四\n");
    let rows = read(&bytes, COLUMNS, &COLUMNS[..2]).unwrap();
    assert_eq!(rows[0].cells, ["李四", "110105194912310029", ""]);
}

#[test]
fn a_missing_required_column_is_named() {
    assert!(refusal("姓名,学时\n张三,8\n".as_bytes()).contains("身份证号"));
}

#[test]
fn xlsx_is_read_with_numbers_as_shown() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in COLUMNS.iter().enumerate() {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "王五").unwrap();
    sheet.write_string(1, 1, "110105194912310029").unwrap();
    sheet.write_number(1, 2, 7.5).unwrap();
    sheet.write_number(2, 2, 8.0).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let rows = read(&bytes, COLUMNS, &COLUMNS[..2]).unwrap();
    assert_eq!(rows[0].cells, ["王五", "110105194912310029", "7.5"]);
    assert_eq!(rows[1].cells, ["", "", "8"]);
    assert_eq!(rows[1].row, 3);
}

#[test]
fn a_sheet_declaring_the_whole_grid_is_refused_before_any_cell_is_kept() {
    assert!(refusal(&fixture("sparse-range.xlsx")).contains("50列"));
}

#[test]
fn a_deflate_bomb_is_refused_by_its_unpacked_size() {
    assert!(refusal(&fixture("deflate-bomb.xlsx")).contains("100MB"));
}

#[test]
fn a_bomb_that_lies_about_its_sizes_is_refused_too() {
    let message = refusal(&fixture("lying-sizes-bomb.xlsx"));
    assert!(
        message.contains("100MB") || message.contains("无法读取"),
        "{message}"
    );
}

#[test]
fn a_shared_string_table_claiming_trillions_is_refused() {
    assert!(refusal(&fixture("shared-strings-claim.xlsx")).contains("文本超过"));
}

#[test]
fn more_rows_than_the_cap_are_refused_and_the_cap_itself_is_read() {
    let mut csv = String::from("姓名,身份证号,学时\n");
    for _ in 0..MAX_ROWS {
        csv.push_str("张三,110105194912310029,8\n");
    }
    assert_eq!(
        read(csv.as_bytes(), COLUMNS, &COLUMNS[..2]).unwrap().len(),
        MAX_ROWS
    );
    csv.push_str("李四,110105194912310029,8\n");
    assert!(refusal(csv.as_bytes()).contains("100000行"));
}

#[test]
fn more_columns_than_the_cap_are_refused() {
    let header = (0..=MAX_COLUMNS)
        .map(|i| format!("列{i}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(refusal(format!("{header}\n").as_bytes()).contains("50列"));
    let commas = format!("姓名,身份证号,学时\n张三{}\n", ",".repeat(2_000_000));
    assert!(refusal(commas.as_bytes()).contains("50列"));
}

#[test]
fn an_overlong_cell_is_refused_with_its_place() {
    let csv = format!(
        "姓名,身份证号,学时\n{},1,8\n",
        "长".repeat(MAX_CELL_CHARS + 1)
    );
    let message = refusal(csv.as_bytes());
    assert!(message.contains("第2行第1列"), "{message}");
}

#[test]
fn old_excel_files_are_named_as_such() {
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(512, 0);
    assert!(refusal(&xls).contains(".xls"));
}

#[tokio::test]
async fn an_upload_is_read_off_the_async_threads() {
    let rows = read_upload(
        Bytes::from_static("姓名,身份证号\n张三,1\n".as_bytes()),
        COLUMNS,
        &COLUMNS[..2],
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A minimal XLSX around a sheet's XML, as the hostile fixtures are made.
    fn workbook(sheet_data: &str) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_owned()),
            ("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
            ("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#)),
        ];
        for (name, body) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn arbitrary_bytes_as_csv_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(rows) = read(&bytes, COLUMNS, &COLUMNS[..1]) {
                prop_assert!(rows.len() <= MAX_ROWS);
            }
        }

        #[test]
        fn arbitrary_bytes_behind_a_zip_signature_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut file = b"PK\x03\x04".to_vec();
            file.extend_from_slice(&bytes);
            let _ = read(&file, COLUMNS, &COLUMNS[..1]);
        }

        /// Cells at any position, of any text: read within the caps, or refused with a reason.
        #[test]
        fn sheets_with_cells_anywhere_are_read_or_refused(
            cells in proptest::collection::vec((0u32..1_048_576, 0u32..16_384, "[^<>&]{0,20}"), 0..40),
        ) {
            let mut xml = String::from(r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>"#);
            for (row, col, text) in &cells {
                let mut name = String::new();
                let mut c = col + 1;
                while c > 0 {
                    name.insert(0, (b'A' + ((c - 1) % 26) as u8) as char);
                    c = (c - 1) / 26;
                }
                xml.push_str(&format!(
                    r#"<row r="{}"><c r="{name}{}" t="inlineStr"><is><t>{text}</t></is></c></row>"#,
                    row + 2, row + 2
                ));
            }
            match read(&workbook(&xml), COLUMNS, &COLUMNS[..1]) {
                Ok(rows) => prop_assert!(rows.len() <= MAX_ROWS),
                Err(AppError::Invalid(e)) => prop_assert!(!e[0].message.is_empty()),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
