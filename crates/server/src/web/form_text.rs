//! Every submitted form's text checked in one place before a handler reads it: control
//! characters and lengths by the rules of `xueshi_domain::text`, after textareas' CRLF line
//! ends are made LF (what browsers send is not what people typed).

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::Response;
use xueshi_domain::{TextKind, refuse_control_characters};

use super::error_page;
use crate::error::AppError;

/// Largest form body: a long notice and its fields fit well below this.
const FORM_LIMIT: usize = 1024 * 1024;

pub async fn check(req: Request, next: Next) -> Response {
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return error_page(AppError::TooLarge);
    };
    let mut refused = Vec::new();
    let mut rewritten = false;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes)
        .map(|(key, value)| {
            let value = if value.contains('\r') {
                rewritten = true;
                value.replace("\r\n", "\n")
            } else {
                value.into_owned()
            };
            if let Err(e) = refuse_control_characters(&key, &value, TextKind::of_field(&key)) {
                refused.push(format!("{}：{}", e.field, e.message));
            }
            (key.into_owned(), value)
        })
        .collect();
    if !refused.is_empty() {
        return error_page(AppError::invalid("form", refused.join("；")));
    }
    let body = if rewritten {
        Body::from(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish(),
        )
    } else {
        Body::from(bytes)
    };
    next.run(Request::from_parts(parts, body)).await
}
