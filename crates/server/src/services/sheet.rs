//! Reading the spreadsheets users already have: XLSX (calamine) and CSV in UTF-8 (with or
//! without BOM) or GB18030, as Excel on Chinese Windows saves it. Rows are numbered as Excel
//! shows them (the header is row 1).

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::error::{AppError, AppResult};

/// A data row: its Excel row number and its cells, as text, in the order of `columns`.
pub struct SheetRow {
    pub row: usize,
    pub cells: Vec<String>,
}

/// Reads `bytes` (XLSX or CSV, decided by content) and picks `columns` by header name.
pub fn read(bytes: &[u8], columns: &[&str], required: &[&str]) -> AppResult<Vec<SheetRow>> {
    let table = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    let mut rows = table.into_iter();
    let header = rows
        .next()
        .ok_or_else(|| AppError::invalid("file", "文件是空的"))?;
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let positions: Vec<Option<usize>> = columns
        .iter()
        .map(|c| header.iter().position(|h| h == c))
        .collect();
    let missing: Vec<&str> = columns
        .iter()
        .zip(&positions)
        .filter(|(c, p)| p.is_none() && required.contains(c))
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "file",
            format!(
                "表头缺少列：{}（第1行应为：{}）",
                missing.join("、"),
                columns.join("、")
            ),
        ));
    }
    Ok(rows
        .enumerate()
        .map(|(i, cells)| SheetRow {
            row: i + 2,
            cells: positions
                .iter()
                .map(|p| {
                    p.and_then(|p| cells.get(p))
                        .map_or(String::new(), |c| c.trim().to_owned())
                })
                .collect(),
        })
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
        .collect())
}

fn read_xlsx(bytes: &[u8]) -> AppResult<Vec<Vec<String>>> {
    let unreadable = |_| AppError::invalid("file", "无法读取该 Excel 文件，请另存为 .xlsx 后重试");
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| AppError::invalid("file", "Excel 文件中没有工作表"))?
        .map_err(unreadable)?;
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

/// A cell as the user sees it; whole numbers without a trailing `.0`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn read_csv(bytes: &[u8]) -> AppResult<Vec<Vec<String>>> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.map(|rec| rec.iter().map(str::to_owned).collect()))
        .collect::<Result<_, _>>()
        .map_err(|e| AppError::invalid("file", format!("CSV 文件格式错误：{e}")))
}

/// UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, otherwise GB18030.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[&str] = &["姓名", "身份证号", "学时"];

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
        let Err(AppError::Invalid(errors)) =
            read("姓名,学时\n张三,8\n".as_bytes(), COLUMNS, &COLUMNS[..2])
        else {
            panic!("expected an error")
        };
        assert!(errors[0].message.contains("身份证号"));
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
}
