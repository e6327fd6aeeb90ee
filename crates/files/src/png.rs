//! PNG metadata removal by chunk (img-parts): the critical chunks and transparency stay,
//! every other ancillary chunk goes (text, EXIF, ICC profiles, times, APNG frames), and so
//! does anything after IEND.

use img_parts::Bytes;
use img_parts::png::Png;

use crate::FileError;

/// Chunks a decoder needs for the picture people see.
const KEPT: [&[u8; 4]; 5] = [b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS"];

pub struct CleanPng {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn broken() -> FileError {
    FileError::Unsupported("PNG 图片已损坏或不完整，请重新导出后上传".into())
}

/// Chunks in one file: a scan has a few hundred at most (IDAT is split every 8–64 KB).
const MAX_CHUNKS: usize = 10_000;

pub fn strip(input: &[u8]) -> Result<CleanPng, FileError> {
    // img-parts keeps a record per chunk: count them first, by their length fields.
    let mut pos = 8;
    let mut chunks = 0;
    while pos + 8 <= input.len() {
        let len = u32::from_be_bytes(input[pos..pos + 4].try_into().expect("four bytes"));
        pos = pos.saturating_add(12).saturating_add(len as usize);
        chunks += 1;
        if chunks > MAX_CHUNKS {
            return Err(broken());
        }
    }
    let mut png = Png::from_bytes(Bytes::copy_from_slice(input)).map_err(|_| broken())?;
    let (width, height) = png.dimensions().ok_or_else(broken)?;
    let chunks = png.chunks_mut();
    if chunks.first().map(|c| c.kind()) != Some(*b"IHDR")
        || chunks.last().map(|c| c.kind()) != Some(*b"IEND")
        || !chunks.iter().any(|c| c.kind() == *b"IDAT")
    {
        return Err(broken());
    }
    chunks.retain(|c| KEPT.contains(&&c.kind()));
    if width == 0 || height == 0 {
        return Err(broken());
    }
    Ok(CleanPng {
        bytes: png.encoder().bytes().to_vec(),
        width,
        height,
    })
}
