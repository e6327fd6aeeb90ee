//! Property tests of the parsers people's input reaches: arbitrary text never panics, and
//! what is valid reads back as written.

use proptest::prelude::*;
use xueshi_domain::time_rules::{format_date, parse_date};
use xueshi_domain::{Hours, IdNumber, check_char, normalize_title};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_as_an_id_number_is_judged_without_panicking(s in any::<String>()) {
        if let Ok(id) = IdNumber::parse(&s) {
            prop_assert_eq!(id.as_str().len(), 18);
            prop_assert_eq!(id.masked().len(), 18);
        }
        let _ = IdNumber::mask_str(&s);
    }

    #[test]
    fn a_well_made_id_number_is_accepted_in_either_case(
        region in 110_000u32..660_000, year in 1940u32..2010, month in 1u32..=12,
        day in 1u32..=28, seq in 0u32..1000,
    ) {
        let first17 = format!("{region}{year}{month:02}{day:02}{seq:03}");
        let full = format!("{first17}{}", check_char(&first17));
        let id = IdNumber::parse(&full.to_lowercase()).unwrap();
        prop_assert_eq!(id.as_str(), full.as_str());
        // One wrong digit is always caught by the check character.
        let changed = (first17.as_bytes()[16] - b'0' + 1) % 10;
        let wrong = format!("{}{changed}{}", &first17[..16], &full[17..]);
        prop_assert!(IdNumber::parse(&wrong).is_err());
    }

    #[test]
    fn any_text_as_hours_is_judged_without_panicking(s in any::<String>()) {
        if let Ok(h) = Hours::parse_str(&s) {
            prop_assert!(h.tenths() > 0);
        }
    }

    #[test]
    fn hours_as_written_read_back(tenths in 1i64..=99_999) {
        let text = match tenths % 10 {
            0 => format!("{}", tenths / 10),
            tenth => format!("{}.{tenth}", tenths / 10),
        };
        let h = Hours::parse_str(&text).unwrap();
        prop_assert_eq!(h.tenths(), tenths);
        prop_assert_eq!(h.to_string(), text);
    }

    #[test]
    fn any_number_as_hours_is_judged_without_panicking(f in any::<f64>()) {
        let _ = Hours::parse_positive(f);
        let _ = Hours::parse_non_negative(f);
    }

    #[test]
    fn any_text_as_a_date_is_judged_without_panicking(s in any::<String>()) {
        if let Some(d) = parse_date(&s) {
            prop_assert_eq!(format_date(d), s);
        }
    }

    #[test]
    fn dates_as_written_read_back(year in 1900i32..2100, month in 1u8..=12, day in 1u8..=28) {
        let text = format!("{year:04}-{month:02}-{day:02}");
        prop_assert_eq!(parse_date(&text).map(format_date), Some(text));
    }

    #[test]
    fn title_normalisation_never_panics_and_is_idempotent(s in any::<String>()) {
        let once = normalize_title(&s);
        prop_assert_eq!(normalize_title(&once), once);
    }
}
