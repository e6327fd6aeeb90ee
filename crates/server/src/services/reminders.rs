//! Reminders before the deadlines (SPEC §7), run by every server on a schedule. N days before
//! each deadline of a year (configured, e.g. 30, 7 and 1), teachers still short of a minimum
//! (live progress) are reminded before the declaration deadline, and reviewers with pending
//! declarations before the school and the district review deadlines. Each run is claimed
//! through a unique row, in the transaction that writes its notifications, so several servers
//! send it once; a server that was down catches up with the most recent reminder due.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use time::Date;
use xueshi_domain::authz::Scope;
use xueshi_domain::{Hours, Policy, ReviewLevel, mask_phone, time_rules};
use xueshi_store::repo::policies;
use xueshi_store::repo::reminders::{self, NewNotification, ReminderRun};
use xueshi_store::repo::reports::{self, Basis, Reach, ShortfallFilter};
use xueshi_store::{Db, now_ms};

use super::new_id;
use crate::error::AppResult;

/// A message for a person outside the platform (SMS or email).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    pub phone: Option<String>,
    pub title: String,
    pub body: String,
}

pub type Sending<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Sends reminders by SMS or email. Plug a real gateway in by implementing this.
pub trait Notifier: Send + Sync {
    fn send<'a>(&'a self, message: &'a Outbound) -> Sending<'a>;
}

/// Writes what would be sent to the log, phone numbers masked.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogNotifier;

/// How a message is logged: never a full phone number.
pub fn describe(message: &Outbound) -> String {
    let to = message.phone.as_deref().map_or("-".into(), mask_phone);
    format!("to {to}: {}", message.title)
}

impl Notifier for LogNotifier {
    fn send<'a>(&'a self, message: &'a Outbound) -> Sending<'a> {
        Box::pin(async move {
            tracing::info!(message = describe(message), "reminder (logged, not sent)");
            Ok(())
        })
    }
}

/// The deadlines that have reminders: their policy name and their Chinese label.
const DEADLINES: [(&str, &str); 3] = [
    ("declaration", "个人学时申报"),
    ("school_review", "学校初审"),
    ("district_review", "区（市）复审"),
];

fn deadline_date(policy: &Policy, name: &str) -> Date {
    match name {
        "declaration" => policy.deadlines.declaration,
        "school_review" => policy.deadlines.for_level(ReviewLevel::School),
        _ => policy.deadlines.for_level(ReviewLevel::Second),
    }
}

/// The reminders of `policy` due on `today`: for each deadline not yet over, the most recent
/// of `days` (days before it) whose day has come.
pub fn due(policy: &Policy, days: &[u32], today: Date) -> Vec<ReminderRun> {
    DEADLINES
        .iter()
        .filter_map(|(name, _)| {
            let date = deadline_date(policy, name);
            let left = (date - today).whole_days();
            let n = days
                .iter()
                .filter(|n| left >= 0 && left <= **n as i64)
                .min()?;
            Some(ReminderRun {
                year: policy.year,
                deadline: name,
                deadline_date: time_rules::format_date(date),
                days_before: *n as i64,
            })
        })
        .collect()
}

/// One finished run and how many people it notified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub run: ReminderRun,
    pub notified: usize,
}

/// Sends every reminder due on `today` that no server has sent yet.
pub async fn run_due(
    db: &Db,
    notifier: &dyn Notifier,
    days: &[u32],
    today: Date,
) -> AppResult<Vec<Sent>> {
    let mut policies_near = Vec::new();
    {
        let mut c = db.pool().acquire().await?;
        for year in today.year() - 1..=today.year() + 1 {
            if let Some(p) = policies::get(&mut c, year).await? {
                policies_near.push(p);
            }
        }
    }
    let mut sent = Vec::new();
    for policy in &policies_near {
        for run in due(policy, days, today) {
            if let Some(done) = send(db, notifier, policy, run, today).await? {
                sent.push(done);
            }
        }
    }
    Ok(sent)
}

fn hours_text(lacking: [(&str, Hours); 4]) -> String {
    lacking
        .iter()
        .filter(|(_, h)| !h.is_zero())
        .map(|(label, h)| format!("{label}{h}学时"))
        .collect::<Vec<_>>()
        .join("、")
}

/// Claims and sends one run; `None` when another server (or an earlier tick) has it.
async fn send(
    db: &Db,
    notifier: &dyn Notifier,
    policy: &Policy,
    run: ReminderRun,
    today: Date,
) -> AppResult<Option<Sent>> {
    let date = deadline_date(policy, run.deadline);
    let left = (date - today).whole_days();
    let label = DEADLINES
        .iter()
        .find(|(n, _)| *n == run.deadline)
        .map_or("", |(_, l)| *l);
    let when = if left == 0 {
        "今天".to_owned()
    } else {
        format!("还有{left}天")
    };
    let year = policy.year;
    let title = format!("{year}年度{label}将于{}截止", run.deadline_date);
    let kind = format!("reminder.{}", run.deadline);
    let mut tx = db.begin().await?;
    if !reminders::claim(&mut tx, &run, &time_rules::format_date(today), now_ms()).await? {
        return Ok(None);
    }
    let mut notes = Vec::new();
    let mut outbound = Vec::new();
    if run.deadline == "declaration" {
        let reach = Reach {
            scope: &Scope::All,
            district_id: None,
            school_id: None,
        };
        let filter = ShortfallFilter {
            active_only: true,
            ..ShortfallFilter::default()
        };
        let m = &policy.minimums;
        for s in reports::shortfalls(
            &mut tx,
            db.vault(),
            Basis::Live(policy),
            policy,
            &reach,
            &filter,
        )
        .await?
        {
            let Some(user_id) = s.user_id else { continue };
            let h = s.hours;
            let lacking = hours_text([
                ("公需科目", m.public.saturating_sub(h.public)),
                ("专业科目", m.professional.saturating_sub(h.professional)),
                ("个人选修科目", m.elective.saturating_sub(h.elective)),
                ("总学时", m.total.saturating_sub(h.total)),
            ]);
            let body = format!(
                "{}老师：距{year}年度{label}截止（{}）{when}。您的学时尚差：{lacking}。请尽快完成学习并申报。",
                s.name, run.deadline_date
            );
            outbound.push(Outbound {
                phone: s.phone.clone(),
                title: title.clone(),
                body: body.clone(),
            });
            notes.push(NewNotification {
                id: new_id(),
                user_id,
                kind: kind.clone(),
                title: title.clone(),
                body,
                target_id: Some(s.teacher_id),
            });
        }
    } else {
        let second = run.deadline == "district_review";
        for r in reminders::pending_reviewers(&mut tx, year, second).await? {
            let body = format!(
                "您有 {} 条{year}年度学时申报待{label}，截止日期为{}（{when}），请及时处理。",
                r.pending, run.deadline_date
            );
            notes.push(NewNotification {
                id: new_id(),
                user_id: r.user_id,
                kind: kind.clone(),
                title: title.clone(),
                body,
                target_id: Some(r.org_id),
            });
        }
    }
    reminders::notify(&mut tx, &notes, now_ms()).await?;
    reminders::finish(&mut tx, &run, notes.len() as i64).await?;
    tx.commit().await?;
    for message in outbound.iter().filter(|m| m.phone.is_some()) {
        if let Err(e) = notifier.send(message).await {
            tracing::warn!(error = %e, message = describe(message), "reminder not sent");
        }
    }
    tracing::info!(
        year,
        deadline = run.deadline,
        days_before = run.days_before,
        notified = notes.len(),
        "reminders sent"
    );
    Ok(Some(Sent {
        run,
        notified: notes.len(),
    }))
}

/// Checks for due reminders every hour, for as long as the server runs.
pub async fn run_forever(db: Db, days: Vec<u32>, notifier: std::sync::Arc<dyn Notifier>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let today = time_rules::business_date(time::OffsetDateTime::now_utc());
        if let Err(e) = run_due(&db, notifier.as_ref(), &days, today).await {
            tracing::warn!(error = %e, "reminder run failed");
        }
        if let Err(e) = crate::services::reports::snapshot_pending(&db, today).await {
            tracing::warn!(error = %e, "pending snapshot failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn days_before(policy: &Policy, today: Date) -> Vec<(&'static str, i64)> {
        due(policy, &[30, 7, 1], today)
            .into_iter()
            .map(|r| (r.deadline, r.days_before))
            .collect()
    }

    #[test]
    fn the_most_recent_reminder_of_each_deadline_is_due() {
        let p = Policy::guangzhou_2021();
        assert_eq!(days_before(&p, date!(2021 - 11 - 30)), []);
        assert_eq!(
            days_before(&p, date!(2021 - 12 - 01)),
            [("declaration", 30)]
        );
        assert_eq!(
            days_before(&p, date!(2021 - 12 - 24)),
            [
                ("declaration", 7),
                ("school_review", 30),
                ("district_review", 30)
            ],
            "7 days before the declaration deadline, its 30-day reminder is stale"
        );
        assert_eq!(
            days_before(&p, date!(2021 - 12 - 31)),
            [
                ("declaration", 1),
                ("school_review", 30),
                ("district_review", 30)
            ]
        );
        assert_eq!(
            days_before(&p, date!(2022 - 01 - 08)),
            [("school_review", 1), ("district_review", 7)]
        );
        assert_eq!(
            days_before(&p, date!(2022 - 01 - 14)),
            [],
            "all deadlines over"
        );
    }

    #[test]
    fn a_logged_message_never_shows_a_whole_phone_number() {
        let m = Outbound {
            phone: Some("13812345678".into()),
            title: "提醒".into(),
            body: String::new(),
        };
        let text = describe(&m);
        assert!(!text.contains("13812345678"), "{text}");
        assert!(text.contains("138****5678"), "{text}");
    }
}
