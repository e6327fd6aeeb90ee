//! The pure rules of the Guangzhou teachers' continuing-education notice (继续教育学时):
//! identities, hours, year policies, the ledger, verification and review. No I/O.

pub mod allowance;
pub mod archive;
pub mod authz;
pub mod cohort;
pub mod date_format;
pub mod districts;
pub mod duplicates;
#[macro_use]
pub mod enums;
pub mod evidence;
pub mod field_error;
pub mod hours;
pub mod id_number;
pub mod ledger;
pub mod policy;
pub mod public_topic;
pub mod reading;
pub mod review;
#[cfg(feature = "sqlx")]
mod sqlx_types;
pub mod text;
pub mod time_rules;
pub mod title;

pub use districts::district_order;
pub use enums::*;
pub use field_error::FieldError;
pub use hours::{Hours, HoursError, attended_hours_cap, hours_for_days_and_minutes};
pub use id_number::{IdNumber, IdNumberError, check_char, mask_name, mask_phone};
pub use ledger::{Outcome, RecordLine, YearTotals, evaluate, public_course_credit, year_totals};
pub use policy::*;
pub use public_topic::public_topic;
pub use review::{Decision, ReviewLevel, TransitionError};
pub use text::{TextKind, refuse_control_characters};
pub use time_rules::SHANGHAI;
pub use title::normalize_title;
