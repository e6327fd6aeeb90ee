//! The OpenAPI document completed with the answers every operation can give but no
//! handler annotation repeats: a malformed request (400), no or a bad session (401), a role
//! that may not (403), an unknown id (404), an oversized body (413), a refused field (422)
//! and the rate limit (429), each with the error body. Handlers declare their own others.

use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Adds the common error answers to each operation of `doc` (a serialised document).
pub fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let has_id = path.contains('{');
        for method in METHODS {
            let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            // `security: [{}]` marks a public operation (login, verification lookups).
            let public = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| {
                    s.iter()
                        .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
                });
            let takes_input = op.contains_key("requestBody") || op.contains_key("parameters");
            let mut common = vec![
                ("400", "请求格式错误（bad_request）"),
                ("429", "请求过于频繁（rate_limited）"),
            ];
            if !public {
                common.push(("401", "未登录或登录已失效（unauthenticated）"));
                common.push(("403", "无权进行此操作（forbidden）"));
            }
            if has_id || !public {
                common.push(("404", "对象不存在或不在管理范围内（not_found）"));
            }
            if op.contains_key("requestBody") {
                common.push(("413", "内容超过大小限制（too_large）"));
            }
            if takes_input {
                common.push(("422", "字段取值无效（invalid）"));
            }
            let responses = op
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("responses is an object");
            for (status, description) in common {
                responses
                    .entry(status)
                    .or_insert_with(|| error_response(description));
            }
        }
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
    })
}
