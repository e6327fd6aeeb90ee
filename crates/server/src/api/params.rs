//! Values of paths and query strings that several endpoints share.

use serde::Deserialize;

use crate::error::{AppError, AppResult};

/// A year in a path: four digits.
pub fn year(raw: &str) -> AppResult<i32> {
    raw.parse()
        .ok()
        .filter(|y| (1900..=9999).contains(y))
        .ok_or_else(|| AppError::BadRequest("年度应为四位数字".into()))
}

/// `json` (default) or `xlsx` for a download with Chinese headers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    #[default]
    Json,
    Xlsx,
}
