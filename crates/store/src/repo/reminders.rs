//! Reminder runs before the deadlines: the claim that makes each run happen once however many
//! servers try, the reviewers with pending declarations, and in-app notifications in bulk.

use sqlx::{AnyConnection, Row};
use xueshi_domain::{DeclarationStatus, OrgStatus, Role};

use super::sql::Sql;
use crate::StoreResult;

/// One reminder run: `days_before` days before the `deadline` (a policy deadline's name)
/// of `year`, which falls on `deadline_date`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderRun {
    pub year: i32,
    pub deadline: &'static str,
    pub deadline_date: String,
    pub days_before: i64,
}

/// Claims `run` for this server: true exactly once, for the first caller.
pub async fn claim(
    c: &mut AnyConnection,
    run: &ReminderRun,
    today: &str,
    now: i64,
) -> StoreResult<bool> {
    let mut q = Sql::new(
        "INSERT INTO reminder_runs (year, deadline, deadline_date, days_before, run_on, claimed_at) \
         VALUES (",
    );
    q.bind(run.year as i64)
        .push(", ")
        .bind(run.deadline)
        .push(", ");
    q.bind(run.deadline_date.as_str())
        .push(", ")
        .bind(run.days_before)
        .push(", ");
    q.bind(today)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (year, deadline, deadline_date, days_before) DO NOTHING");
    Ok(q.execute(c).await? == 1)
}

/// Notes how many notifications a claimed run wrote.
pub async fn finish(c: &mut AnyConnection, run: &ReminderRun, notified: i64) -> StoreResult<()> {
    let mut q = Sql::new("UPDATE reminder_runs SET notified = ");
    q.bind(notified)
        .push(" WHERE year = ")
        .bind(run.year as i64);
    q.push(" AND deadline = ")
        .bind(run.deadline)
        .push(" AND deadline_date = ");
    q.bind(run.deadline_date.as_str())
        .push(" AND days_before = ")
        .bind(run.days_before);
    q.execute(c).await?;
    Ok(())
}

/// A reviewer's account and how many declarations wait for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingReviewer {
    pub user_id: String,
    pub org_id: String,
    pub pending: i64,
}

/// Reviewers with declarations of `year` waiting at `level`: `school` (school admins with
/// `submitted` ones) or `second` (district admins, and city admins for city-affiliated
/// schools, with `school_approved` ones). Accounts of archived organisations are left out.
pub async fn pending_reviewers(
    c: &mut AnyConnection,
    year: i32,
    second: bool,
) -> StoreResult<Vec<PendingReviewer>> {
    let mut q = Sql::new(
        "SELECT u.id AS user_id, u.org_id, COUNT(*) AS pending FROM declarations d JOIN users u ON ",
    );
    let awaiting = if second {
        q.push("(d.city_affiliated = 0 AND u.role = ")
            .bind_code(Role::DistrictAdmin)
            .push(" AND u.org_id = d.district_id) OR (d.city_affiliated = 1 AND u.role = ")
            .bind_code(Role::CityAdmin)
            .push(")");
        DeclarationStatus::SchoolApproved
    } else {
        q.push("u.role = ")
            .bind_code(Role::SchoolAdmin)
            .push(" AND u.org_id = d.school_id");
        DeclarationStatus::Submitted
    };
    q.push(" JOIN orgs o ON o.id = u.org_id AND o.status = ")
        .bind_code(OrgStatus::Active)
        .push(" WHERE d.status = ")
        .bind_code(awaiting)
        .push(" AND d.year = ")
        .bind(year as i64)
        .push(" GROUP BY u.id, u.org_id ORDER BY u.id");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            Ok(PendingReviewer {
                user_id: row.try_get("user_id")?,
                org_id: row.try_get("org_id")?,
                pending: row.try_get("pending")?,
            })
        })
        .collect()
}

/// An in-app notification to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub target_id: Option<String>,
}

/// Writes notifications in multi-row statements of 500.
pub async fn notify(c: &mut AnyConnection, all: &[NewNotification], now: i64) -> StoreResult<()> {
    for chunk in all.chunks(500) {
        let mut q = Sql::new(
            "INSERT INTO notifications (id, user_id, kind, title, body, target_id, created_at) VALUES ",
        );
        for (i, n) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(n.id.as_str())
                .push(", ")
                .bind(n.user_id.as_str())
                .push(", ");
            q.bind(n.kind.as_str())
                .push(", ")
                .bind(n.title.as_str())
                .push(", ");
            q.bind(n.body.as_str())
                .push(", ")
                .bind(n.target_id.clone())
                .push(", ");
            q.bind(now).push(")");
        }
        q.execute(c).await?;
    }
    Ok(())
}
