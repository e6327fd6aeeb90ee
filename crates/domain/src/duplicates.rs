//! 已登记学时不得重复申报: a submission is refused when the same learning is already
//! registered or under review, and reviewers are warned of what merely looks alike. The store
//! fetches the teacher's candidates (declarations in the date window or sharing a file, and
//! effective records); the rule is here.

use time::{Date, Month};

use crate::enums::DeclarationStatus;
use crate::title::normalize_title;

/// A period of learning, both days included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    /// `YYYY-MM-DD` dates, or `None` when either is not one.
    pub fn parse(start: &str, end: &str) -> Option<Period> {
        Some(Period {
            start: crate::time_rules::parse_date(start)?,
            end: crate::time_rules::parse_date(end)?,
        })
    }

    /// A record's period; one without dates (a course, a carry-over) spans its credit year.
    pub fn of_record(year: i32, start: Option<&str>, end: Option<&str>) -> Option<Period> {
        let first = Date::from_calendar_date(year, Month::January, 1).ok()?;
        let last = Date::from_calendar_date(year, Month::December, 31).ok()?;
        let day = |s: Option<&str>, default| match s {
            Some(s) => crate::time_rules::parse_date(s),
            None => Some(default),
        };
        Some(Period {
            start: day(start, first)?,
            end: day(end, last)?,
        })
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        self.start <= other.end && self.end >= other.start
    }
}

/// The declaration being submitted or reviewed.
#[derive(Clone, Copy, Debug)]
pub struct Claim<'a> {
    pub id: &'a str,
    /// Normalised ([`normalize_title`]).
    pub title: &'a str,
    pub period: Period,
}

/// Another declaration of the same teacher.
#[derive(Clone, Debug)]
pub struct OtherDeclaration<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// Normalised.
    pub title_normalized: &'a str,
    pub status: DeclarationStatus,
    /// Its effective record has not been revoked.
    pub record_stands: bool,
    pub period: Option<Period>,
    /// It holds a file identical to one of the claim's.
    pub shares_a_file: bool,
}

/// Where an effective record came from, for the refusal's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    /// An organiser registered the attendance.
    Organizer,
    /// An approved declaration.
    Declaration(&'a str),
    /// A course completion or a carry-over.
    Other,
}

/// One of the teacher's effective records (有效学时), carry-overs included.
#[derive(Clone, Debug)]
pub struct EffectiveRecord<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub period: Option<Period>,
    pub origin: Origin<'a>,
}

impl EffectiveRecord<'_> {
    fn declaration_id(&self) -> Option<&str> {
        match self.origin {
            Origin::Declaration(id) => Some(id),
            _ => None,
        }
    }
}

/// Why a submission is refused, and the existing item it repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocker<'a> {
    /// A file identical to one of another declaration under review, or approved while its
    /// record stands (the same certificate declared twice).
    SameFile { declaration_id: &'a str },
    /// Another declaration under review with the same title and overlapping dates.
    SameTitle { declaration_id: &'a str },
    /// An effective record with the same title and overlapping dates.
    Registered {
        record_id: &'a str,
        title: &'a str,
        origin: Origin<'a>,
    },
}

impl Blocker<'_> {
    /// The id a duplicate refusal names: the declaration, or the record when it has none.
    pub fn existing_id(&self) -> &str {
        match *self {
            Blocker::SameFile { declaration_id } | Blocker::SameTitle { declaration_id } => {
                declaration_id
            }
            Blocker::Registered {
                origin: Origin::Declaration(id),
                ..
            } => id,
            Blocker::Registered { record_id, .. } => record_id,
        }
    }

    pub fn message(&self) -> String {
        match *self {
            Blocker::SameFile { .. } => {
                "证明材料与您已申报的另一项学时使用的文件完全相同，不得重复申报".into()
            }
            Blocker::SameTitle { .. } => "您已申报过同名且时间重叠的学习活动，不得重复申报".into(),
            Blocker::Registered { title, origin, .. } => match origin {
                Origin::Organizer => format!("主办单位已为您登记“{title}”的学时，不得重复申报"),
                Origin::Declaration(_) => format!("“{title}”的学时已审核通过，不得重复申报"),
                Origin::Other => format!("您已有“{title}”的有效学时，不得重复申报"),
            },
        }
    }
}

/// Declarations a duplicate check passes over: never filed (草稿) or taken back (已撤回).
pub const PASSED_OVER: [DeclarationStatus; 2] =
    [DeclarationStatus::Draft, DeclarationStatus::Withdrawn];

fn overlaps(claim: &Claim, period: Option<Period>) -> bool {
    period.is_some_and(|p| p.overlaps(&claim.period))
}

/// The first reason `claim` repeats learning already declared or registered: identical files
/// first, then titles among declarations (in the order given), then effective records.
pub fn blocking_duplicate<'a>(
    claim: &Claim,
    declarations: &[OtherDeclaration<'a>],
    records: &[EffectiveRecord<'a>],
) -> Option<Blocker<'a>> {
    let others = || declarations.iter().filter(|o| o.id != claim.id);
    if let Some(o) = others().find(|o| {
        o.shares_a_file
            && (o.status.in_review()
                || (o.status == DeclarationStatus::Approved && o.record_stands))
    }) {
        return Some(Blocker::SameFile {
            declaration_id: o.id,
        });
    }
    if let Some(o) = others().find(|o| {
        o.status.in_review() && o.title_normalized == claim.title && overlaps(claim, o.period)
    }) {
        return Some(Blocker::SameTitle {
            declaration_id: o.id,
        });
    }
    records
        .iter()
        .find(|r| normalize_title(r.title) == claim.title && overlaps(claim, r.period))
        .map(|r| Blocker::Registered {
            record_id: r.id,
            title: r.title,
            origin: r.origin,
        })
}

/// What a reviewer is warned of (possible duplicates, never refused): the teacher's other
/// declarations — drafts and withdrawn ones aside — and effective records, other than the
/// claim's own, whose dates overlap and whose titles are similar.
pub fn possible_duplicates<'o, 'a>(
    claim: &Claim,
    declarations: &'o [OtherDeclaration<'a>],
    records: &'o [EffectiveRecord<'a>],
) -> (Vec<&'o OtherDeclaration<'a>>, Vec<&'o EffectiveRecord<'a>>) {
    let alike = declarations
        .iter()
        .filter(|o| {
            o.id != claim.id
                && !PASSED_OVER.contains(&o.status)
                && overlaps(claim, o.period)
                && similar_titles(o.title_normalized, claim.title)
        })
        .collect();
    let registered = records
        .iter()
        .filter(|r| {
            r.declaration_id() != Some(claim.id)
                && overlaps(claim, r.period)
                && similar_titles(&normalize_title(r.title), claim.title)
        })
        .collect();
    (alike, registered)
}

/// Titles that are the same once normalised, one containing the other (at least four
/// characters), or sharing most of their character pairs (Dice coefficient ≥ 0.6).
pub fn similar_titles(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (a, b)
    } else {
        (b, a)
    };
    if short.chars().count() >= 4 && long.contains(short) {
        return true;
    }
    let pairs = |s: &str| -> std::collections::HashSet<(char, char)> {
        let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (x, y) = (pairs(a), pairs(b));
    if x.is_empty() || y.is_empty() {
        return false;
    }
    let shared = x.intersection(&y).count();
    (2 * shared) as f64 / (x.len() + y.len()) as f64 >= 0.6
}

#[cfg(test)]
mod tests;
