//! Typesetting a generated page with typst and rasterising it, fonts loaded once.

use image::RgbImage;
use typst::foundations::{Array, Dict, IntoValue, Value};
use typst_as_lib::{TypstEngine, TypstTemplateMainFile};
use typst_layout::PagedDocument;

use crate::content::Page;

const TEMPLATE: &str = include_str!("page.typ");

pub struct Typesetter {
    engine: TypstEngine<TypstTemplateMainFile>,
}

impl Typesetter {
    /// With the machine's fonts (Debian's fonts-noto-cjk).
    pub fn new() -> Result<Typesetter, String> {
        let fonts = xueshi_certificate::load_fonts(&[]).map_err(|e| e.to_string())?;
        if fonts.is_empty() {
            return Err(xueshi_certificate::CertificateError::NoCjkFont.to_string());
        }
        let engine = TypstEngine::builder()
            .main_file(TEMPLATE)
            .fonts(fonts)
            .build();
        Ok(Typesetter { engine })
    }

    /// The page's first page as pixels, `px_per_pt` pixels a point (2.0 ≈ 144 dpi).
    pub fn render(&self, page: &Page, px_per_pt: f64) -> Result<RgbImage, String> {
        let strings = |items: &[String]| -> Value {
            items
                .iter()
                .map(|s| s.as_str().into_value())
                .collect::<Array>()
                .into_value()
        };
        let mut inputs = Dict::new();
        let mut put = |key: &str, value: Value| {
            inputs.insert(key.into(), value);
        };
        put("layout", page.layout.into_value());
        put("paper", page.paper.into_value());
        put(
            "flipped",
            if page.flipped { "yes" } else { "no" }.into_value(),
        );
        put("font", page.font.into_value());
        put("weight", page.weight.into_value());
        put("size", page.size.to_string().into_value());
        put("accent", page.accent.into_value());
        put("paper_tint", page.paper_tint.into_value());
        put("header", page.header.as_str().into_value());
        put("heading", page.heading.as_str().into_value());
        put("serial", page.serial.as_str().into_value());
        put(
            "rows",
            page.rows
                .iter()
                .map(|(l, v)| strings(&[l.clone(), v.clone()]))
                .collect::<Array>()
                .into_value(),
        );
        put("body", strings(&page.body));
        put("signature", strings(&page.signature));
        put("seal", page.seal.as_str().into_value());
        let document: PagedDocument = self
            .engine
            .compile_with_input(inputs)
            .output
            .map_err(|e| format!("{e:?}"))?;
        let first = document.pages().first().ok_or("no page")?;
        let pixmap = typst_render::render(
            first,
            &typst_render::RenderOptions {
                pixel_per_pt: typst::utils::Scalar::new(px_per_pt),
                render_bleed: false,
            },
        );
        let rgba = image::RgbaImage::from_raw(pixmap.width(), pixmap.height(), pixmap.take())
            .ok_or("a pixmap of its own size")?;
        Ok(image::DynamicImage::ImageRgba8(rgba).to_rgb8())
    }
}
