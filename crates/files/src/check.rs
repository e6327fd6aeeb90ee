use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Largest accepted evidence file: a phone photo or a multi-page scan fits well below this.
pub const MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;

/// The evidence file types accepted, as recognised from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    Jpeg,
    Png,
    Pdf,
}

impl EvidenceKind {
    pub fn content_type(&self) -> &'static str {
        match self {
            EvidenceKind::Jpeg => "image/jpeg",
            EvidenceKind::Png => "image/png",
            EvidenceKind::Pdf => "application/pdf",
        }
    }

    /// File extension without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            EvidenceKind::Jpeg => "jpg",
            EvidenceKind::Png => "png",
            EvidenceKind::Pdf => "pdf",
        }
    }

    pub fn is_image(&self) -> bool {
        matches!(self, EvidenceKind::Jpeg | EvidenceKind::Png)
    }
}

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const PDF_MAGIC: &[u8] = b"%PDF-";
/// PDF readers accept junk before the header within the first KiB, so scanners may emit it.
const PDF_HEADER_WINDOW: usize = 1024;

/// The kind of `bytes`, judged only by magic bytes.
pub fn sniff(bytes: &[u8]) -> Option<EvidenceKind> {
    if bytes.starts_with(JPEG_MAGIC) {
        Some(EvidenceKind::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Some(EvidenceKind::Png)
    } else if bytes[..bytes.len().min(PDF_HEADER_WINDOW)]
        .windows(PDF_MAGIC.len())
        .any(|w| w == PDF_MAGIC)
    {
        Some(EvidenceKind::Pdf)
    } else {
        None
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_bytes() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']),
            Some(EvidenceKind::Jpeg)
        );
        assert_eq!(
            sniff(&[
                0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D
            ]),
            Some(EvidenceKind::Png)
        );
        assert_eq!(
            sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"),
            Some(EvidenceKind::Pdf)
        );
    }

    #[test]
    fn pdf_header_may_follow_junk_within_first_kib() {
        let mut late = vec![b' '; 1000];
        late.extend_from_slice(b"%PDF-1.4");
        assert_eq!(sniff(&late), Some(EvidenceKind::Pdf));

        let mut too_late = vec![b' '; 1024];
        too_late.extend_from_slice(b"%PDF-1.4");
        assert_eq!(sniff(&too_late), None);
    }

    #[test]
    fn text_named_jpg_is_rejected() {
        // A file called "certificate.jpg" whose content is text: the name is never consulted.
        let text = "结业证书 Certificate of completion, 24 hours\n".as_bytes();
        assert_eq!(sniff(text), None);
        assert_eq!(sniff(&[]), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
    }

    #[test]
    fn kind_metadata() {
        assert_eq!(EvidenceKind::Jpeg.content_type(), "image/jpeg");
        assert_eq!(EvidenceKind::Png.content_type(), "image/png");
        assert_eq!(EvidenceKind::Pdf.content_type(), "application/pdf");
        assert_eq!(EvidenceKind::Pdf.extension(), "pdf");
        assert!(!EvidenceKind::Pdf.is_image());
    }

    #[test]
    fn sha256_known_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
