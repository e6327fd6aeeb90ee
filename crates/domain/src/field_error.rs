//! A single invalid input field, as reported to the user.

use serde::Serialize;

/// One invalid field (字段错误): the dotted field name and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_serialises_as_field_and_message() {
        let error = FieldError::new("minimums.public", "学时不能为负数");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"field": "minimums.public", "message": "学时不能为负数"})
        );
    }
}
