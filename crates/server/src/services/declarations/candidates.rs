//! The rows a duplicate check looks at, fetched once and shown to `domain::duplicates` as
//! its own types: the submission's refusal and the reviewers' warnings judge the same set.

use xueshi_domain::duplicates::{Claim, EffectiveRecord, Origin, OtherDeclaration, Period};
use xueshi_store::Conn;
use xueshi_store::models::{Declaration, Record};
use xueshi_store::repo::declarations;

use crate::error::AppResult;

pub struct Candidates {
    declarations: Vec<(Declaration, bool)>,
    records: Vec<Record>,
}

impl Candidates {
    /// The teacher's other declarations in `d`'s window or sharing one of its files, and the
    /// effective records from the year `d` starts in.
    pub async fn fetch(c: &mut Conn, d: &Declaration) -> AppResult<Candidates> {
        let declarations = declarations::duplicate_candidates(c, d).await?;
        let from_year = Period::parse(&d.start_date, &d.end_date)
            .map(|p| p.start.year())
            .unwrap_or(d.year);
        let records = declarations::effective_records_from(c, &d.teacher_id, from_year).await?;
        Ok(Candidates {
            declarations,
            records,
        })
    }

    /// `d` as a claim (`None` if its dates are not dates, which the form refuses), and the
    /// candidates as the rule sees them.
    pub fn view<'a>(
        &'a self,
        d: &'a Declaration,
    ) -> (
        Option<Claim<'a>>,
        Vec<OtherDeclaration<'a>>,
        Vec<EffectiveRecord<'a>>,
    ) {
        let claim = Period::parse(&d.start_date, &d.end_date).map(|period| Claim {
            id: &d.id,
            title: &d.title_normalized,
            period,
        });
        let declarations = self
            .declarations
            .iter()
            .map(|(o, shares_a_file)| OtherDeclaration {
                id: &o.id,
                title: &o.title,
                title_normalized: &o.title_normalized,
                status: o.status,
                record_stands: o.record_status == Some(xueshi_domain::RecordStatus::Approved),
                period: Period::parse(&o.start_date, &o.end_date),
                shares_a_file: *shares_a_file,
            })
            .collect();
        let records = self.records.iter().map(effective_record).collect();
        (claim, declarations, records)
    }

    /// The full record behind a candidate, for the warning's wording.
    pub fn record(&self, id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }
}

fn effective_record(r: &Record) -> EffectiveRecord<'_> {
    let origin = match (&r.training_id, &r.declaration_id) {
        (Some(_), _) => Origin::Organizer,
        (_, Some(id)) => Origin::Declaration(id),
        _ => Origin::Other,
    };
    EffectiveRecord {
        id: &r.id,
        title: &r.title,
        period: Period::of_record(r.year, r.start_date.as_deref(), r.end_date.as_deref()),
        origin,
    }
}
