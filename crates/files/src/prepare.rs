//! An upload made ready to store: its kind judged by parsing, images within the pixel cap and
//! without their metadata, PDFs without active content, and both hashes.

use crate::{EvidenceKind, FileError, MAX_EVIDENCE_BYTES, jpeg, pdf, png, sha256_hex, sniff};

/// Pixels an evidence image may have: a 40-megapixel camera, or an A3 page at 600 dpi.
pub const MAX_PIXELS: u64 = 40_000_000;

/// What is stored for an upload.
#[derive(Debug)]
pub struct Prepared {
    pub kind: EvidenceKind,
    /// The bytes to store and serve (for images, without metadata).
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`.
    pub sha256: String,
    /// SHA-256 of the upload as it came, for the identical-file checks.
    pub original_sha256: String,
}

/// Checks and cleans an upload. CPU work (a pass over the file and two hashes): call it from
/// a blocking thread in async code.
pub fn prepare_evidence(upload: &[u8]) -> Result<Prepared, FileError> {
    if upload.is_empty() {
        return Err(FileError::Unsupported("文件是空的，请重新选择".into()));
    }
    if upload.len() > MAX_EVIDENCE_BYTES {
        return Err(FileError::Refused(format!(
            "文件超过{}MB",
            MAX_EVIDENCE_BYTES / (1024 * 1024)
        )));
    }
    let kind = sniff(upload)
        .ok_or_else(|| FileError::Unsupported("证明材料只能是 JPEG、PNG 图片或 PDF 文件".into()))?;
    let bytes = match kind {
        EvidenceKind::Jpeg => {
            let clean = jpeg::strip(upload)?;
            check_pixels(clean.width, clean.height)?;
            clean.bytes
        }
        EvidenceKind::Png => {
            let clean = png::strip(upload)?;
            check_pixels(clean.width, clean.height)?;
            clean.bytes
        }
        EvidenceKind::Pdf => {
            pdf::check(upload)?;
            upload.to_vec()
        }
    };
    Ok(Prepared {
        kind,
        sha256: sha256_hex(&bytes),
        original_sha256: sha256_hex(upload),
        bytes,
    })
}

fn check_pixels(width: u32, height: u32) -> Result<(), FileError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(FileError::Refused(format!(
            "图片为 {width}×{height} 像素，超过{}万像素的上限，请缩小后上传",
            MAX_PIXELS / 10_000
        )));
    }
    Ok(())
}
