//! What each image of the set states and how its photo was taken: `truth.json` beside the
//! images, the same for generated and for hand-made ones.

use serde::{Deserialize, Serialize};

/// The fields a certificate states, as the reader should give them (dates `YYYY-MM-DD`,
/// hours as printed); `None` where the certificate does not state the field.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub kind: String,
    pub hours: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub title: Option<String>,
    pub organizer: Option<String>,
    pub name: Option<String>,
    pub is_chinese: bool,
}

/// How legible the photo was made: the blur and darkness it was given, so the quality check
/// can be judged against them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// A flat scan or screenshot.
    Scan,
    /// A phone photo: on a desk, tilted, in perspective, unevenly lit, JPEG-compressed.
    Photo,
    /// Out of focus (Gaussian σ ≥ 2.5 px at a 1,000 px long side): should be flagged.
    Blurred,
    /// Between (σ 1.5–2.2): judged by neither blur figure.
    Borderline,
    /// Too dark to read: should be flagged.
    Dark,
    /// Too few pixels: should be flagged.
    Small,
}

impl Condition {
    /// Whether the teacher should be told to photograph it again; `None` for borderline.
    pub fn unclear(self) -> Option<bool> {
        match self {
            Condition::Scan | Condition::Photo => Some(false),
            Condition::Blurred | Condition::Dark | Condition::Small => Some(true),
            Condition::Borderline => None,
        }
    }
}

/// One image of the set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub file: String,
    pub condition: Condition,
    /// What was done to the page, for reading the results (e.g. `rot 4.2° persp blur 0.8`).
    pub made: String,
    #[serde(flatten)]
    pub truth: Truth,
}

/// The name of the set's index file.
pub const INDEX: &str = "truth.json";
