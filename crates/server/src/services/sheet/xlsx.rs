//! XLSX, read cell by cell. calamine's `worksheet_range` allocates the sheet's declared extent
//! up front (a 1.5 KB file can declare 2^34 cells), and its shared-string table reserves the
//! count the file claims: both are checked here before calamine sees the file.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::time::Instant;

use calamine::{DataRef, Reader, Xlsx};

use super::{Limits, MAX_COLUMNS, MAX_ROWS, MAX_UNPACKED_BYTES, RawRow, too_long, too_wide};
use crate::error::{AppError, AppResult};

/// Parts in one workbook: a real one has a few dozen.
const MAX_PARTS: usize = 1_000;
/// Distinct strings a workbook may declare: the cap's cells could not hold more in practice.
const MAX_SHARED_STRINGS: usize = 1_000_000;

fn unreadable() -> AppError {
    AppError::invalid("file", "无法读取该 Excel 文件，请另存为 .xlsx 后重试")
}

fn too_big() -> AppError {
    AppError::invalid(
        "file",
        format!(
            "Excel 文件解压后超过{}MB，请删除无关的工作表和内容后重试",
            MAX_UNPACKED_BYTES / (1024 * 1024)
        ),
    )
}

/// The first sheet's non-empty rows, in row order.
pub(super) fn rows(bytes: &[u8], deadline: Instant) -> AppResult<Vec<RawRow>> {
    let mut limits = Limits::new(deadline);
    check_archive(bytes, &mut limits)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| AppError::invalid("file", "Excel 文件中没有工作表"))?;
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|_| unreadable())?;
    // The sheet's own statement of its extent: refused before a cell is read.
    let declared = cells.dimensions();
    if declared.end.1 as usize >= MAX_COLUMNS {
        return Err(too_wide());
    }
    if (declared.end.0 as usize).saturating_sub(declared.start.0 as usize) > MAX_ROWS {
        return Err(too_long());
    }
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(|_| unreadable())? {
        let (r, c) = cell.get_position();
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            limits.tick()?;
            continue;
        }
        limits.cell(r as usize + 1, c as usize, &text)?;
        let row = match rows.entry(r) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                limits.row()?;
                e.insert(Vec::new())
            }
        };
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = text;
    }
    Ok(rows
        .into_iter()
        .map(|(r, cells)| (r as usize + 1, cells))
        .collect())
}

/// Unpacks every part into nothing, counting: the whole archive within the cap (declared
/// sizes first, then the bytes that really come out), and a shared-string table that declares
/// no more strings than [`MAX_SHARED_STRINGS`].
fn check_archive(bytes: &[u8], limits: &mut Limits) -> AppResult<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    if zip.len() > MAX_PARTS {
        return Err(unreadable());
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|_| unreadable())?;
        declared = declared.saturating_add(part.size());
    }
    if declared > MAX_UNPACKED_BYTES {
        return Err(too_big());
    }
    let mut left = MAX_UNPACKED_BYTES;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|_| unreadable())?;
        let shared = part
            .name()
            .is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        if shared {
            check_shared_strings(&mut part, left)?;
            drop(part);
            part = zip.by_index(i).map_err(|_| unreadable())?;
        }
        loop {
            limits.tick()?;
            let n = part.read(&mut buf).map_err(|_| unreadable())?;
            if n == 0 {
                break;
            }
            left = left.checked_sub(n as u64).ok_or_else(too_big)?;
        }
    }
    Ok(())
}

/// calamine reserves the table's declared `uniqueCount` before reading a string.
fn check_shared_strings(part: &mut impl Read, limit: u64) -> AppResult<()> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part.take(limit)));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "sst" => {
                let declared = e
                    .try_get_attribute("uniqueCount")
                    .map_err(|_| unreadable())?
                    .map(|a| a.value.trim().parse::<u64>().unwrap_or(u64::MAX))
                    .unwrap_or(0);
                if declared > MAX_SHARED_STRINGS as u64 {
                    return Err(AppError::invalid(
                        "file",
                        format!("Excel 文件中的文本超过{MAX_SHARED_STRINGS}项，请分成多个文件上传"),
                    ));
                }
                return Ok(());
            }
            // Anything before the table's root, or a table without one: calamine finds none
            // either and reserves nothing.
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(unreadable()),
        }
    }
}

/// A cell as the user sees it; whole numbers without a trailing `.0`.
fn cell_text(cell: &DataRef) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => format!("{f}"),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        other => calamine::Data::from(other.clone()).to_string(),
    }
}
