use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::*;

/// One renderer for the tests: loading the fonts is what takes time.
fn renderer() -> &'static Renderer {
    static RENDERER: OnceLock<Renderer> = OnceLock::new();
    RENDERER.get_or_init(|| Renderer::new(&[]).expect("fonts-noto-cjk is installed"))
}

fn sample() -> CertificateData {
    CertificateData {
        name: "陈大伟".into(),
        id_number_masked: "440106********123X".into(),
        school: "越秀区东风路小学".into(),
        year: 2024,
        public: "30".into(),
        professional: "48.5".into(),
        elective: "18".into(),
        total: "96.5".into(),
        carried_in: "6".into(),
        serial: "AZOq3c1-ZrWkcvPiNo2Un3MH-UeV0Y3PkA8oHHr7".into(),
        verify_url: "https://xueshi.example.cn/verify/AZOq3c1-ZrWkcvPiNo2Un3MH-UeV0Y3PkA8oHHr7"
            .into(),
        issuer: "广州市教育局".into(),
        issued_on: "2025年1月20日".into(),
    }
}

/// The PDF's text as `pdftotext` reads it, or `None` when poppler-utils is missing.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let mut child = match Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => {
            assert!(
                std::env::var("XUESHI_REQUIRE_PDFTOTEXT").as_deref() != Ok("1"),
                "pdftotext is required (poppler-utils)"
            );
            eprintln!("note: pdftotext not installed; the PDF's text was not checked");
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "pdftotext failed");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Saves a rendered sample into `$XUESHI_CERTIFICATE_SAMPLES` (a directory), to look at.
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("XUESHI_CERTIFICATE_SAMPLES") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
    }
}

/// Text without the spaces and line breaks a PDF's layout adds.
fn squeezed(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// `pdftotext` ends every page with a form feed.
fn page_count(text: &str) -> usize {
    text.matches('\u{c}').count()
}

#[test]
fn renders_a_one_page_pdf_with_the_certificates_text() {
    let pdf = renderer().render(&sample()).unwrap();
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    keep("certificate.pdf", &pdf);
    let Some(text) = pdf_text(&pdf) else { return };
    assert_eq!(page_count(&text), 1, "one page");
    let text = squeezed(&text);
    for expected in [
        "继续教育学时证明",
        "陈大伟",
        "440106********123X",
        "越秀区东风路小学",
        "2024年度",
        "公需科目",
        "30",
        "专业科目（含上年结转6学时）",
        "48.5",
        "个人选修科目",
        "96.5",
        "合计",
        "验证结论：合格",
        "广州市教育局",
        "2025年1月20日",
        "扫码核验",
        "AZOq3c1-ZrWkcvPiNo2Un3MH-UeV0Y3PkA8oHHr7",
    ] {
        assert!(text.contains(expected), "{expected} missing from: {text}");
    }
}

#[test]
fn typst_markup_in_user_text_prints_literally() {
    let data = CertificateData {
        name: r#"#[陈]*伟*_$x$\"#.into(),
        school: "#set page(width: 1cm) 学校 // 注释 /* x */ @ref <lbl> `raw` ~".into(),
        ..sample()
    };
    let pdf = renderer().render(&data).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let Some(text) = pdf_text(&pdf) else { return };
    assert_eq!(page_count(&text), 1, "one page");
    let text = squeezed(&text);
    assert!(text.contains(r#"#[陈]*伟*_$x$\"#), "{text}");
    assert!(
        text.contains("#setpage(width:1cm)学校//注释/*x*/@ref<lbl>`raw`~"),
        "{text}"
    );
}

#[test]
fn long_names_still_fit_on_one_page() {
    let data = CertificateData {
        name: "阿卜杜热合曼·买买提依明·艾力江·司马义·托乎提".into(),
        school: "广州市越秀区教育局直属某某某某实验学校（九年一贯制）附属第二小学东风路校区教学点"
            .into(),
        issuer: "广州市教育局继续教育学时管理办公室".into(),
        ..sample()
    };
    let pdf = renderer().render(&data).unwrap();
    keep("long.pdf", &pdf);
    let Some(text) = pdf_text(&pdf) else { return };
    assert_eq!(page_count(&text), 1, "one page");
}

#[test]
fn overlong_text_is_set_tighter_to_stay_on_one_page() {
    let data = CertificateData {
        name: "阿卜杜热合曼·买买提依明·艾力江·司马义·托乎提".repeat(2),
        school: "广州市越秀区教育局直属某某某某实验学校（九年一贯制）附属第二小学东风路校区教学点"
            .repeat(2),
        ..sample()
    };
    let pdf = renderer().render(&data).unwrap();
    keep("overlong.pdf", &pdf);
    let Some(text) = pdf_text(&pdf) else { return };
    assert_eq!(page_count(&text), 1, "one page");
}

#[test]
fn the_document_date_comes_from_the_issue_date() {
    assert_eq!(document_date("2025年1月20日"), (2025, 1, 20));
    assert_eq!(document_date("2024-12-31"), (2024, 12, 31));
    let today = time::OffsetDateTime::now_utc().date();
    assert_eq!(document_date("2024-02-30").0, today.year());
    assert_eq!(document_date("").0, today.year());
}

#[test]
fn the_pdf_carries_its_date_and_pdfa_metadata() {
    let pdf = renderer().render(&sample()).unwrap();
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("D:20250120"), "creation date set");
    assert!(raw.contains("pdfaid"), "PDF/A identification");
}

#[test]
fn a_missing_configured_font_path_is_reported() {
    let err = Renderer::new(&[PathBuf::from("/nonexistent/fonts")]).unwrap_err();
    assert!(matches!(err, CertificateError::FontFile { .. }), "{err}");
}

#[test]
fn the_missing_font_message_is_chinese_and_says_what_to_do() {
    let message = CertificateError::NoCjkFont.to_string();
    assert!(message.contains("未找到中文"));
    assert!(message.contains("fonts-noto-cjk"));
    assert!(message.contains("font_paths"));
}

#[test]
fn prefers_noto_families() {
    let (serif, sans) = renderer().families();
    assert_eq!(serif, "Noto Serif CJK SC");
    assert_eq!(sans, "Noto Sans CJK SC");
}

#[test]
fn the_renderer_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Renderer>();
}

fn archive_sample() -> ArchiveData {
    let record = |title: &str, hours: &str| ArchiveRecord {
        dates: "2024-03-05".into(),
        title: title.into(),
        category: "专业科目".into(),
        hours: hours.into(),
        source: "个人申报".into(),
    };
    ArchiveData {
        name: "陈大伟".into(),
        id_number_masked: "440106********123X".into(),
        school: "越秀区东风路小学".into(),
        issuer: "广州市教育局".into(),
        printed_on: "2026年12月3日".into(),
        years: vec![
            ArchiveYear {
                year: 2024,
                status: "合格".into(),
                passed: true,
                note: "2025年1月20日验证，时在越秀区东风路小学".into(),
                public: "30".into(),
                professional: "48.5".into(),
                elective: "18".into(),
                total: "96.5".into(),
                carried_in: "6".into(),
                carry_out: "6.5".into(),
                records: vec![record("#[*新课标*] 研修", "24"), record("课堂观察", "24.5")],
            },
            ArchiveYear {
                year: 2025,
                status: "未验证".into(),
                note: "年度验证尚未进行，学时以验证结果为准".into(),
                records: Vec::new(),
                ..Default::default()
            },
        ],
    }
}

#[test]
fn the_archive_has_a_page_for_each_year_with_its_result_and_records() {
    let pdf = renderer().render_archive(&archive_sample()).unwrap();
    keep("archive.pdf", &pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdf_text(&pdf) else { return };
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(pages.len(), 2, "{text}");
    assert!(pages[0].contains("继续教育档案") && pages[0].contains("2024 年度"));
    assert!(pages[0].contains("合格") && pages[0].contains("96.5"));
    // Markup in a title prints as written.
    assert!(pages[0].contains("#[*新课标*] 研修"), "{}", pages[0]);
    assert!(pages[0].contains("440106********123X"));
    assert!(pages[1].contains("2025 年度") && pages[1].contains("未验证"));
    assert!(pages[1].contains("本年度没有学时记录"));
    assert!(pages[1].contains("第 2 页，共 2 页"), "{}", pages[1]);
}

#[test]
fn an_archive_without_years_says_so() {
    let data = ArchiveData {
        years: Vec::new(),
        ..archive_sample()
    };
    let pdf = renderer().render_archive(&data).unwrap();
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(text.contains("暂无学时记录"), "{text}");
}
