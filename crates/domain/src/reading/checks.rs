//! A declaration held against what its certificate says, for the reviewer: fewer hours on the
//! certificate than declared (学时不符), dates outside its period, another name on it, no
//! hours on it and no hours proof attached (无明确培训时间需附学时证明), not in Chinese and
//! no translation attached (境外非中文证书需附翻译件). Hints only: a misreading must never
//! refuse anything, so each check needs a reading sure enough to stand on.

use serde::Serialize;
use time::Date;

use super::CertificateFields;
use crate::hours::Hours;

/// What the declaration says, and what is attached to it.
#[derive(Clone, Debug)]
pub struct Claim<'a> {
    pub hours: Hours,
    pub start: Date,
    pub end: Date,
    pub teacher_name: &'a str,
    pub has_translation: bool,
    pub has_hours_proof: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CertificateCheck {
    #[serde(rename = "certificate_hours_lower")]
    HoursLower,
    #[serde(rename = "certificate_dates_outside")]
    DatesOutside,
    #[serde(rename = "certificate_name_differs")]
    NameDiffers,
    #[serde(rename = "certificate_no_hours")]
    NoHours,
    #[serde(rename = "certificate_not_chinese")]
    NotChinese,
}

impl CertificateCheck {
    pub const fn code(self) -> &'static str {
        match self {
            Self::HoursLower => "certificate_hours_lower",
            Self::DatesOutside => "certificate_dates_outside",
            Self::NameDiffers => "certificate_name_differs",
            Self::NoHours => "certificate_no_hours",
            Self::NotChinese => "certificate_not_chinese",
        }
    }
}

/// Below this the value read is too unsure to hold anything against.
const SURE: f32 = 0.6;
/// Enough letters read (see `is_chinese`'s confidence) for the text to count as legible.
pub const LEGIBLE: f32 = 0.5;

/// The checks the certificate's reading fails, in a fixed order.
pub fn certificate_checks(claim: &Claim<'_>, read: &CertificateFields) -> Vec<CertificateCheck> {
    let mut found = Vec::new();
    let legible = read.is_chinese.confidence >= LEGIBLE;
    match &read.hours {
        Some(h) if h.confidence >= SURE && h.value < claim.hours => {
            found.push(CertificateCheck::HoursLower);
        }
        None if legible && !claim.has_hours_proof => found.push(CertificateCheck::NoHours),
        _ => {}
    }
    if let (Some(start), Some(end)) = (&read.start_date, &read.end_date)
        && start.confidence >= SURE
        && (claim.start < start.value || claim.end > end.value)
    {
        found.push(CertificateCheck::DatesOutside);
    }
    if let Some(name) = &read.name
        && name.confidence >= SURE
        && plain(&name.value) != plain(claim.teacher_name)
    {
        found.push(CertificateCheck::NameDiffers);
    }
    if legible && !read.is_chinese.value && !claim.has_translation {
        found.push(CertificateCheck::NotChinese);
    }
    found
}

/// A name without the spaces and middle dots OCR and typists vary.
fn plain(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '·' && *c != '•')
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::reading::read_certificate;

    const CERTIFICATE: &str = "兹证明陈伟同志于2021年3月5日至7日参加《信息技术应用能力提升》培训，\
        经考核合格，共计24学时，特发此证。广州市教育研究院";

    fn claim() -> Claim<'static> {
        Claim {
            hours: Hours::from_whole(24),
            start: date!(2021 - 03 - 05),
            end: date!(2021 - 03 - 07),
            teacher_name: "陈伟",
            has_translation: false,
            has_hours_proof: false,
        }
    }

    #[test]
    fn a_declaration_is_held_against_what_its_certificate_says() {
        use CertificateCheck::*;
        let cases: Vec<(&str, Claim, &str, Vec<CertificateCheck>)> = vec![
            ("as declared", claim(), CERTIFICATE, vec![]),
            (
                "fewer declared is fine",
                Claim {
                    hours: Hours::from_whole(16),
                    ..claim()
                },
                CERTIFICATE,
                vec![],
            ),
            (
                "more declared",
                Claim {
                    hours: Hours::from_whole(32),
                    ..claim()
                },
                CERTIFICATE,
                vec![HoursLower],
            ),
            (
                "inside the period",
                Claim {
                    start: date!(2021 - 03 - 06),
                    ..claim()
                },
                CERTIFICATE,
                vec![],
            ),
            (
                "ends after it",
                Claim {
                    end: date!(2021 - 03 - 08),
                    ..claim()
                },
                CERTIFICATE,
                vec![DatesOutside],
            ),
            (
                "starts before it",
                Claim {
                    start: date!(2021 - 03 - 01),
                    ..claim()
                },
                CERTIFICATE,
                vec![DatesOutside],
            ),
            (
                "another name",
                Claim {
                    teacher_name: "李敏",
                    ..claim()
                },
                CERTIFICATE,
                vec![NameDiffers],
            ),
            (
                "a name spaced otherwise",
                Claim {
                    teacher_name: "陈 伟",
                    ..claim()
                },
                CERTIFICATE,
                vec![],
            ),
            (
                "no hours on it",
                claim(),
                "兹证明陈伟同志参加《信息技术应用能力提升》培训，经考核合格，特发此证。广州市教育研究院",
                vec![NoHours],
            ),
            (
                "no hours on it, a proof attached",
                Claim {
                    has_hours_proof: true,
                    ..claim()
                },
                "兹证明陈伟同志参加《信息技术应用能力提升》培训，经考核合格，特发此证。广州市教育研究院",
                vec![],
            ),
            (
                "in English",
                claim(),
                "Certificate of Completion. This certifies that the holder completed the workshop on classroom assessment.",
                vec![NoHours, NotChinese],
            ),
            (
                "in English, translated and with a proof",
                Claim {
                    has_translation: true,
                    has_hours_proof: true,
                    ..claim()
                },
                "Certificate of Completion. This certifies that the holder completed the workshop on classroom assessment.",
                vec![],
            ),
            // Too little was read to hold anything against the declaration.
            ("illegible", claim(), "结业 证", vec![]),
            ("nothing read", claim(), "", vec![]),
        ];
        for (what, claim, text, expected) in cases {
            assert_eq!(
                certificate_checks(&claim, &read_certificate(text)),
                expected,
                "{what}"
            );
        }
    }

    #[test]
    fn each_check_has_the_apis_warning_code() {
        for check in [
            CertificateCheck::HoursLower,
            CertificateCheck::DatesOutside,
            CertificateCheck::NameDiffers,
            CertificateCheck::NoHours,
            CertificateCheck::NotChinese,
        ] {
            assert_eq!(
                serde_json::to_value(check).unwrap(),
                serde_json::json!(check.code())
            );
        }
    }
}
