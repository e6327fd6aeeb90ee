//! The certificate of a teacher's verified continuing-education hours (继续教育学时证明): one
//! A4 page in Chinese, typeset with typst and written as PDF/A-2b, with a QR code that opens
//! the public verification page.
//!
//! Fonts are found at run time — Debian's `fonts-noto-cjk` in
//! [`DEFAULT_FONT_DIR`] and any configured files or directories — and loaded once by
//! [`Renderer::new`]; rendering then needs no file system and no network (no typst packages).
//! User text reaches the template only as `sys.inputs` string values, never as markup, so a
//! name such as `#[*陈_伟*]` prints exactly as written.

use std::fmt;
use std::path::{Path, PathBuf};

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use typst::diag::{SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue, Smart};
use typst::text::{Font, FontInfo};
use typst_as_lib::{TypstAsLibError, TypstEngine, TypstTemplateMainFile};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

/// Where Debian's `fonts-noto-cjk` puts its fonts; always searched.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/opentype/noto/";

const TEMPLATE: &str = include_str!("certificate.typ");
const ARCHIVE_TEMPLATE: &str = include_str!("archive.typ");

mod archive;
pub use archive::{ArchiveData, ArchiveRecord, ArchiveYear};

/// Families preferred for the body (a Song/Ming style) and for small print (a Hei style).
const SERIF_FAMILIES: &[&str] = &["Noto Serif CJK SC", "Source Han Serif SC", "Noto Serif SC"];
const SANS_FAMILIES: &[&str] = &["Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC"];

/// What one certificate says. Every field is shown as plain text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateData {
    pub name: String,
    pub id_number_masked: String,
    pub school: String,
    pub year: i32,
    /// 公需科目 hours, as they should print (e.g. `30` or `7.5`).
    pub public: String,
    /// 专业科目 hours, carried-in hours included.
    pub professional: String,
    /// 个人选修科目 hours.
    pub elective: String,
    pub total: String,
    /// Hours carried in from the previous year (part of `professional`).
    pub carried_in: String,
    /// The certificate number printed on it.
    pub serial: String,
    /// What the QR code opens.
    pub verify_url: String,
    /// Who issues it, e.g. 广州市教育局.
    pub issuer: String,
    /// The date printed under the issuer, e.g. `2025年1月20日`; its numbers (year, month,
    /// day, in that order) also become the PDF's document date.
    pub issued_on: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error(
        "未找到中文（CJK）字体，无法生成证书：请安装 fonts-noto-cjk（{DEFAULT_FONT_DIR}），或在配置项 font_paths 中指定中文字体文件或目录"
    )]
    NoCjkFont,
    #[error("无法读取字体 {path}：{source}")]
    FontFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("无法生成二维码：{0}")]
    QrCode(String),
    #[error("证书排版失败：{0}")]
    Typeset(String),
    #[error("证书 PDF 生成失败：{0}")]
    Pdf(String),
}

/// Typesets certificates. Built once (loading the fonts is the expensive part), then shared:
/// it is `Send + Sync` and [`Renderer::render`] takes `&self`.
pub struct Renderer {
    engine: TypstEngine<TypstTemplateMainFile>,
    archive_engine: TypstEngine<TypstTemplateMainFile>,
    serif: String,
    sans: String,
    faces: usize,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer")
            .field("serif", &self.serif)
            .field("sans", &self.sans)
            .field("faces", &self.faces)
            .finish()
    }
}

impl Renderer {
    /// Loads every font face (each face of a `.ttc` collection) found in
    /// [`DEFAULT_FONT_DIR`] and in `font_paths` (files, or directories searched recursively).
    /// A configured path that cannot be read is an error; the default directory may be
    /// missing. Fails with [`CertificateError::NoCjkFont`] when no face covers Chinese.
    pub fn new(font_paths: &[PathBuf]) -> Result<Renderer, CertificateError> {
        let fonts = load_fonts(font_paths)?;
        let infos: Vec<&FontInfo> = fonts.iter().map(Font::info).collect();
        let serif = pick_family(&infos, SERIF_FAMILIES, &["Serif", "Song", "Ming", "宋"])
            .ok_or(CertificateError::NoCjkFont)?;
        let sans = pick_family(&infos, SANS_FAMILIES, &["Sans", "Hei", "黑"])
            .unwrap_or_else(|| serif.clone());
        let faces = fonts.len();
        let archive_engine = TypstEngine::builder()
            .main_file(ARCHIVE_TEMPLATE)
            .fonts(fonts.clone())
            .build();
        let engine = TypstEngine::builder()
            .main_file(TEMPLATE)
            .fonts(fonts)
            .build();
        Ok(Renderer {
            engine,
            archive_engine,
            serif,
            sans,
            faces,
        })
    }

    /// The font families the certificate is set in: (body, small print).
    pub fn families(&self) -> (&str, &str) {
        (&self.serif, &self.sans)
    }

    /// Renders one certificate as a one-page A4 PDF (PDF/A-2b).
    pub fn render(&self, data: &CertificateData) -> Result<Vec<u8>, CertificateError> {
        let (year, month, day) = document_date(&data.issued_on);
        let mut inputs = Dict::new();
        let mut put = |key: &str, value: typst::foundations::Value| {
            inputs.insert(key.into(), value);
        };
        put("name", data.name.as_str().into_value());
        put(
            "id_number_masked",
            data.id_number_masked.as_str().into_value(),
        );
        put("school", data.school.as_str().into_value());
        put("year", data.year.to_string().into_value());
        put("public", data.public.as_str().into_value());
        put("professional", data.professional.as_str().into_value());
        put("elective", data.elective.as_str().into_value());
        put("total", data.total.as_str().into_value());
        put("carried_in", data.carried_in.as_str().into_value());
        put("serial", data.serial.as_str().into_value());
        put("verify_url", data.verify_url.as_str().into_value());
        put("issuer", data.issuer.as_str().into_value());
        put("issued_on", data.issued_on.as_str().into_value());
        put("qr", qr_svg(&data.verify_url)?.into_value());
        put("serif", self.serif.as_str().into_value());
        put("sans", self.sans.as_str().into_value());
        put("date_year", (year as i64).into_value());
        put("date_month", (month as i64).into_value());
        put("date_day", (day as i64).into_value());

        let mut document = self.typeset(inputs.clone(), false)?;
        if document.pages().len() > 1 {
            // Very long names or school names: set tighter rather than spill onto a page 2.
            document = self.typeset(inputs, true)?;
        }
        let date = Datetime::from_ymd(year, month, day)
            .ok_or_else(|| CertificateError::Pdf("invalid date".into()))?;
        let standards = PdfStandards::new(&[PdfStandard::A_2b])
            .map_err(|e| CertificateError::Pdf(e.message().to_string()))?;
        let options = PdfOptions {
            ident: Smart::Custom(format!("xueshi-certificate-{}", data.serial)),
            timestamp: Some(Timestamp::new_utc(date)),
            standards,
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|e| CertificateError::Pdf(diagnostics(&e)))
    }
}

impl Renderer {
    fn typeset(&self, mut inputs: Dict, compact: bool) -> Result<PagedDocument, CertificateError> {
        inputs.insert("compact".into(), compact.into_value());
        self.typeset_with(&self.engine, inputs)
    }

    fn typeset_with(
        &self,
        engine: &TypstEngine<TypstTemplateMainFile>,
        inputs: Dict,
    ) -> Result<PagedDocument, CertificateError> {
        let Warned { output, .. } = engine.compile_with_input::<_, PagedDocument>(inputs);
        output.map_err(|e| {
            CertificateError::Typeset(match e {
                TypstAsLibError::TypstSource(errors) => diagnostics(&errors),
                other => other.to_string(),
            })
        })
    }
}

/// Every font face (each face of a `.ttc` collection) in [`DEFAULT_FONT_DIR`] and in
/// `font_paths` (files, or directories searched recursively). A configured path that cannot
/// be read is an error; the default directory may be missing.
pub fn load_fonts(font_paths: &[PathBuf]) -> Result<Vec<Font>, CertificateError> {
    let mut files = Vec::new();
    let default_dir = Path::new(DEFAULT_FONT_DIR);
    if default_dir.is_dir() {
        font_files(default_dir, &mut files)?;
    }
    for path in font_paths {
        let meta = std::fs::metadata(path).map_err(|source| CertificateError::FontFile {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            font_files(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    let mut fonts = Vec::new();
    for path in &files {
        let data = std::fs::read(path).map_err(|source| CertificateError::FontFile {
            path: path.clone(),
            source,
        })?;
        fonts.extend(Font::iter(Bytes::new(data)));
    }
    Ok(fonts)
}

/// Font files under `dir`, recursively.
fn font_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CertificateError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CertificateError::FontFile {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            font_files(&path, out)?;
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["ttf", "otf", "ttc", "otc"].contains(&e.to_ascii_lowercase().as_str())
        }) {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a face can set the certificate's Chinese text.
fn covers_chinese(info: &FontInfo) -> bool {
    "继续教育学时证明合格"
        .chars()
        .all(|c| info.coverage.contains(c as u32))
}

/// A family that covers Chinese: a preferred one if present, else one whose name suggests
/// the style, else any.
fn pick_family(infos: &[&FontInfo], preferred: &[&str], hints: &[&str]) -> Option<String> {
    let chinese: Vec<&str> = infos
        .iter()
        .filter(|i| covers_chinese(i))
        .map(|i| i.family.as_str())
        .collect();
    preferred
        .iter()
        .find(|p| chinese.contains(p))
        .copied()
        .or_else(|| {
            chinese
                .iter()
                .find(|f| hints.iter().any(|h| f.contains(h)))
                .copied()
        })
        .or_else(|| chinese.first().copied())
        .map(str::to_owned)
}

/// The QR code of `url` as an SVG document.
fn qr_svg(url: &str) -> Result<String, CertificateError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| CertificateError::QrCode(e.to_string()))?;
    Ok(code
        .render::<svg::Color>()
        .quiet_zone(false)
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// The first three numbers in `issued_on` as a date (`2025-01-20`, `2025年1月20日`), or
/// today (UTC) when they are not one.
fn document_date(issued_on: &str) -> (i32, u8, u8) {
    let numbers: Vec<i64> = issued_on
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .filter_map(|s| s.parse().ok())
        .collect();
    if let [y, m, d] = numbers[..]
        && let (Ok(y), Ok(m), Ok(d)) = (i32::try_from(y), u8::try_from(m), u8::try_from(d))
        && let Ok(month) = time::Month::try_from(m)
        && time::Date::from_calendar_date(y, month, d).is_ok()
    {
        return (y, m, d);
    }
    let today = time::OffsetDateTime::now_utc().date();
    (today.year(), u8::from(today.month()), today.day())
}

fn diagnostics(errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
