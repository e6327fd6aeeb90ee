//! Making a rendered page look like what teachers upload: a flat scan, or a phone photo —
//! the page on a desk, tilted and in perspective, unevenly lit, a little noisy, JPEG-compressed
//! — and some of those out of focus, too dark or too small.

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};
use imageproc::geometric_transformations::{Interpolation, Projection, warp};
use rand::Rng;

use crate::truth::Condition;

/// The long side the blur figures refer to (the quality check's working size).
const WORKING_SIDE: f32 = 1000.0;

/// A finished image of the set.
pub struct Shot {
    pub bytes: Vec<u8>,
    /// `jpg` or `png`.
    pub extension: &'static str,
    pub made: String,
}

/// The condition of the `index`-th image: a fixed mix over the set, so that every condition
/// is present in any run of at least 20.
pub fn condition_for(index: usize) -> Condition {
    match index % 20 {
        0..=4 => Condition::Scan,
        5..=12 => Condition::Photo,
        13..=15 => Condition::Blurred,
        16 => Condition::Borderline,
        17 | 18 => Condition::Dark,
        _ => Condition::Small,
    }
}

/// `page` made into an image in `condition`.
pub fn shoot<R: Rng>(rng: &mut R, page: RgbImage, condition: Condition) -> Shot {
    let mut made = Vec::new();
    let mut image = if condition == Condition::Scan {
        page
    } else {
        photograph(rng, page, &mut made)
    };
    let long_side = match condition {
        Condition::Scan => image.width().max(image.height()),
        Condition::Small => rng.random_range(440..=560),
        _ => rng.random_range(1400..=2400),
    };
    image = fit_long_side(&image, long_side);
    made.push(format!("{}×{}", image.width(), image.height()));
    let sigma = match condition {
        Condition::Blurred => rng.random_range(2.5..5.0),
        Condition::Borderline => rng.random_range(1.5..2.2),
        Condition::Photo | Condition::Dark | Condition::Small => rng.random_range(0.0..1.0),
        Condition::Scan => 0.0,
    };
    if sigma > 0.3 {
        let scale = image.width().max(image.height()) as f32 / WORKING_SIDE;
        image = imageops::blur(&image, sigma * scale);
        made.push(format!("blur σ{sigma:.1}"));
    }
    if condition == Condition::Dark {
        let factor = rng.random_range(0.12..0.25);
        darken(&mut image, factor);
        made.push(format!("dark ×{factor:.2}"));
    }
    if condition != Condition::Scan {
        image =
            imageproc::noise::gaussian_noise(&image, 0.0, rng.random_range(2.0..7.0), rng.random());
    }
    let (bytes, extension) = if condition == Condition::Scan && rng.random_bool(0.5) {
        (encode_png(&image), "png")
    } else {
        let quality = rng.random_range(45..=92);
        made.push(format!("jpeg q{quality}"));
        (encode_jpeg(&image, quality), "jpg")
    };
    Shot {
        bytes,
        extension,
        made: made.join(" "),
    }
}

/// The page lying on a desk, seen from a little off its axis, lit from one side.
fn photograph<R: Rng>(rng: &mut R, page: RgbImage, made: &mut Vec<String>) -> RgbImage {
    let (w, h) = (page.width() as f32, page.height() as f32);
    let margin = rng.random_range(0.06..0.14) * w.max(h);
    let desk = Rgb([
        rng.random_range(60..150),
        rng.random_range(50..120),
        rng.random_range(40..100),
    ]);
    let mut canvas =
        RgbImage::from_pixel((w + 2.0 * margin) as u32, (h + 2.0 * margin) as u32, desk);
    imageops::overlay(&mut canvas, &page, margin as i64, margin as i64);
    // The page's corners, each moved by up to `jitter` of the page, after turning it by `angle`.
    let angle = rng.random_range(-8.0f32..8.0).to_radians();
    let jitter = rng.random_range(0.0..0.05) * w.min(h);
    let (cx, cy) = (margin + w / 2.0, margin + h / 2.0);
    let corners = [
        (margin, margin),
        (margin + w, margin),
        (margin + w, margin + h),
        (margin, margin + h),
    ];
    let moved = corners.map(|(x, y)| {
        let (dx, dy) = (x - cx, y - cy);
        let (s, c) = angle.sin_cos();
        (
            cx + dx * c - dy * s + rng.random_range(-jitter..=jitter),
            cy + dx * s + dy * c + rng.random_range(-jitter..=jitter),
        )
    });
    made.push(format!(
        "rot {:.1}° persp {:.0}px",
        angle.to_degrees(),
        jitter
    ));
    let mut photo = match Projection::from_control_points(corners, moved) {
        Some(projection) => warp(&canvas, &projection, Interpolation::Bilinear, desk),
        None => canvas,
    };
    light_unevenly(rng, &mut photo);
    photo
}

/// Brighter on one side than the other (a window, a desk lamp), and a little dimmer overall.
fn light_unevenly<R: Rng>(rng: &mut R, image: &mut RgbImage) {
    let overall = rng.random_range(0.78..1.0f32);
    let spread = rng.random_range(0.0..0.25f32);
    let (gx, gy) = (
        rng.random_range(-1.0..1.0f32),
        rng.random_range(-1.0..1.0f32),
    );
    let (w, h) = (image.width() as f32, image.height() as f32);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let t = ((x as f32 / w - 0.5) * gx + (y as f32 / h - 0.5) * gy).clamp(-1.0, 1.0);
        let factor = overall * (1.0 + spread * t);
        for channel in &mut pixel.0 {
            *channel = (f32::from(*channel) * factor).clamp(0.0, 255.0) as u8;
        }
    }
}

fn darken(image: &mut RgbImage, factor: f32) {
    for pixel in image.pixels_mut() {
        for channel in &mut pixel.0 {
            *channel = (f32::from(*channel) * factor) as u8;
        }
    }
}

fn fit_long_side(image: &RgbImage, long_side: u32) -> RgbImage {
    let (w, h) = (image.width(), image.height());
    if w.max(h) == long_side {
        return image.clone();
    }
    let scale = long_side as f32 / w.max(h) as f32;
    imageops::resize(
        image,
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
        FilterType::Triangle,
    )
}

fn encode_jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, quality,
        ))
        .expect("encoding to memory");
    out
}

fn encode_png(image: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encoding to memory");
    out.into_inner()
}
