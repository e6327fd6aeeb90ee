//! Downloads: spreadsheets with Chinese headers for every report, and the provincial export
//! (广东省专业技术人员继续教育系统) of a verified year — full ID numbers, every download
//! audited. Spreadsheets are written in constant-memory mode on a blocking thread, and the
//! provincial rows arrive from the database in pages, so a city-sized file stays cheap.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use xueshi_domain::Hours;
use xueshi_domain::authz::{self, Action};
use xueshi_store::Db;
use xueshi_store::repo::exports::{self, ProvincialRow};
use xueshi_store::repo::reports::Reach;

use super::{Ctx, Place, record};
use crate::error::{AppError, AppResult};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// A file to hand to the user.
pub struct Download {
    /// An ASCII name for old clients.
    pub filename: String,
    /// The name people see.
    pub chinese_name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    #[default]
    Csv,
    Xlsx,
}

/// One cell of a report table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Hours(Hours),
    Count(i64),
    /// A fraction shown as a percentage.
    Rate(f64),
}

/// A worksheet's rows, made one at a time as they are written.
pub type Rows = Box<dyn Iterator<Item = Vec<Cell>> + Send>;

/// One worksheet: its name, header row and rows.
pub struct Table {
    pub name: String,
    pub header: Vec<&'static str>,
    pub rows: Rows,
}

impl Table {
    pub fn new(name: impl Into<String>, header: Vec<&'static str>, rows: Vec<Vec<Cell>>) -> Table {
        Table {
            name: name.into(),
            header,
            rows: Box::new(rows.into_iter()),
        }
    }
}

fn sheet_setup(sheet: &mut Worksheet, name: &str, header: &[&str]) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let bold = Format::new().set_bold();
    for (col, title) in header.iter().enumerate() {
        let width = (title.chars().count() * 2 + 4).max(12) as f64;
        sheet.set_column_width(col as u16, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (col, title) in header.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    Ok(())
}

fn write_cell(sheet: &mut Worksheet, row: u32, col: u16, cell: &Cell) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => sheet.write_string(row, col, s)?,
        Cell::Hours(h) => sheet.write_number(row, col, h.to_f64())?,
        Cell::Count(n) => sheet.write_number(row, col, *n as f64)?,
        Cell::Rate(r) => {
            sheet.write_number_with_format(row, col, *r, &Format::new().set_num_format("0.00%"))?
        }
    };
    Ok(())
}

fn build(tables: Vec<Table>) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    for table in tables {
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet_setup(sheet, &table.name, &table.header)?;
        for (i, row) in table.rows.enumerate() {
            for (col, cell) in row.iter().enumerate() {
                write_cell(sheet, i as u32 + 1, col as u16, cell)?;
            }
        }
    }
    book.save_to_buffer()
}

fn xlsx_failed(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing a spreadsheet: {e}"))
}

/// Writes the tables as one workbook, one worksheet each, off the async threads.
pub async fn xlsx(tables: Vec<Table>) -> AppResult<Vec<u8>> {
    tokio::task::spawn_blocking(move || build(tables))
        .await
        .map_err(xlsx_failed)?
        .map_err(xlsx_failed)
}

/// The provincial layout's columns, exactly (API.md).
pub const PROVINCIAL_COLUMNS: [&str; 9] = [
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

const PAGE: i64 = 5000;

fn yes_no(passed: bool) -> &'static str {
    if passed { "是" } else { "否" }
}

/// Collects rows from `pages` into a CSV (UTF-8 with BOM) or XLSX file.
fn write_provincial(
    format: FileFormat,
    year: i32,
    mut pages: mpsc::Receiver<Vec<ProvincialRow>>,
) -> Result<Vec<u8>, String> {
    match format {
        FileFormat::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(PROVINCIAL_COLUMNS)
                    .map_err(|e| e.to_string())?;
                while let Some(page) = pages.blocking_recv() {
                    for r in page {
                        let hours =
                            [r.public, r.professional, r.elective, r.total].map(|h| h.to_string());
                        w.write_record([
                            r.name.as_str(),
                            &r.id_number,
                            &r.school_name,
                            &year.to_string(),
                            &hours[0],
                            &hours[1],
                            &hours[2],
                            &hours[3],
                            yes_no(r.passed),
                        ])
                        .map_err(|e| e.to_string())?;
                    }
                }
                w.flush().map_err(|e| e.to_string())?;
            }
            Ok(out)
        }
        FileFormat::Xlsx => {
            let mut book = Workbook::new();
            let sheet = book
                .add_worksheet_with_constant_memory()
                .map_err(|e| e.to_string())?;
            sheet_setup(sheet, &format!("{year}年度学时"), &PROVINCIAL_COLUMNS)
                .map_err(|e| e.to_string())?;
            let mut row = 1u32;
            while let Some(page) = pages.blocking_recv() {
                for r in page {
                    let cells = [
                        Cell::Text(r.name),
                        Cell::Text(r.id_number),
                        Cell::Text(r.school_name),
                        Cell::Count(year as i64),
                        Cell::Hours(r.public),
                        Cell::Hours(r.professional),
                        Cell::Hours(r.elective),
                        Cell::Hours(r.total),
                        Cell::Text(yes_no(r.passed).into()),
                    ];
                    for (col, cell) in cells.iter().enumerate() {
                        write_cell(sheet, row, col as u16, cell).map_err(|e| e.to_string())?;
                    }
                    row += 1;
                }
            }
            book.save_to_buffer().map_err(|e| e.to_string())
        }
    }
}

/// The provincial export of a verified year: the city for all, a district for its own
/// schools; 409 when the year has no results yet. Audited as `export.provincial`. Also
/// answers how many rows the file holds.
pub async fn provincial(
    db: &Db,
    ctx: &Ctx,
    year: i32,
    format: FileFormat,
) -> AppResult<(Download, usize)> {
    ctx.require(Action::ExportProvincial)?;
    let scope = authz::scope(&ctx.actor);
    let reach = Reach {
        scope: &scope,
        district_id: None,
        school_id: None,
    };
    let mut c = db.pool().acquire().await?;
    if !xueshi_store::repo::verification::has_results(&mut c, year).await? {
        return Err(AppError::Conflict(format!(
            "{year}年度尚未进行年度验证，验证后才能导出省平台数据"
        )));
    }
    let (tx, rx) = mpsc::channel(2);
    let writer = tokio::task::spawn_blocking(move || write_provincial(format, year, rx));
    let mut rows = 0usize;
    let mut after: Option<(String, String)> = None;
    loop {
        let key = after.as_ref().map(|(s, t)| (s.as_str(), t.as_str()));
        let page = exports::provincial(&mut c, db.vault(), year, &reach, key, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.school_id.clone(), last.teacher_id.clone()));
        rows += page.len();
        let full = page.len() as i64 == PAGE;
        if tx.send(page).await.is_err() || !full {
            break;
        }
    }
    drop(tx);
    drop(c);
    let bytes = writer.await.map_err(xlsx_failed)?.map_err(xlsx_failed)?;

    let place = match &scope {
        authz::Scope::District(d) => Place {
            district_id: Some(d.clone()),
            school_id: None,
        },
        _ => Place::nowhere(),
    };
    let (ext, content_type) = match format {
        FileFormat::Csv => ("csv", CSV),
        FileFormat::Xlsx => ("xlsx", XLSX),
    };
    let mut tx = db.begin().await?;
    let detail = json!({ "year": year, "format": ext, "rows": rows });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "export.provincial",
        ("export", &year.to_string()),
        &place,
        detail,
    )
    .await?;
    tx.commit().await?;
    let download = Download {
        filename: format!("provincial-{year}.{ext}"),
        chinese_name: format!("{year}年度继续教育学时_省平台导出.{ext}"),
        content_type,
        bytes,
    };
    Ok((download, rows))
}
