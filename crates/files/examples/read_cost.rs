//! What reading a certificate costs (issue 19): Tesseract's OCR of a photo and a PDF's text
//! layer through `Reader`, and the photo's quality measure, each the median of `N` runs on one
//! core (the reader's subprocesses run with one thread).
//! Run: `cargo run --release -p xueshi-files --example read_cost [N]` (docs/benchmarks.md).

use std::time::{Duration, Instant};

use xueshi_files::{EvidenceKind, Reader, photo_quality};

const PNG: &[u8] = include_bytes!("../tests/fixtures/certificate.png");
const PDF: &[u8] = include_bytes!("../tests/fixtures/certificate.pdf");

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    let reader = Reader::detect(Duration::from_secs(60))
        .await
        .expect("tesseract with chi_sim is installed");
    let photo = image::load_from_memory(PNG).unwrap();
    // A phone's photo of the page: twice the rendering's size, as a JPEG.
    let mut jpeg = Vec::new();
    photo
        .resize(1960, 1280, image::imageops::FilterType::Triangle)
        .to_rgb8()
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut jpeg, 85,
        ))
        .unwrap();
    for (name, bytes, kind) in [
        ("PNG 980×640", PNG, EvidenceKind::Png),
        ("JPEG 1960×1280", jpeg.as_slice(), EvidenceKind::Jpeg),
        ("PDF with text", PDF, EvidenceKind::Pdf),
    ] {
        let mut read = Vec::new();
        let mut measured = Vec::new();
        for _ in 0..n {
            let started = Instant::now();
            let text = reader.read(bytes, kind).await.unwrap();
            read.push(started.elapsed());
            assert!(text.contains("学时"), "{text}");
            let started = Instant::now();
            let _ = photo_quality(bytes, kind);
            measured.push(started.elapsed());
        }
        println!(
            "{name}: read {:.3} s, quality {:.3} s (median of {n})",
            median(read),
            median(measured)
        );
    }
}
