//! Whether a photo of a certificate can be read (照片可能不清晰，建议重新拍摄): too small, too
//! dark or too blurred. A warning for the teacher before submitting, never a refusal.

use image::imageops::FilterType;
use image::{GrayImage, ImageFormat};
use serde::Serialize;

use crate::EvidenceKind;

/// Below this many pixels on the short side a certificate's small print is not legible.
const MIN_SHORT_SIDE: u32 = 480;
/// Mean brightness (0–255) below which the page is too dark to read.
const MIN_BRIGHTNESS: f64 = 70.0;
/// Variance of the Laplacian, at a long side of [`WORKING_SIDE`], below which the photo is
/// blurred. Calibrated on the evaluation set (`xueshi-eval`, seed 2021): its out-of-focus
/// photos (σ ≥ 2.5) measure 2–35 — a phone's sensor noise lifts the figure — and its sharp
/// phone photos 20–870 (scans 390–1,900); 35 flags all of the former and 2 of 162 of the
/// latter, and was then checked on a second set (seed 2022, docs/benchmarks.md).
const MIN_SHARPNESS: f64 = 35.0;
/// The long side the measures are taken at, so a photo's resolution does not change them.
const WORKING_SIDE: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoProblem {
    TooSmall,
    TooDark,
    Blurred,
}

impl PhotoProblem {
    pub const ALL: [PhotoProblem; 3] = [Self::TooSmall, Self::TooDark, Self::Blurred];

    pub fn code(self) -> &'static str {
        match self {
            Self::TooSmall => "too_small",
            Self::TooDark => "too_dark",
            Self::Blurred => "blurred",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::TooSmall => "照片分辨率过低",
            Self::TooDark => "照片过暗",
            Self::Blurred => "照片模糊",
        }
    }
}

/// What was measured, and the problems found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhotoQuality {
    pub width: u32,
    pub height: u32,
    /// Mean luma, 0–255.
    pub brightness: f64,
    /// Variance of the Laplacian at the working size.
    pub sharpness: f64,
    pub problems: Vec<PhotoProblem>,
}

impl PhotoQuality {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Measures a JPEG or PNG; `None` for PDFs and for images that do not decode within the
/// upload limits. CPU-bound: call it from `spawn_blocking`.
pub fn photo_quality(bytes: &[u8], kind: EvidenceKind) -> Option<PhotoQuality> {
    let format = match kind {
        EvidenceKind::Jpeg => ImageFormat::Jpeg,
        EvidenceKind::Png => ImageFormat::Png,
        EvidenceKind::Pdf => return None,
    };
    let image = std::panic::catch_unwind(|| crate::phash::decode(bytes, format)).ok()??;
    let (width, height) = (image.width(), image.height());
    let scale = f64::from(WORKING_SIDE) / f64::from(width.max(height));
    let gray = if scale < 1.0 {
        image
            .resize(
                (f64::from(width) * scale).round().max(1.0) as u32,
                (f64::from(height) * scale).round().max(1.0) as u32,
                FilterType::Triangle,
            )
            .to_luma8()
    } else {
        image.to_luma8()
    };
    let brightness = mean(&gray);
    let sharpness = laplacian_variance(&gray);
    let mut problems = Vec::new();
    if width.min(height) < MIN_SHORT_SIDE {
        problems.push(PhotoProblem::TooSmall);
    }
    if brightness < MIN_BRIGHTNESS {
        problems.push(PhotoProblem::TooDark);
    }
    if sharpness < MIN_SHARPNESS {
        problems.push(PhotoProblem::Blurred);
    }
    Some(PhotoQuality {
        width,
        height,
        brightness,
        sharpness,
        problems,
    })
}

fn mean(gray: &GrayImage) -> f64 {
    let n = gray.as_raw().len().max(1) as f64;
    gray.as_raw().iter().map(|&p| f64::from(p)).sum::<f64>() / n
}

/// The variance of the 4-neighbour Laplacian over the inner pixels: edges (text) give large
/// responses, a blur flattens them.
fn laplacian_variance(gray: &GrayImage) -> f64 {
    let (w, h) = gray.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let at = |x: u32, y: u32| f64::from(gray.get_pixel(x, y).0[0]);
    let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let l = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    let m = sum / n;
    sum_sq / n - m * m
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::{DynamicImage, RgbImage};

    use super::*;

    const CERTIFICATE: &[u8] = include_bytes!("../tests/fixtures/certificate.png");

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn jpeg(image: &DynamicImage, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        image.to_rgb8().write_with_encoder(encoder).unwrap();
        out
    }

    fn certificate() -> DynamicImage {
        image::load_from_memory(CERTIFICATE).unwrap()
    }

    fn problems(bytes: &[u8], kind: EvidenceKind) -> Vec<PhotoProblem> {
        photo_quality(bytes, kind).unwrap().problems
    }

    #[test]
    fn a_sharp_bright_certificate_is_fine_even_as_a_compressed_jpeg() {
        let q = photo_quality(CERTIFICATE, EvidenceKind::Png).unwrap();
        assert!(q.ok(), "{q:?}");
        assert!(problems(&jpeg(&certificate(), 70), EvidenceKind::Jpeg).is_empty());
        // Photographed at twice the size: the measures are taken at one working size.
        let big = certificate().resize(1960, 1280, FilterType::Triangle);
        assert!(problems(&png(&big), EvidenceKind::Png).is_empty());
    }

    #[test]
    fn a_blurred_photo_is_flagged_and_a_slightly_soft_one_is_not() {
        let soft = certificate().blur(1.0);
        assert!(problems(&png(&soft), EvidenceKind::Png).is_empty());
        for sigma in [2.5, 4.0] {
            let blurred = certificate().blur(sigma);
            let q = photo_quality(&png(&blurred), EvidenceKind::Png).unwrap();
            assert_eq!(q.problems, [PhotoProblem::Blurred], "sigma {sigma}: {q:?}");
        }
    }

    #[test]
    fn a_dark_or_tiny_photo_is_flagged() {
        let dark = certificate().brighten(-190);
        assert!(problems(&png(&dark), EvidenceKind::Png).contains(&PhotoProblem::TooDark));
        let tiny = certificate().resize(300, 200, FilterType::Triangle);
        assert!(problems(&png(&tiny), EvidenceKind::Png).contains(&PhotoProblem::TooSmall));
    }

    #[test]
    fn a_blank_page_has_nothing_sharp_and_a_pdf_or_garbage_is_not_measured() {
        let blank = DynamicImage::ImageRgb8(RgbImage::from_pixel(900, 600, image::Rgb([250; 3])));
        assert_eq!(
            problems(&png(&blank), EvidenceKind::Png),
            [PhotoProblem::Blurred]
        );
        assert_eq!(photo_quality(b"%PDF-1.7", EvidenceKind::Pdf), None);
        assert_eq!(photo_quality(b"not an image", EvidenceKind::Png), None);
    }
}
