//! Request extractors that answer bad input with the API's own errors: malformed JSON or a
//! wrong content type is 400, a well-formed body with a bad field is 422 naming the field
//! (every string first checked for control characters and length, API.md), a bad query
//! string is 400 (422 for control characters in it).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;
use xueshi_domain::{FieldError, TextKind, refuse_control_characters};

use crate::error::AppError;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(AppError::BadRequest(
                "请求内容须为 JSON（Content-Type: application/json）".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge
            } else {
                AppError::BadRequest("无法读取请求内容".into())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // Any error reading a `Value` is of the syntax: data errors come from the typed read below.
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        if e.to_string().contains("trailing characters") {
            AppError::BadRequest("JSON 之后有多余内容".into())
        } else {
            AppError::BadRequest(format!("JSON 格式错误：{e}"))
        }
    })?;
    let mut refused = Vec::new();
    refuse_bad_text(&value, &mut String::new(), &mut refused);
    if !refused.is_empty() {
        return Err(AppError::Invalid(refused));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let field = if path == "." { "body".to_owned() } else { path };
        AppError::Invalid(vec![FieldError::new(
            field,
            format!("字段缺失或取值无效：{inner}"),
        )])
    })
}

/// Every string of the body, by its dotted path: control characters and length (API.md).
fn refuse_bad_text(value: &Value, path: &mut String, refused: &mut Vec<FieldError>) {
    match value {
        Value::String(s) => {
            let field = if path.is_empty() {
                "body"
            } else {
                path.as_str()
            };
            if let Err(e) = refuse_control_characters(field, s, TextKind::of_field(field)) {
                refused.push(e);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                push_segment(path, &i.to_string());
                refuse_bad_text(item, path, refused);
                path.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = path.len();
                push_segment(path, key);
                refuse_bad_text(item, path, refused);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn push_segment(path: &mut String, segment: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(segment);
}

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or_default();
        let refused: Vec<FieldError> = form_urlencoded::parse(query.as_bytes())
            .filter_map(|(k, v)| refuse_control_characters(&k, &v, TextKind::Line).err())
            .collect();
        if !refused.is_empty() {
            return Err(AppError::Invalid(refused));
        }
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| AppError::BadRequest(format!("查询参数无效：{e}")))
    }
}
