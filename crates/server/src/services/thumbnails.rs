//! Previews of evidence: a JPEG of the picture (turned upright) or of a PDF's first page
//! (rendered by poppler's `pdftoppm`), small for the review queue, large for the review page
//! (where a browser cannot show a PDF served as a sandboxed download). Each is made once and kept in the file store by the content's hash, so a
//! queue of fifty shows fifty cached files; making them is bounded (two at a time, a time
//! limit for PDFs) so that no upload can occupy the server.

use std::io::Cursor;
use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader};
use tokio::sync::Semaphore;
use xueshi_files::{FileError, FileStore};
use xueshi_store::Db;
use xueshi_store::models::Evidence;

use super::Ctx;
use super::evidence::visible_file;
use crate::error::{AppError, AppResult};

/// The long side of a preview, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// 320: sharp at 160 CSS pixels on a 2× phone screen (the queue).
    Small,
    /// 1600: a certificate's small print readable on the review page.
    Large,
}

impl Size {
    pub const fn pixels(self) -> u32 {
        match self {
            Size::Small => 320,
            Size::Large => 1600,
        }
    }
}

/// Renders at once; each holds a decoded picture (up to 40 megapixels) or a `pdftoppm`.
static RENDERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// A PDF whose first page takes longer than this is not previewed.
const PDF_TIME_LIMIT: Duration = Duration::from_secs(10);

fn cache_key(file: &Evidence, size: Size) -> String {
    cache_key_of(&file.sha256, size)
}

fn cache_key_of(sha256: &str, size: Size) -> String {
    format!("thumbnails/{sha256}-{}.jpg", size.pixels())
}

/// The cached thumbnails of a file no evidence refers to any more.
pub async fn forget(files: &xueshi_files::FileStore, sha256: &str) {
    for size in [Size::Small, Size::Large] {
        let key = cache_key_of(sha256, size);
        if let Err(e) = files.delete(&key).await {
            tracing::warn!(error = %e, "a cached thumbnail was not removed");
        }
    }
}

/// The thumbnail of one evidence file, for whoever may see the file itself.
pub async fn thumbnail(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    declaration_id: &str,
    evidence_id: &str,
    size: Size,
) -> AppResult<Bytes> {
    let file = visible_file(db, ctx, declaration_id, evidence_id).await?;
    let key = cache_key(&file, size);
    match files.get(&key).await {
        // An empty file remembers a PDF that cannot be rendered: it is not tried again.
        Ok(bytes) if bytes.is_empty() => return Err(AppError::NotFound),
        Ok(bytes) => return Ok(bytes),
        Err(FileError::NotFound) => {}
        Err(e) => return Err(AppError::Internal(e.into())),
    }
    let original = files
        .get(&file.storage_key)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let _permit = RENDERS.acquire().await.expect("never closed");
    let made = if file.content_type == "application/pdf" {
        match pdf_first_page(original, size).await? {
            Some(page) => page,
            None => {
                files
                    .put(&key, Bytes::new())
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
                return Err(AppError::NotFound);
            }
        }
    } else {
        tokio::task::spawn_blocking(move || picture(&original, size))
            .await
            .map_err(|e| AppError::Internal(e.into()))??
    };
    files
        .put(&key, made.clone())
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(made)
}

fn jpeg(image: &DynamicImage, size: Size) -> AppResult<Bytes> {
    let px = size.pixels();
    let small = if image.width().max(image.height()) > px {
        image.thumbnail(px, px).to_rgb8()
    } else {
        image.to_rgb8()
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(Bytes::from(out))
}

/// A stored picture (already checked at upload: well formed, at most 40 megapixels).
fn picture(bytes: &[u8], size: Size) -> AppResult<Bytes> {
    let internal = |e: image::ImageError| AppError::Internal(e.into());
    let mut decoder = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| AppError::Internal(e.into()))?
        .into_decoder()
        .map_err(internal)?;
    let orientation = decoder.orientation().map_err(internal)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(internal)?;
    image.apply_orientation(orientation);
    jpeg(&image, size)
}

/// The first page of a PDF, by `pdftoppm` in a directory of its own, killed past the limit;
/// `None` for a PDF it cannot render in time (remembered). A machine without poppler has
/// no PDF thumbnails (404, not remembered): the queue shows what the file is instead.
async fn pdf_first_page(bytes: Bytes, size: Size) -> AppResult<Option<Bytes>> {
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.into()))?;
    let input = dir.path().join("in.pdf");
    tokio::fs::write(&input, &bytes)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let output = dir.path().join("page");
    let child = tokio::process::Command::new("pdftoppm")
        .args(["-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to"])
        .arg(size.pixels().to_string())
        .arg(&input)
        .arg(&output)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let Ok(child) = child else {
        tracing::warn!("pdftoppm is not installed: PDF evidence has no thumbnails");
        return Err(AppError::NotFound);
    };
    match tokio::time::timeout(PDF_TIME_LIMIT, child.wait_with_output()).await {
        Ok(Ok(out)) if out.status.success() => {}
        Ok(_) => return Ok(None),
        Err(_) => {
            tracing::warn!("a PDF's first page took over {PDF_TIME_LIMIT:?}: no thumbnail");
            return Ok(None);
        }
    }
    let Ok(page) = tokio::fs::read(output.with_extension("png")).await else {
        return Ok(None);
    };
    tokio::task::spawn_blocking(move || {
        let image = image::load_from_memory_with_format(&page, image::ImageFormat::Png)
            .map_err(|e| AppError::Internal(e.into()))?;
        jpeg(&image, size).map(Some)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}
