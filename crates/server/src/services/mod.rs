//! Services: the use cases, shared by the JSON API, the web UI and the CLI. Each checks
//! permission through `xueshi_domain::authz`, validates, and writes its changes and their
//! audit entry in one transaction.

pub mod allowance;
pub mod announcements;
pub mod archive;
pub mod audit_log;
pub mod auth;
pub mod certificates;
pub mod correction_reminders;
pub mod corrections;
pub mod courses;
pub mod credentials;
pub mod declarations;
pub mod evidence;
pub mod evidence_hashing;
pub mod evidence_reading;
pub mod evidence_staging;
pub mod exports;
pub mod job_runner;
pub mod jobs;
pub mod notifications;
pub mod notifier;
pub mod orgs;
pub mod policies;
pub mod reading_view;
pub mod reconciliation;
pub mod records;
pub mod reminders;
pub mod report_tables;
pub mod reports;
pub mod request_decision;
pub mod reviews;
pub mod school_applications;
pub mod sheet;
pub mod sign_in;
pub mod teacher_todo;
pub mod teachers;
pub mod thumbnails;
pub mod trainings;
pub mod transfers;
pub mod users;
pub mod verification;

use xueshi_domain::authz::{Action, Actor, role_allows};
use xueshi_store::models::{Declaration, Org};
use xueshi_store::repo::audit::{self, NewAudit};
use xueshi_store::{Conn, StoreResult};

use crate::error::{AppError, AppResult};

/// Who is acting, and from where.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub actor: Actor,
    pub ip: String,
}

impl Ctx {
    /// The command line acting for the city: full scope, audited as `system` from `cli`.
    pub async fn system(db: &xueshi_store::Db) -> AppResult<Ctx> {
        let mut c = db.pool().acquire().await?;
        let city = xueshi_store::repo::orgs::city(&mut c).await?;
        let actor = Actor {
            user_id: "system".into(),
            role: xueshi_domain::Role::CityAdmin,
            org_id: city.id,
            district_id: None,
            teacher_id: None,
        };
        Ok(Ctx {
            actor,
            ip: "cli".into(),
        })
    }

    /// Refuses with 403 a role that may never perform `action`.
    pub fn require(&self, action: Action) -> AppResult<()> {
        if role_allows(self.actor.role, action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Where an audit entry about something in `org` is filed, so that the district and the
/// school it concerns can read it. City-affiliated schools are the city's alone.
pub struct Place {
    pub district_id: Option<String>,
    pub school_id: Option<String>,
}

impl Place {
    pub fn of(org: &Org) -> Place {
        let district_id = if org.city_affiliated {
            None
        } else {
            org.district_id.clone()
        };
        let school_id = (org.kind == xueshi_domain::OrgKind::School).then(|| org.id.clone());
        Place {
            district_id,
            school_id,
        }
    }

    /// Where entries about a declaration go: the school it is filed under, which it copies
    /// (with the school's district) and keeps current when its teacher transfers.
    pub fn of_declaration(d: &Declaration) -> Place {
        Place {
            district_id: if d.city_affiliated {
                None
            } else {
                d.district_id.clone()
            },
            school_id: Some(d.school_id.clone()),
        }
    }

    pub fn nowhere() -> Place {
        Place {
            district_id: None,
            school_id: None,
        }
    }
}

/// Appends one audit entry inside the caller's transaction.
pub async fn record(
    c: &mut Conn,
    v: &xueshi_store::Vault,
    ctx: &Ctx,
    action: &str,
    target: (&str, &str),
    place: &Place,
    detail: serde_json::Value,
) -> StoreResult<()> {
    audit::insert(
        c,
        v,
        &NewAudit {
            actor_id: Some(&ctx.actor.user_id),
            ip: Some(&ctx.ip),
            action,
            target_type: target.0,
            target_id: target.1,
            detail,
            district_id: place.district_id.as_deref(),
            school_id: place.school_id.as_deref(),
        },
    )
    .await
}

/// Trims a required text field and bounds its length, or explains what is wrong.
pub fn required_text(
    field: &str,
    label: &str,
    value: &str,
    max_chars: usize,
    errors: &mut Vec<xueshi_domain::FieldError>,
) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(xueshi_domain::FieldError::new(
            field,
            format!("{label}不能为空"),
        ));
    } else if trimmed.chars().count() > max_chars {
        errors.push(xueshi_domain::FieldError::new(
            field,
            format!("{label}不能超过{max_chars}个字符"),
        ));
    }
    trimmed.to_owned()
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A stored unix-millisecond time as a moment (the epoch if out of range).
pub fn moment(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The business (Shanghai) date of a stored time.
pub fn date_of(ms: i64) -> time::Date {
    xueshi_domain::time_rules::business_date(moment(ms))
}

/// A stored unix-millisecond time as RFC 3339 in the business time zone.
pub fn time_text(ms: i64) -> String {
    xueshi_domain::time_rules::format_rfc3339_shanghai(moment(ms))
}
