//! Files as HTTP answers, for the API and the pages alike: never cached, named in ASCII and,
//! for browsers that read it, in Chinese (`filename*`, RFC 5987).

use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::error::AppResult;
use crate::services::exports::{self, Download, XLSX};
use crate::services::reconciliation::{self, Reconciliation};

/// RFC 5987 encoding of a file name for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `Content-Disposition` of a download named `ascii`, shown as `chinese` where supported.
pub fn disposition(ascii: &str, chinese: &str) -> String {
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(chinese)
    )
}

/// A file download: never cached, named in ASCII and in Chinese.
pub fn attachment(d: Download) -> Response {
    (
        [
            (CONTENT_TYPE, d.content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                disposition(&d.filename, &d.chinese_name),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        d.bytes,
    )
        .into_response()
}

/// The roster check's result as a workbook to download (the API's and the page's).
pub async fn reconciliation_xlsx(result: &Reconciliation) -> AppResult<Response> {
    let bytes = exports::xlsx(reconciliation::tables(result)).await?;
    Ok(attachment(Download {
        filename: "reconciliation.xlsx".into(),
        chinese_name: "省平台名册核对结果.xlsx".into(),
        content_type: XLSX,
        bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_file_name_is_percent_encoded_beside_its_ascii_one() {
        assert_eq!(
            disposition("a-2030.pdf", "陈伟-2030.pdf"),
            "attachment; filename=\"a-2030.pdf\"; filename*=UTF-8''%E9%99%88%E4%BC%9F-2030.pdf"
        );
    }
}
