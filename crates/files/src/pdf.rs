//! PDFs parsed with lopdf, not sniffed: a document with a catalog and at least one page, not
//! encrypted, and without active content (JavaScript, embedded files, launch or other
//! actions that leave the document), within a page count.

use lopdf::{Document, LoadOptions, Object};

use crate::FileError;

/// Pages a proof may have: a certificate with its translation and an hours proof, scanned.
pub const MAX_PDF_PAGES: usize = 50;
/// What one object or cross-reference stream may unpack to while loading: real ones hold
/// kilobytes; lopdf's own default (256 MiB) would let a 20 MB upload take that much memory.
const MAX_STREAM_BYTES: usize = 16 * 1024 * 1024;

/// Dictionary keys and action types that make a PDF do something when opened or clicked.
const ACTIVE: &[&[u8]] = &[
    b"JS",
    b"JavaScript",
    b"EmbeddedFiles",
    b"EmbeddedFile",
    b"Launch",
    b"RichMedia",
    b"ImportData",
    b"SubmitForm",
    b"XFA",
];

fn not_a_pdf() -> FileError {
    FileError::Unsupported("该文件不是有效的 PDF 文档，请重新导出或扫描后上传".into())
}

/// Checks `bytes` as a PDF; answers its page count.
pub fn check(bytes: &[u8]) -> Result<usize, FileError> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_STREAM_BYTES),
        ..LoadOptions::default()
    };
    // A parser panic on hostile input refuses the file instead of failing the request.
    let doc = std::panic::catch_unwind(|| Document::load_mem_with_options(bytes, options))
        .map_err(|_| not_a_pdf())?
        .map_err(|e| match e {
            lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => encrypted(),
            _ => not_a_pdf(),
        })?;
    if doc.is_encrypted() {
        return Err(encrypted());
    }
    let catalog = doc.catalog().map_err(|_| not_a_pdf())?;
    if catalog.get(b"Pages").is_err() {
        return Err(not_a_pdf());
    }
    let pages = doc.page_iter().take(MAX_PDF_PAGES + 1).count();
    if pages == 0 {
        return Err(not_a_pdf());
    }
    if pages > MAX_PDF_PAGES {
        return Err(FileError::Refused(format!(
            "PDF 超过{MAX_PDF_PAGES}页，请只上传证书和学时证明所在的页面"
        )));
    }
    if let Some(what) = doc.objects.values().find_map(active_content) {
        return Err(FileError::Unsupported(format!(
            "PDF 中含有{what}，出于安全原因不能上传；请打印为 PDF 或扫描后重新上传"
        )));
    }
    Ok(pages)
}

fn encrypted() -> FileError {
    FileError::Unsupported("PDF 已加密，审核人无法打开；请去除密码后重新上传".into())
}

/// The kind of active content in `object` or anything it holds, if any.
fn active_content(object: &Object) -> Option<&'static str> {
    // An explicit stack: nesting is bounded by lopdf's parser, but no recursion is needed.
    let mut stack = vec![object];
    while let Some(o) = stack.pop() {
        let dict = match o {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &s.dict,
            Object::Array(items) => {
                stack.extend(items);
                continue;
            }
            _ => continue,
        };
        for (key, value) in dict.iter() {
            if let Some(what) = describe(key) {
                return Some(what);
            }
            // Action and annotation types: /S /JavaScript, /S /Launch, /Subtype /FileAttachment.
            if let Object::Name(name) = value
                && (key == b"S" || key == b"Subtype")
                && let Some(what) = describe(name)
                    .or_else(|| (name.as_slice() == b"FileAttachment").then_some("附件"))
            {
                return Some(what);
            }
            stack.push(value);
        }
    }
    None
}

fn describe(name: &[u8]) -> Option<&'static str> {
    if !ACTIVE.contains(&name) {
        return None;
    }
    Some(match name {
        b"JS" | b"JavaScript" => "脚本（JavaScript）",
        b"EmbeddedFiles" | b"EmbeddedFile" => "嵌入的文件",
        b"Launch" => "启动外部程序的动作",
        b"XFA" | b"SubmitForm" | b"ImportData" => "可提交数据的表单",
        _ => "多媒体内容",
    })
}
