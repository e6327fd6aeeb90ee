//! Title normalisation, so that the same training typed twice is recognised as a duplicate.

/// Folds full-width ASCII (U+FF01..U+FF5E) and the ideographic space to half-width, trims,
/// folds runs of whitespace to one space and lowercases ASCII letters.
pub fn normalize_title(s: &str) -> String {
    let half_width = s.chars().map(|c| match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    });
    let mut normalized = String::with_capacity(s.len());
    for c in half_width {
        if c.is_whitespace() {
            if !normalized.is_empty() && !normalized.ends_with(' ') {
                normalized.push(' ');
            }
        } else {
            normalized.push(c.to_ascii_lowercase());
        }
    }
    if normalized.ends_with(' ') {
        normalized.pop();
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_compare_with_width_case_and_spacing_folded() {
        let cases = [
            ("人工智能发展与产业应用", "人工智能发展与产业应用"),
            ("  人工智能  发展\t与产业应用 ", "人工智能 发展 与产业应用"),
            ("人工智能\u{3000}\u{3000}发展", "人工智能 发展"),
            ("ＡＩ赋能教学（２０２１）", "ai赋能教学(2021)"),
            ("STEM 课程 Workshop", "stem 课程 workshop"),
            ("Ｃ＋＋ ／ Ｐｙｔｈｏｎ！", "c++ / python!"),
            ("《科技创新》：现状", "《科技创新》:现状"), // 《》 are not full-width ASCII
            ("\u{3000}", ""),
            ("", ""),
        ];
        for (title, normalized) in cases {
            assert_eq!(normalize_title(title), normalized, "{title:?}");
        }
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        let once = normalize_title(" ＡＩ　赋能  教学 ");
        assert_eq!(normalize_title(&once), once);
    }
}
