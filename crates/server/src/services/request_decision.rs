//! A decision on a request a school or a teacher filed (a transfer, a correction): approve, or
//! reject with a reason — read the same way for every kind, in each kind's own words.

use serde::Deserialize;

use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RequestDecision {
    /// `approve` or `reject`.
    pub decision: String,
    /// Required to reject.
    pub reason: Option<String>,
}

/// What the two decisions are called for a kind of request, e.g. 批准 and 不予批准.
pub struct Wording {
    pub approve: &'static str,
    pub reject: &'static str,
}

/// A decision read: approve or not, and the reason given (always one for a rejection).
pub struct Decided {
    pub approve: bool,
    pub reason: Option<String>,
}

impl RequestDecision {
    pub fn read(&self, words: Wording) -> AppResult<Decided> {
        let approve = match self.decision.as_str() {
            "approve" => true,
            "reject" => false,
            _ => {
                return Err(AppError::invalid(
                    "decision",
                    format!(
                        "decision 只能是 approve（{}）或 reject（{}）",
                        words.approve, words.reject
                    ),
                ));
            }
        };
        let required_by = (!approve).then_some(words.reject);
        let reason = reason("reason", self.reason.as_deref(), required_by)?;
        Ok(Decided { approve, reason })
    }
}

/// Longest reason kept, in characters.
const MAX_REASON: usize = 200;

/// A reason as given, trimmed and bounded; `required_by` names what needs one (不予批准须填写理由).
/// Control characters were refused by the JSON and form extractors.
pub fn reason(
    field: &str,
    raw: Option<&str>,
    required_by: Option<&str>,
) -> AppResult<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => match required_by {
            Some(what) => Err(AppError::invalid(field, format!("{what}须填写理由"))),
            None => Ok(None),
        },
        Some(t) if t.chars().count() > MAX_REASON => Err(AppError::invalid(
            field,
            format!("理由最多 {MAX_REASON} 个字"),
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}
