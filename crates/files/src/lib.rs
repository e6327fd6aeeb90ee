//! Evidence files: content checks (type sniffing, size bound, hashes) and one file store
//! over local disk or S3-compatible object storage.
//!
//! Uploads are judged by their bytes, never by their name or declared type, and stored
//! content-addressed ([`evidence_key`]) so identical files are kept once.

mod check;
mod error;
mod phash;
mod store;

pub use check::{EvidenceKind, MAX_EVIDENCE_BYTES, check_evidence, sha256_hex, sniff};
pub use error::FileError;
pub use phash::{hash_distance, perceptual_hash};
pub use store::{FileStore, S3Config, copy_all, evidence_key};
