//! Numbers as certificates write them: `32`, `24.5`, or in Chinese characters (三十二, 两).

/// The value of `text`: Arabic digits with at most one decimal, or a Chinese numeral below
/// 1,000; `None` for anything else.
pub fn parse(text: &str) -> Option<f64> {
    if text.chars().next()?.is_ascii_digit() {
        return text.parse().ok();
    }
    chinese(text).map(f64::from)
}

fn digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// 十六 = 16, 三十二 = 32, 一百零八 = 108, 二〇二一 (digit by digit, as years are) = 2021.
pub fn chinese(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    if !text.contains(['十', '百']) {
        return text
            .chars()
            .try_fold(0u32, |n, c| Some(n.checked_mul(10)? + digit(c)?));
    }
    let (mut total, mut pending) = (0u32, None::<u32>);
    for c in text.chars() {
        match c {
            '百' => {
                total += pending.take().unwrap_or(1) * 100;
            }
            '十' => {
                total += pending.take().unwrap_or(1) * 10;
            }
            _ => {
                let d = digit(c)?;
                if pending.is_some() {
                    return None;
                }
                pending = (d != 0).then_some(d);
            }
        }
    }
    let total = total + pending.unwrap_or(0);
    (total < 1000).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_digits_or_chinese_characters() {
        for (text, value) in [
            ("32", Some(32.0)),
            ("24.5", Some(24.5)),
            ("十", Some(10.0)),
            ("十六", Some(16.0)),
            ("三十二", Some(32.0)),
            ("两", Some(2.0)),
            ("一百零八", Some(108.0)),
            ("一百二十", Some(120.0)),
            ("二〇二一", Some(2021.0)),
            ("三三十", None),
            ("学时", None),
            ("", None),
        ] {
            assert_eq!(parse(text), value, "{text}");
        }
    }
}
