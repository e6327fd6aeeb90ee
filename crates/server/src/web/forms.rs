//! Form plumbing: CSRF checks, and service errors shown beside the fields that caused them.

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::response::{IntoResponse, Redirect, Response};
use xueshi_domain::FieldError;

use super::layout::WebUser;
use crate::auth::csrf;
use crate::error::AppError;

/// What went wrong with a submitted form, for the page that shows it again.
#[derive(Default)]
pub struct FormErrors {
    pub fields: Vec<FieldError>,
    pub general: Option<String>,
}

impl FormErrors {
    /// Errors a person can fix become messages; anything else stays an error.
    pub fn from_error(e: AppError) -> Result<FormErrors, AppError> {
        match e {
            AppError::Invalid(fields) if fields.len() == 1 && fields[0].field == "file" => {
                Ok(FormErrors {
                    general: Some(fields[0].message.clone()),
                    fields,
                })
            }
            AppError::Invalid(fields) => Ok(FormErrors {
                fields,
                general: Some("请修改标出的内容后重新提交".into()),
            }),
            // Not something the form can fix: the page for it, with its status.
            AppError::Internal(_)
            | AppError::Unauthenticated
            | AppError::Forbidden
            | AppError::NotFound => Err(e),
            other => Ok(FormErrors {
                general: Some(other.message()),
                fields: Vec::new(),
            }),
        }
    }

    /// One line for a page without the form's fields: the first field's message, else the
    /// general one.
    pub fn first_message(self) -> Option<String> {
        self.fields
            .into_iter()
            .next()
            .map(|f| f.message)
            .or(self.general)
    }

    /// The message for `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }
}

pub fn check_csrf(user: &WebUser, given: &str) -> Result<(), AppError> {
    if csrf::matches(&user.layout.csrf, given) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A form of one file (替换, 识别): its CSRF token checked, and the file if one was chosen.
pub async fn checked_file(
    user: &WebUser,
    mut multipart: Multipart,
) -> Result<Option<Bytes>, AppError> {
    let mut csrf = String::new();
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?
    {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => {
                let bytes = field.bytes().await.map_err(|_| AppError::TooLarge)?;
                file = Some(bytes).filter(|b| !b.is_empty());
            }
            _ => {}
        }
    }
    check_csrf(user, &csrf)?;
    Ok(file)
}

/// After a successful form: back to `to`, saying what was done.
pub fn done(to: &str, what: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}done={what}")).into_response()
}

/// The 批准/不予批准 form of a request's row (a transfer, a correction).
#[derive(serde::Deserialize)]
pub struct DecisionForm {
    pub csrf: String,
    decision: String,
    #[serde(default)]
    reason: String,
}

impl DecisionForm {
    pub fn decision(self) -> crate::services::request_decision::RequestDecision {
        crate::services::request_decision::RequestDecision {
            decision: self.decision,
            reason: Some(self.reason),
        }
    }
}
