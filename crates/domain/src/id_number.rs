//! Resident ID numbers (居民身份证号码, GB 11643-1999) and masking of personal data.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Month};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid 18-character resident ID number (身份证号), stored with an uppercase `X`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
pub struct IdNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IdNumberError {
    #[error("身份证号应为18位，前17位为数字，最后一位为数字或X")]
    Format,
    #[error("身份证号中的出生日期无效")]
    BirthDate,
    #[error("身份证号校验码错误")]
    Checksum,
}

impl IdNumber {
    /// Parses a number as typed by a person: surrounding spaces are ignored, `x` is accepted.
    pub fn parse(s: &str) -> Result<Self, IdNumberError> {
        let s = s.trim();
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 18
            && bytes[..17].iter().all(u8::is_ascii_digit)
            && matches!(bytes[17], b'0'..=b'9' | b'X' | b'x');
        if !well_formed {
            return Err(IdNumberError::Format);
        }
        let number = s.to_ascii_uppercase();
        birth_date_of(&number).ok_or(IdNumberError::BirthDate)?;
        if !number[17..].starts_with(check_char(&number[..17])) {
            return Err(IdNumberError::Checksum);
        }
        Ok(Self(number))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown in lists and wider-circulation exports, e.g. `440106********123X`.
    pub fn masked(&self) -> String {
        Self::mask_str(&self.0)
    }

    /// Masks a stored number as [`IdNumber::masked`] does; anything not 18 characters long
    /// (it cannot be a valid number) is hidden whole.
    pub fn mask_str(number: &str) -> String {
        match (number.get(..6), number.get(14..)) {
            (Some(head), Some(tail)) if number.len() == 18 => format!("{head}********{tail}"),
            _ => "*".repeat(number.chars().count()),
        }
    }

    pub fn birth_date(&self) -> Date {
        birth_date_of(&self.0).expect("checked when parsed")
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<IdNumber> for String {
    fn from(value: IdNumber) -> Self {
        value.0
    }
}

impl AsRef<str> for IdNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The check character (校验码) for the first 17 digits.
///
/// # Panics
/// When `first17` is not exactly 17 ASCII digits: callers build it themselves (demo data).
pub fn check_char(first17: &str) -> char {
    assert!(
        first17.len() == 17 && first17.bytes().all(|b| b.is_ascii_digit()),
        "check_char needs 17 ASCII digits"
    );
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// The birth date in characters 7-14, if it is a real date in 1900..=2100.
fn birth_date_of(number: &str) -> Option<Date> {
    let year: i32 = number.get(6..10)?.parse().ok()?;
    let month: u8 = number.get(10..12)?.parse().ok()?;
    let day: u8 = number.get(12..14)?.parse().ok()?;
    if !(1900..=2100).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Masks a phone number for display: first 3 and last 4 kept (`138****5678`);
/// anything too short to keep both is masked entirely.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 7;
    let mut masked: String = chars[..3].iter().collect();
    masked.push_str(&"*".repeat(hidden));
    masked.extend(&chars[chars.len() - 4..]);
    masked
}

/// Masks a name for people who need not know it in full: the first and last characters
/// kept (陈*伟, 欧**明), a two-character name keeps its first (陈*).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn valid(first17: &str) -> String {
        format!("{first17}{}", check_char(first17))
    }

    #[test]
    fn a_number_with_a_correct_check_char_and_birth_date_is_valid() {
        let cases = [
            "11010519491231002X".to_owned(),
            "440106198001010019".to_owned(),
            "440106200002291238".to_owned(),
            valid("44010619900101123"),
            valid("44011320101231000"),
            valid("11010519000101000"),
            valid("11010521001231000"),
        ];
        for number in cases {
            let parsed = IdNumber::parse(&number).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(parsed.as_str(), number);
        }
    }

    #[test]
    fn lowercase_x_and_surrounding_spaces_are_accepted_and_normalised() {
        let parsed = IdNumber::parse(" 11010519491231002x\t").unwrap();
        assert_eq!(parsed.as_str(), "11010519491231002X");
    }

    #[test]
    fn a_wrong_check_char_is_refused() {
        for number in [
            "110105194912310021",
            "440106198001010018",
            "44010619800101001X",
        ] {
            assert_eq!(
                IdNumber::parse(number),
                Err(IdNumberError::Checksum),
                "{number}"
            );
        }
    }

    #[test]
    fn a_birth_date_that_is_not_a_real_date_in_range_is_refused() {
        for first17 in [
            "44010619990229123", // not a leap year
            "44010620210230123", // 30 February
            "44010620211301123", // month 13
            "44010620210100123", // day 0
            "44052418800101001", // valid check code, but born before 1900
            "44010621010101123", // after 2100
        ] {
            assert_eq!(
                IdNumber::parse(&valid(first17)),
                Err(IdNumberError::BirthDate),
                "{first17}"
            );
        }
    }

    #[test]
    fn a_number_not_of_18_digits_with_a_final_x_is_a_format_error() {
        for number in [
            "",
            "11010519491231002",   // 17
            "11010519491231002XX", // 19
            "1101051949123100X2",  // X not last
            "11010519491231002Y",
            "A1010519491231002X",
            "110105 19491231002X",
            "１１０１０５１９４９１２３１００２Ｘ", // full-width digits
        ] {
            assert_eq!(
                IdNumber::parse(number),
                Err(IdNumberError::Format),
                "{number:?}"
            );
        }
    }

    #[test]
    fn every_id_number_error_has_a_chinese_message() {
        assert_eq!(
            IdNumberError::Format.to_string(),
            "身份证号应为18位，前17位为数字，最后一位为数字或X"
        );
        assert_eq!(
            IdNumberError::BirthDate.to_string(),
            "身份证号中的出生日期无效"
        );
        assert_eq!(IdNumberError::Checksum.to_string(), "身份证号校验码错误");
    }

    #[test]
    fn a_masked_number_keeps_the_first_six_and_last_four() {
        let number = IdNumber::parse(&valid("44010619900101123")).unwrap();
        let masked = number.masked();
        assert_eq!(masked.len(), 18);
        assert!(masked.starts_with("440106********123"));
        assert_eq!(&masked[14..], &number.as_str()[14..]);
    }

    #[test]
    fn the_birth_date_is_read_from_the_number() {
        let number = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(number.birth_date(), date!(1949 - 12 - 31));
    }

    #[test]
    fn an_id_number_serialises_as_a_string_and_deserialises_only_when_valid() {
        let number = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(
            serde_json::to_string(&number).unwrap(),
            "\"11010519491231002X\""
        );
        let back: IdNumber = serde_json::from_str("\"11010519491231002x\"").unwrap();
        assert_eq!(back, number);
        assert!(serde_json::from_str::<IdNumber>("\"110105194912310021\"").is_err());
    }

    #[test]
    fn a_phone_number_is_masked_except_its_first_three_and_last_four_digits() {
        let cases = [
            ("13812345678", "138****5678"),
            (" 13812345678 ", "138****5678"),
            ("02012345678", "020****5678"),
            ("12345678", "123*5678"),
            ("1234567", "*******"),
            ("123", "***"),
            ("", ""),
        ];
        for (phone, masked) in cases {
            assert_eq!(mask_phone(phone), masked, "{phone:?}");
        }
    }

    #[test]
    fn names_keep_their_first_and_last_characters() {
        let cases = [
            ("陈伟", "陈*"),
            ("陈小伟", "陈*伟"),
            ("欧阳小明", "欧**明"),
            (" 王 ", "*"),
            ("", ""),
        ];
        for (name, masked) in cases {
            assert_eq!(mask_name(name), masked, "{name:?}");
        }
    }

    #[test]
    #[should_panic(expected = "17 ASCII digits")]
    fn check_char_requires_seventeen_digits() {
        check_char("1234");
    }
}
