//! The continuing-education archive (继续教育档案, the notice 五(二)2): a teacher's every year
//! — the verification's result, or that the year is not verified yet, and its records — as
//! one PDF, a page for each year, in the certificate's fonts.

use typst::foundations::{Array, Dict, IntoValue, Smart, Value};
use typst_pdf::{PdfOptions, Timestamp};

use super::{CertificateError, Renderer, diagnostics, document_date};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveData {
    pub name: String,
    pub id_number_masked: String,
    /// The teacher's school now.
    pub school: String,
    /// Who keeps the archive, e.g. 广州市教育局.
    pub issuer: String,
    /// e.g. `2026年12月3日`; also the PDF's date.
    pub printed_on: String,
    /// Oldest first.
    pub years: Vec<ArchiveYear>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveYear {
    pub year: i32,
    /// `合格`, `不合格` or `未验证`.
    pub status: String,
    pub passed: bool,
    /// A line under the result (where the year was verified, or what is still open).
    pub note: String,
    pub public: String,
    pub professional: String,
    pub elective: String,
    pub total: String,
    pub carried_in: String,
    pub carry_out: String,
    pub records: Vec<ArchiveRecord>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArchiveRecord {
    pub dates: String,
    pub title: String,
    pub category: String,
    pub hours: String,
    pub source: String,
}

fn text(s: &str) -> Value {
    s.into_value()
}

fn year_value(y: &ArchiveYear) -> Value {
    let mut d = Dict::new();
    d.insert("year".into(), text(&y.year.to_string()));
    d.insert("status".into(), text(&y.status));
    d.insert("passed".into(), text(if y.passed { "yes" } else { "no" }));
    d.insert("note".into(), text(&y.note));
    for (key, value) in [
        ("public", &y.public),
        ("professional", &y.professional),
        ("elective", &y.elective),
        ("total", &y.total),
        ("carried_in", &y.carried_in),
        ("carry_out", &y.carry_out),
    ] {
        d.insert(key.into(), text(value));
    }
    let records: Array = y
        .records
        .iter()
        .map(|r| {
            let mut rd = Dict::new();
            rd.insert("dates".into(), text(&r.dates));
            rd.insert("title".into(), text(&r.title));
            rd.insert("category".into(), text(&r.category));
            rd.insert("hours".into(), text(&r.hours));
            rd.insert("source".into(), text(&r.source));
            rd.into_value()
        })
        .collect();
    d.insert("records".into(), records.into_value());
    d.into_value()
}

impl Renderer {
    /// Renders the archive as an A4 PDF, a page (or more, for a long year) for each year.
    pub fn render_archive(&self, data: &ArchiveData) -> Result<Vec<u8>, CertificateError> {
        let (year, month, day) = document_date(&data.printed_on);
        let span = match (data.years.first(), data.years.last()) {
            (Some(first), Some(last)) if first.year != last.year => {
                format!("{}—{}年度", first.year, last.year)
            }
            (Some(only), _) => format!("{}年度", only.year),
            _ => "—".to_owned(),
        };
        let mut inputs = Dict::new();
        for (key, value) in [
            ("name", &data.name),
            ("id_number_masked", &data.id_number_masked),
            ("school", &data.school),
            ("issuer", &data.issuer),
            ("printed_on", &data.printed_on),
            ("span", &span),
            ("serif", &self.serif),
            ("sans", &self.sans),
        ] {
            inputs.insert(key.into(), text(value));
        }
        inputs.insert("date_year".into(), (year as i64).into_value());
        inputs.insert("date_month".into(), (month as i64).into_value());
        inputs.insert("date_day".into(), (day as i64).into_value());
        let years: Array = data.years.iter().map(year_value).collect();
        inputs.insert("years".into(), years.into_value());
        let document = self.typeset_with(&self.archive_engine, inputs)?;
        let date = typst::foundations::Datetime::from_ymd(year, month, day)
            .ok_or_else(|| CertificateError::Pdf("invalid date".into()))?;
        let options = PdfOptions {
            ident: Smart::Custom(format!("xueshi-archive-{}", data.id_number_masked)),
            timestamp: Some(Timestamp::new_utc(date)),
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|e| CertificateError::Pdf(diagnostics(&e)))
    }
}
