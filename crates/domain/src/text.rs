//! What a text field may hold (API.md): no control characters (U+0000–U+001F and U+007F),
//! except tab and newline in long text, and a bounded length. The same on every backend: a
//! NUL byte is refused here before PostgreSQL could refuse it with an error of its own.

use crate::FieldError;

/// Fields that hold several lines: comments, reasons, notice bodies.
pub const LONG_TEXT_FIELDS: &[&str] = &[
    "body",
    "comment",
    "content",
    "description",
    "message",
    "note",
    "reason",
    "revoke_reason",
];
/// Characters in a one-line field: names, titles, usernames, ids.
pub const MAX_LINE_CHARS: usize = 500;
/// Characters in a long text field.
pub const MAX_LONG_CHARS: usize = 20_000;

/// A one-line field or a long one, by the field's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Line,
    Long,
}

impl TextKind {
    /// The kind of the field named `name` (the last part of a dotted path).
    pub fn of_field(name: &str) -> TextKind {
        let last = name.rsplit('.').next().unwrap_or(name);
        if LONG_TEXT_FIELDS.contains(&last) {
            TextKind::Long
        } else {
            TextKind::Line
        }
    }
}

/// Refuses control characters and overlong text in the field `field` (dotted path).
pub fn refuse_control_characters(
    field: &str,
    value: &str,
    kind: TextKind,
) -> Result<(), FieldError> {
    let allowed = |c: char| kind == TextKind::Long && matches!(c, '\t' | '\n');
    if let Some(c) = value
        .chars()
        .find(|c| (c.is_ascii_control()) && !allowed(*c))
    {
        let what = match c {
            '\n' | '\r' => "换行".to_owned(),
            '\t' => "制表符".to_owned(),
            c => format!("控制字符 U+{:04X}", c as u32),
        };
        return Err(FieldError::new(field, format!("不能包含{what}")));
    }
    let max = match kind {
        TextKind::Line => MAX_LINE_CHARS,
        TextKind::Long => MAX_LONG_CHARS,
    };
    if value.chars().nth(max).is_some() {
        return Err(FieldError::new(field, format!("不能超过{max}个字符")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn control_characters_are_refused_by_the_kind_of_field() {
        use TextKind::*;
        let cases: &[(&str, TextKind, bool)] = &[
            ("张三", Line, true),
            ("人工智能 发展", Line, true),
            ("a\u{0}b", Line, false),
            ("a\u{0}b", Long, false),
            ("第一行\n第二行", Line, false),
            ("第一行\n第二行", Long, true),
            ("列\t列", Long, true),
            ("列\t列", Line, false),
            ("a\rb", Long, false),
            ("del\u{7f}", Long, false),
            ("esc\u{1b}[31m", Line, false),
            // Non-ASCII controls (C1) and zero-width characters are text, not controls here.
            ("全角　空格", Line, true),
        ];
        for (value, kind, ok) in cases {
            assert_eq!(
                refuse_control_characters("f", value, *kind).is_ok(),
                *ok,
                "{value:?} as {kind:?}"
            );
        }
    }

    #[test]
    fn the_message_names_the_character() {
        let e = refuse_control_characters("title", "a\u{0}", TextKind::Line).unwrap_err();
        assert_eq!(e.field, "title");
        assert!(e.message.contains("U+0000"), "{}", e.message);
    }

    #[test]
    fn lengths_are_bounded_by_kind() {
        let line = "字".repeat(MAX_LINE_CHARS);
        assert!(refuse_control_characters("name", &line, TextKind::Line).is_ok());
        assert!(refuse_control_characters("name", &(line + "字"), TextKind::Line).is_err());
        let long = "字".repeat(MAX_LONG_CHARS + 1);
        assert!(refuse_control_characters("comment", &long, TextKind::Long).is_err());
    }

    #[test]
    fn long_fields_are_known_by_their_last_name() {
        assert_eq!(TextKind::of_field("comment"), TextKind::Long);
        assert_eq!(TextKind::of_field("items.3.reason"), TextKind::Long);
        assert_eq!(TextKind::of_field("title"), TextKind::Line);
    }

    proptest! {
        #[test]
        fn any_string_is_judged_without_panicking(s in any::<String>(), long in any::<bool>()) {
            let kind = if long { TextKind::Long } else { TextKind::Line };
            let ok = refuse_control_characters("f", &s, kind).is_ok();
            let has_forbidden = s.chars().any(|c| c.is_ascii_control() && !(long && matches!(c, '\t' | '\n')));
            if has_forbidden {
                prop_assert!(!ok);
            }
        }
    }
}
