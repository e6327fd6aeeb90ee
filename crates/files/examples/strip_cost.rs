//! What metadata removal costs per upload, against the alternative of re-encoding.
//! Run: `cargo run --release -p xueshi-files --example strip_cost` (docs/benchmarks.md).
//!
//! The photo is a 300 KB-class JPEG like the load test's scan (a 1600 × 1200 page with
//! noise, quality 85), carrying a real EXIF block with GPS; each figure is the median of 200 runs.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{ImageFormat, Rgb, RgbImage};

fn scan() -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let page = RgbImage::from_fn(1600, 1200, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let ink = (x / 40 + y / 24) % 7 == 0;
        let base = if ink { 60 } else { 220 };
        let n = (seed % 24) as u8;
        Rgb([base + n, base + n / 2, base + n / 3])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 85)
        .encode_image(&page)
        .unwrap();
    // The fixture's EXIF (orientation and GPS) and comment, spliced in after SOI.
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/hostile/gps-comment.jpg"
    ))
    .unwrap();
    let app1 = photo.windows(2).position(|w| w == [0xFF, 0xE1]).unwrap();
    let len = u16::from_be_bytes([photo[app1 + 2], photo[app1 + 3]]) as usize;
    [&plain[..2], &photo[app1..app1 + 2 + len], &plain[2..]].concat()
}

fn median(mut f: impl FnMut()) -> Duration {
    let mut runs: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let photo = scan();
    println!("photo: {} KB", photo.len() / 1024);
    let strip = median(|| {
        let p = xueshi_files::prepare_evidence(&photo).unwrap();
        assert!(p.bytes.len() < photo.len());
    });
    let hashes_only = median(|| {
        let _ = xueshi_files::sha256_hex(&photo);
        let _ = xueshi_files::sha256_hex(&photo);
    });
    let reencode = median(|| {
        let picture = image::load_from_memory(&photo).unwrap();
        let mut out = Cursor::new(Vec::new());
        picture.write_to(&mut out, ImageFormat::Jpeg).unwrap();
    });
    println!("prepare_evidence (walk + strip + two SHA-256): {strip:?}");
    println!("  of which the two SHA-256 alone:               {hashes_only:?}");
    println!("re-encoding instead (decode + encode):          {reencode:?}");
}
