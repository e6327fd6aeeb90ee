//! Hostile and broken uploads: refused with a Chinese reason, or stored without metadata.
//! The fixtures come from scripts/fixtures/hostile.py.

use proptest::prelude::*;
use xueshi_files::{EvidenceKind, FileError, Prepared, prepare_evidence, sha256_hex};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/hostile/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn unsupported(bytes: &[u8]) -> String {
    match prepare_evidence(bytes) {
        Err(FileError::Unsupported(m)) => m,
        other => panic!("expected 415, got {other:?}"),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn prepared(bytes: &[u8]) -> Prepared {
    prepare_evidence(bytes).unwrap()
}

#[test]
fn a_photo_is_stored_without_gps_xmp_or_comments_and_keeps_its_orientation() {
    let upload = fixture("gps-comment.jpg");
    assert!(contains(&upload, b"<script>") && contains(&upload, b"xmpmeta"));
    let p = prepared(&upload);
    assert_eq!(p.kind, EvidenceKind::Jpeg);
    for hidden in [&b"<script>"[..], b"xmpmeta", b"8BIM", b"Photoshop"] {
        assert!(
            !contains(&p.bytes, hidden),
            "{}",
            String::from_utf8_lossy(hidden)
        );
    }
    // The GPS IFD pointer (tag 0x8825) and the latitude reference are gone.
    assert!(!contains(&p.bytes, &[0x88, 0x25]));
    assert!(!contains(&p.bytes, b"N\0\0\0"));
    assert_eq!(p.original_sha256, sha256_hex(&upload));
    assert_eq!(p.sha256, sha256_hex(&p.bytes));
    assert_ne!(p.sha256, p.original_sha256);
    // Orientation 6 (rotate 90°) is the only EXIF field left, and the picture still decodes
    // to the same pixels.
    let exif = image::metadata::Orientation::from_exif_chunk(
        &p.bytes[p.bytes.windows(6).position(|w| w == b"Exif\0\0").unwrap() + 6..],
    );
    assert_eq!(exif, Some(image::metadata::Orientation::Rotate90));
    let before = image::load_from_memory(&upload).unwrap().to_rgb8();
    let after = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
    assert_eq!(before.as_raw(), after.as_raw());
}

#[test]
fn a_photo_without_metadata_is_stored_the_same_twice() {
    let once = prepared(&fixture("gps-comment.jpg"));
    let twice = prepared(&once.bytes);
    assert_eq!(once.bytes, twice.bytes);
}

#[test]
fn bytes_after_the_end_of_the_picture_are_dropped() {
    let mut upload = prepared(&fixture("gps-comment.jpg")).bytes;
    let clean_len = upload.len();
    upload.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let p = prepared(&upload);
    assert_eq!(p.bytes.len(), clean_len);
}

#[test]
fn a_png_loses_its_text_chunks() {
    let upload = fixture("text-chunks.png");
    assert!(contains(&upload, b"tEXt"));
    let p = prepared(&upload);
    assert_eq!(p.kind, EvidenceKind::Png);
    assert!(!contains(&p.bytes, b"tEXt") && !contains(&p.bytes, b"<script>"));
    let before = image::load_from_memory(&upload).unwrap().to_rgb8();
    let after = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
    assert_eq!(before.as_raw(), after.as_raw());
}

#[test]
fn a_picture_over_forty_megapixels_is_refused_from_its_header() {
    match prepare_evidence(&fixture("pixel-bomb.png")) {
        Err(FileError::Refused(m)) => {
            assert!(m.contains("11990×11990") && m.contains("4000万像素"), "{m}")
        }
        other => panic!("expected 422, got {other:?}"),
    }
}

#[test]
fn html_with_pdf_magic_is_not_a_pdf() {
    assert!(unsupported(&fixture("html-with-pdf-magic.pdf")).contains("不是有效的 PDF"));
}

#[test]
fn pdfs_with_active_content_are_refused_with_the_reason() {
    assert!(unsupported(&fixture("javascript.pdf")).contains("JavaScript"));
    assert!(unsupported(&fixture("embedded-file.pdf")).contains("嵌入的文件"));
    assert!(unsupported(&fixture("launch.pdf")).contains("启动外部程序"));
}

#[test]
fn a_plain_pdf_is_stored_as_it_came() {
    let upload = fixture("plain.pdf");
    let p = prepared(&upload);
    assert_eq!(p.kind, EvidenceKind::Pdf);
    assert_eq!(p.bytes, upload);
    assert_eq!(p.sha256, p.original_sha256);
}

#[test]
fn truncated_and_empty_files_are_refused() {
    let photo = fixture("gps-comment.jpg");
    assert!(unsupported(&photo[..photo.len() / 2]).contains("不完整"));
    let png = fixture("text-chunks.png");
    assert!(unsupported(&png[..png.len() - 20]).contains("不完整"));
    assert!(unsupported(&[]).contains("空"));
    assert!(unsupported(b"just some text").contains("JPEG"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes behind each accepted signature never panic, and whatever is accepted
    /// is no larger than what came in (plus the fixed headers written).
    #[test]
    fn arbitrary_files_never_panic(kind in 0..3usize, body in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut upload = match kind {
            0 => vec![0xFF, 0xD8, 0xFF],
            1 => b"\x89PNG\r\n\x1a\n".to_vec(),
            _ => b"%PDF-1.4\n".to_vec(),
        };
        upload.extend_from_slice(&body);
        if let Ok(p) = prepare_evidence(&upload) {
            prop_assert!(p.bytes.len() <= upload.len() + 64);
        }
    }

    /// Corrupting a real photo anywhere never panics.
    #[test]
    fn corrupted_photos_never_panic(at in 0usize..20_000, value in any::<u8>(), cut in 0usize..20_775) {
        let mut photo = fixture("gps-comment.jpg");
        let at = at % photo.len();
        photo[at] = value;
        photo.truncate(cut.max(4));
        let _ = prepare_evidence(&photo);
    }
}
