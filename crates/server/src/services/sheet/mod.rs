//! Reading the spreadsheets users already have: XLSX (calamine) and CSV in UTF-8 (with or
//! without BOM) or GB18030, as Excel on Chinese Windows saves it. Rows are numbered as Excel
//! shows them.
//!
//! Every file is hostile until read: rows, columns, cell length and (for XLSX) the unpacked
//! size are capped, checked from the file's own metadata first and again while streaming, so
//! memory follows the cells actually present, never a declared extent; the reading runs off the
//! async threads, a few at a time, within a time limit.

mod csv_rows;
mod xlsx;

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Data rows a file may hold, its header row aside (API.md).
pub const MAX_ROWS: usize = 100_000;
/// Columns a file may use (API.md).
pub const MAX_COLUMNS: usize = 50;
/// What an XLSX may unpack to, all its parts together (API.md).
pub const MAX_UNPACKED_BYTES: u64 = 100 * 1024 * 1024;
/// Characters in one cell: names, ID numbers and hours are far shorter.
pub const MAX_CELL_CHARS: usize = 1_000;
/// Wall time for reading one file; a legitimate 100,000-row file takes a fraction of it.
pub const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Files read at once: each may hold up to the unpacked cap in memory.
const CONCURRENT_READS: usize = 2;

static READS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(CONCURRENT_READS));

/// A data row: its Excel row number and its cells, as text, in the order of `columns`.
pub struct SheetRow {
    pub row: usize,
    pub cells: Vec<String>,
}

/// A row as read from the file: its Excel row number and its cells by column index.
type RawRow = (usize, Vec<String>);

/// [`read`] for an upload: on a blocking thread, at most [`CONCURRENT_READS`] at once, so a
/// burst of large files neither stalls the async workers nor multiplies the memory they take.
pub async fn read_upload(
    bytes: Bytes,
    columns: &'static [&'static str],
    required: &'static [&'static str],
) -> AppResult<Vec<SheetRow>> {
    let _permit = READS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    tokio::task::spawn_blocking(move || read(&bytes, columns, required))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
}

/// Reads `bytes` (XLSX or CSV, decided by content) and picks `columns` by header name.
pub fn read(bytes: &[u8], columns: &[&str], required: &[&str]) -> AppResult<Vec<SheetRow>> {
    let deadline = Instant::now() + TIME_LIMIT;
    let table = if bytes.starts_with(b"PK\x03\x04") {
        xlsx::rows(bytes, deadline)?
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(AppError::invalid(
            "file",
            "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 后重试",
        ));
    } else {
        csv_rows::rows(bytes, deadline)?
    };
    pick_columns(table, columns, required)
}

/// The first row is the header; the rest become [`SheetRow`]s holding `columns` in order.
fn pick_columns(
    table: Vec<RawRow>,
    columns: &[&str],
    required: &[&str],
) -> AppResult<Vec<SheetRow>> {
    let mut rows = table.into_iter();
    let (_, header) = rows
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
        .map(|(row, cells)| SheetRow {
            row,
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

/// The caps, checked the same way by both readers. `row` is the Excel row number (1-based),
/// `col` the column index (0-based).
struct Limits {
    deadline: Instant,
    rows: usize,
    steps: u32,
}

impl Limits {
    fn new(deadline: Instant) -> Limits {
        Limits {
            deadline,
            rows: 0,
            steps: 0,
        }
    }

    /// Counts a row that holds something: the header and at most [`MAX_ROWS`] more.
    fn row(&mut self) -> AppResult<()> {
        self.rows += 1;
        if self.rows > MAX_ROWS + 1 {
            return Err(too_long());
        }
        Ok(())
    }

    /// Checks one non-empty cell before it is kept.
    fn cell(&mut self, row: usize, col: usize, text: &str) -> AppResult<()> {
        self.tick()?;
        if col >= MAX_COLUMNS {
            return Err(too_wide());
        }
        if text.chars().nth(MAX_CELL_CHARS).is_some() {
            return Err(AppError::invalid(
                "file",
                format!("第{row}行第{}列的内容超过{MAX_CELL_CHARS}个字符", col + 1),
            ));
        }
        Ok(())
    }

    /// Counts a unit of work and checks the clock now and then.
    fn tick(&mut self) -> AppResult<()> {
        self.steps = self.steps.wrapping_add(1);
        if self.steps.is_multiple_of(1024) && Instant::now() > self.deadline {
            return Err(AppError::invalid(
                "file",
                format!(
                    "文件处理超时（超过{}秒），请分成多个较小的文件上传",
                    TIME_LIMIT.as_secs()
                ),
            ));
        }
        Ok(())
    }
}

fn too_wide() -> AppError {
    AppError::invalid(
        "file",
        format!("文件超过{MAX_COLUMNS}列，请只保留模板中的列后重试"),
    )
}

fn too_long() -> AppError {
    AppError::invalid(
        "file",
        format!("文件超过{MAX_ROWS}行数据（不含表头），请分成多个文件上传"),
    )
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
mod tests;
