use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use image_hasher::{HasherConfig, ImageHash};

use crate::EvidenceKind;

/// Larger than any phone camera or A3 scan at 600 dpi; larger is treated as hostile.
const MAX_DIMENSION: u32 = 12_000;
/// Decoder allocation cap, checked against the header before pixels are decoded: an RGBA
/// picture at the upload pixel cap, and working room.
const MAX_ALLOC: u64 = 4 * crate::MAX_PIXELS + 16 * 1024 * 1024;

/// A perceptual hash of a JPEG or PNG, as base64, for spotting the same picture re-encoded,
/// resized or slightly edited. `None` for PDFs and for images that cannot be decoded within
/// the limits (decompression bombs included).
///
/// CPU-bound (decode + resize): call it from `spawn_blocking` in async code. Changing the
/// hasher settings below makes stored hashes incomparable with new ones.
pub fn perceptual_hash(bytes: &[u8], kind: EvidenceKind) -> Option<String> {
    let format = match kind {
        EvidenceKind::Jpeg => ImageFormat::Jpeg,
        EvidenceKind::Png => ImageFormat::Png,
        EvidenceKind::Pdf => return None,
    };
    // Uploads are hostile input: a decoder panic must not take the request down with it.
    let image = std::panic::catch_unwind(|| decode(bytes, format)).ok()??;
    let hash = HasherConfig::new().to_hasher().hash_image(&image);
    Some(hash.to_base64())
}

pub(crate) fn decode(bytes: &[u8], format: ImageFormat) -> Option<DynamicImage> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().ok()?;
    // Phone photos are often stored sideways with an EXIF rotation; hash what people see.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).ok()?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Some(image)
}

/// Hamming distance between two hashes from [`perceptual_hash`]; `None` if either does not
/// parse or they differ in length. Small distances (say ≤ 6 of 64 bits) mean near-identical.
pub fn hash_distance(a: &str, b: &str) -> Option<u32> {
    let a = ImageHash::<Box<[u8]>>::from_base64(a).ok()?;
    let b = ImageHash::<Box<[u8]>>::from_base64(b).ok()?;
    (a.as_bytes().len() == b.as_bytes().len()).then(|| a.dist(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// A certificate-like picture: white page, dark text lines, a red seal.
    fn certificate() -> RgbImage {
        RgbImage::from_fn(200, 140, |x, y| {
            let (dx, dy) = (x as i32 - 150, y as i32 - 100);
            if dx * dx + dy * dy < 400 {
                Rgb([200, 20, 20])
            } else if y % 20 < 6 && (20..180).contains(&x) && y > 10 && y < 80 {
                Rgb([30, 30, 30])
            } else {
                Rgb([250, 250, 245])
            }
        })
    }

    fn encode(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn hash_png(image: &RgbImage) -> String {
        perceptual_hash(&encode(image, ImageFormat::Png), EvidenceKind::Png).unwrap()
    }

    #[test]
    fn same_picture_hashes_equal() {
        let a = hash_png(&certificate());
        let b = hash_png(&certificate());
        assert_eq!(hash_distance(&a, &b), Some(0));
    }

    #[test]
    fn slightly_altered_picture_is_near() {
        let original = certificate();
        let mut altered = original.clone();
        for (x, y) in [(5, 5), (100, 120), (190, 130), (60, 90), (150, 10)] {
            altered.put_pixel(x, y, Rgb([0, 0, 255]));
        }
        let d = hash_distance(&hash_png(&original), &hash_png(&altered)).unwrap();
        assert!(d <= 6, "distance {d}");

        // Re-encoding as JPEG (lossy) is also near: the usual way a duplicate arrives.
        let jpeg = encode(&original, ImageFormat::Jpeg);
        let j = perceptual_hash(&jpeg, EvidenceKind::Jpeg).unwrap();
        let d = hash_distance(&hash_png(&original), &j).unwrap();
        assert!(d <= 6, "jpeg distance {d}");
    }

    #[test]
    fn different_picture_is_far() {
        let other = RgbImage::from_fn(200, 140, |x, y| {
            let v = (((x / 25) + (y / 35)) % 2 * 200) as u8;
            Rgb([v, 255 - v, (x + y) as u8])
        });
        let d = hash_distance(&hash_png(&certificate()), &hash_png(&other)).unwrap();
        assert!(d > 20, "distance {d}");
    }

    #[test]
    fn pdf_and_garbage_have_no_hash() {
        assert_eq!(perceptual_hash(b"%PDF-1.7\n", EvidenceKind::Pdf), None);
        assert_eq!(perceptual_hash(b"not a png", EvidenceKind::Png), None);
        // Valid magic, truncated body.
        let png = encode(&certificate(), ImageFormat::Png);
        assert_eq!(perceptual_hash(&png[..60], EvidenceKind::Png), None);
        // A PNG passed off as JPEG is decoded as JPEG only, so it fails.
        assert_eq!(perceptual_hash(&png, EvidenceKind::Jpeg), None);
    }

    /// Standard CRC-32 (IEEE), enough to forge a well-formed PNG chunk.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }

    #[test]
    fn decompression_bomb_is_refused_before_allocation() {
        // 100000×100000 RGBA would need 40 GB; the header alone must be enough to refuse it.
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no interlace
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(
            &mut png,
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut png, b"IEND", &[]);
        assert_eq!(crate::sniff(&png), Some(EvidenceKind::Png));
        assert_eq!(perceptual_hash(&png, EvidenceKind::Png), None);

        // Just above the dimension limit but small in bytes: refused by the dimension limit.
        let mut png2 = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&(MAX_DIMENSION + 1).to_be_bytes());
        ihdr.extend_from_slice(&1u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        chunk(&mut png2, b"IHDR", &ihdr);
        chunk(&mut png2, b"IEND", &[]);
        assert_eq!(perceptual_hash(&png2, EvidenceKind::Png), None);
    }

    #[test]
    fn distance_rejects_bad_input() {
        let a = hash_png(&certificate());
        assert_eq!(hash_distance(&a, "!!not base64!!"), None);
        assert_eq!(hash_distance(&a, ""), None);
        // Different lengths are not comparable.
        assert_eq!(hash_distance(&a, "AAAA"), None);
    }
}
