//! JPEG metadata removal by segment, without touching the compressed picture.
//!
//! A marker walk rather than img-parts: img-parts keeps everything after the first scan
//! verbatim, and that is where metadata also hides (comments and APPn segments between the
//! scans of a progressive JPEG, vendor trailers after EOI carrying location or a whole second
//! picture). Here every segment of the file is looked at; what is written is SOI, a clean JFIF
//! header, the EXIF orientation as the only EXIF field, the coding segments and the scans, and
//! EOI, and nothing after it.

use crate::FileError;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

/// What the walk found: the clean file and the picture's size from its frame header.
pub struct CleanJpeg {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn broken() -> FileError {
    FileError::Unsupported("JPEG 图片已损坏或不完整，请重新拍照或导出后上传".into())
}

/// SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC): the frame header with the size.
fn is_frame_header(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// The segments a decoder reads: frame headers, Huffman and arithmetic tables, quantisation
/// tables, restart interval, line count, hierarchical headers.
fn is_coding(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF | 0xDB..=0xDF)
}

/// Segments with no length field: RSTn, TEM.
fn is_standalone(marker: u8) -> bool {
    matches!(marker, 0xD0..=0xD7 | 0x01)
}

/// Removes every metadata segment of `input` (see the module comment).
pub fn strip(input: &[u8]) -> Result<CleanJpeg, FileError> {
    if input.len() < 4 || input[0] != 0xFF || input[1] != SOI {
        return Err(broken());
    }
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&[0xFF, SOI]);
    let mut jfif: Option<[u8; 7]> = None;
    let mut orientation: Option<u8> = None;
    let mut size: Option<(u32, u32)> = None;
    let mut kept: Vec<u8> = Vec::new();
    let mut pos = 2;
    let mut scans = 0;
    loop {
        let marker = next_marker(input, &mut pos)?;
        if marker == EOI {
            break;
        }
        if is_standalone(marker) {
            kept.extend_from_slice(&[0xFF, marker]);
            continue;
        }
        let len = usize::from(u16::from_be_bytes([
            *input.get(pos).ok_or_else(broken)?,
            *input.get(pos + 1).ok_or_else(broken)?,
        ]));
        if len < 2 {
            return Err(broken());
        }
        let body = input.get(pos + 2..pos + len).ok_or_else(broken)?;
        let segment = &input[pos - 2..pos + len];
        pos += len;
        match marker {
            APP0 if body.starts_with(b"JFIF\0") && body.len() >= 14 && jfif.is_none() => {
                // Version, units and density; any embedded thumbnail is another picture.
                jfif = Some(body[5..12].try_into().expect("seven bytes"));
            }
            APP1 if body.starts_with(b"Exif\0\0") => {
                orientation = orientation.or_else(|| {
                    image::metadata::Orientation::from_exif_chunk(&body[6..])
                        .map(image::metadata::Orientation::to_exif)
                });
            }
            // The Adobe header says how the colours are coded (fixed fields, no text): without
            // it a CMYK scan decodes in the wrong colours.
            APP14 if body.len() == 12 && body.starts_with(b"Adobe") => {
                kept.extend_from_slice(segment)
            }
            0xE0..=0xEF | COM => {}
            SOS => {
                if size.is_none() {
                    return Err(broken());
                }
                kept.extend_from_slice(segment);
                let start = pos;
                pos = scan_end(input, pos)?;
                kept.extend_from_slice(&input[start..pos]);
                scans += 1;
            }
            _ if is_coding(marker) => {
                if is_frame_header(marker) {
                    if size.is_some() || body.len() < 6 {
                        return Err(broken());
                    }
                    let height = u32::from(u16::from_be_bytes([body[1], body[2]]));
                    let width = u32::from(u16::from_be_bytes([body[3], body[4]]));
                    // Height 0 defers it to a later DNL segment: no camera writes that.
                    if width == 0 || height == 0 {
                        return Err(broken());
                    }
                    size = Some((width, height));
                }
                kept.extend_from_slice(segment);
            }
            // Reserved and extension markers: no decoder needs them, text could hide there.
            _ => {}
        }
    }
    let (Some((width, height)), true) = (size, scans > 0) else {
        return Err(broken());
    };
    // JFIF: version, units and density as found (or 1.01, no units, 1:1), a 0 × 0 thumbnail.
    let header = jfif.unwrap_or([1, 1, 0, 0, 1, 0, 1]);
    push_segment(
        &mut out,
        APP0,
        &[b"JFIF\0".as_slice(), &header, &[0, 0]].concat(),
    );
    if let Some(o) = orientation.filter(|o| *o != 1) {
        push_segment(&mut out, APP1, &orientation_exif(o));
    }
    out.extend_from_slice(&kept);
    out.extend_from_slice(&[0xFF, EOI]);
    Ok(CleanJpeg {
        bytes: out,
        width,
        height,
    })
}

/// The marker at `pos` (fill bytes skipped); `pos` ends after it.
fn next_marker(input: &[u8], pos: &mut usize) -> Result<u8, FileError> {
    if input.get(*pos) != Some(&0xFF) {
        return Err(broken());
    }
    while input.get(*pos) == Some(&0xFF) {
        *pos += 1;
    }
    let marker = *input.get(*pos).ok_or_else(broken)?;
    *pos += 1;
    Ok(marker)
}

/// Where the entropy-coded data starting at `pos` ends: at the first marker that is not a
/// stuffed byte (FF 00) or a restart marker.
fn scan_end(input: &[u8], mut pos: usize) -> Result<usize, FileError> {
    loop {
        let at = pos + memchr_ff(&input[pos..]).ok_or_else(broken)?;
        let mut next = at + 1;
        while input.get(next) == Some(&0xFF) {
            next += 1;
        }
        match input.get(next) {
            None => return Err(broken()),
            Some(0x00) | Some(0xD0..=0xD7) => pos = next + 1,
            Some(_) => return Ok(at),
        }
    }
}

fn memchr_ff(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == 0xFF)
}

fn push_segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// An EXIF block whose only field is the orientation (big-endian TIFF, one IFD entry).
fn orientation_exif(orientation: u8) -> Vec<u8> {
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    exif.extend_from_slice(&[0, 1]); // one entry
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    exif
}
