//! Evidence files: content checks (parsing, size and pixel bounds, metadata removal, hashes)
//! and one file store over local disk or S3-compatible object storage.
//!
//! Uploads are judged by their bytes, never by their name or declared type, stored without
//! their metadata ([`prepare_evidence`]) and content-addressed ([`evidence_key`]) so
//! identical files are kept once.

mod check;
mod error;
mod jpeg;
mod ocr;
mod pdf;
mod phash;
mod png;
mod prepare;
mod quality;
mod store;

pub use check::{EvidenceKind, MAX_EVIDENCE_BYTES, sha256_hex, sniff};
pub use error::FileError;
pub use ocr::{ReadError, Reader};
pub use pdf::MAX_PDF_PAGES;
pub use phash::{hash_distance, perceptual_hash};
pub use prepare::{MAX_PIXELS, Prepared, prepare_evidence};
pub use quality::{PhotoProblem, PhotoQuality, photo_quality};
pub use store::{FileStore, S3Config, copy_all, evidence_key};
