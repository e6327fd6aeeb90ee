//! CSV in UTF-8 or GB18030, record by record under the same caps as XLSX.

use std::time::Instant;

use super::{Limits, RawRow, decode};
use crate::error::{AppError, AppResult};

/// Commas on one line: far beyond the column cap, so only a hostile file meets it.
const MAX_SEPARATORS: usize = 10_000;

/// The file's non-empty records, numbered as Excel shows them.
pub(super) fn rows(bytes: &[u8], deadline: Instant) -> AppResult<Vec<RawRow>> {
    let mut limits = Limits::new(deadline);
    // The reader keeps one offset per field of a record: a line of millions of commas would
    // cost eight bytes each before any cap could look at it.
    if bytes
        .split(|b| *b == b'\n')
        .any(|line| line.iter().filter(|b| **b == b',').count() > MAX_SEPARATORS)
    {
        return Err(super::too_wide());
    }
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader
            .read_record(&mut record)
            .map_err(|e| AppError::invalid("file", format!("CSV 文件格式错误：{e}")))?;
        if !more {
            break;
        }
        // Quoted fields may span lines: the record's own line is where Excel shows it.
        let row = record
            .position()
            .map_or(rows.len() + 1, |p| p.line() as usize);
        let mut cells = Vec::with_capacity(record.len().min(super::MAX_COLUMNS));
        for (col, field) in record.iter().enumerate() {
            if !field.trim().is_empty() {
                limits.cell(row, col, field)?;
            }
            if col < super::MAX_COLUMNS {
                cells.push(field.to_owned());
            }
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            limits.tick()?;
            continue;
        }
        limits.row()?;
        rows.push((row, cells));
    }
    Ok(rows)
}
