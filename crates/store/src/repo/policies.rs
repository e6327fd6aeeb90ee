use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};
use xueshi_domain::{ActivityType, CarryOver, Deadlines, Hours, Minimums, Policy, time_rules};

use super::sql::Sql;
use crate::models::parse;
use crate::{StoreError, StoreResult, now_ms};

/// Creates or replaces the policy of `policy.year`.
pub async fn upsert(c: &mut AnyConnection, p: &Policy) -> StoreResult<()> {
    let caps: BTreeMap<&str, i64> = p
        .activity_caps
        .iter()
        .map(|(k, v)| (k.as_str(), v.tenths()))
        .collect();
    let caps = serde_json::to_string(&caps).expect("a map of strings to integers serialises");
    let d = &p.deadlines;
    let mut q = Sql::new(
        "INSERT INTO policies (year, min_public, min_professional, min_elective, min_total, \
         declaration_deadline, registration_deadline, school_review_deadline, \
         district_review_deadline, carry_over_enabled, carry_over_cap, activity_caps, updated_at) VALUES (",
    );
    q.bind(p.year as i64)
        .push(", ")
        .bind(p.minimums.public.tenths())
        .push(", ");
    q.bind(p.minimums.professional.tenths())
        .push(", ")
        .bind(p.minimums.elective.tenths());
    q.push(", ").bind(p.minimums.total.tenths()).push(", ");
    for date in [
        d.declaration,
        d.registration,
        d.school_review,
        d.district_review,
    ] {
        q.bind(time_rules::format_date(date)).push(", ");
    }
    q.bind(p.carry_over.enabled)
        .push(", ")
        .bind(p.carry_over.cap.map(Hours::tenths));
    q.push(", ").bind(caps).push(", ").bind(now_ms()).push(
        ") ON CONFLICT (year) DO UPDATE SET min_public = excluded.min_public, \
         min_professional = excluded.min_professional, min_elective = excluded.min_elective, \
         min_total = excluded.min_total, declaration_deadline = excluded.declaration_deadline, \
         registration_deadline = excluded.registration_deadline, \
         school_review_deadline = excluded.school_review_deadline, \
         district_review_deadline = excluded.district_review_deadline, \
         carry_over_enabled = excluded.carry_over_enabled, carry_over_cap = excluded.carry_over_cap, \
         activity_caps = excluded.activity_caps, updated_at = excluded.updated_at",
    );
    q.execute(c).await?;
    Ok(())
}

/// The years that have a policy, oldest first.
pub async fn years(c: &mut AnyConnection) -> StoreResult<Vec<i32>> {
    let q = Sql::new("SELECT year FROM policies ORDER BY year");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| Ok(r.try_get::<i64, _>("year")? as i32))
        .collect()
}

pub async fn get(c: &mut AnyConnection, year: i32) -> StoreResult<Option<Policy>> {
    let mut q = Sql::new("SELECT * FROM policies WHERE year = ");
    q.bind(year as i64);
    let Some(row) = q.fetch_optional(c).await? else {
        return Ok(None);
    };
    let hours = |col: &str| -> StoreResult<Hours> { Ok(Hours::from_tenths(row.try_get(col)?)) };
    let date = |col: &str| -> StoreResult<time::Date> {
        let text: String = row.try_get(col)?;
        time_rules::parse_date(&text).ok_or_else(|| StoreError::Corrupt(format!("policies.{col}")))
    };
    let caps_text: String = row.try_get("activity_caps")?;
    let caps: BTreeMap<String, i64> = serde_json::from_str(&caps_text)
        .map_err(|e| StoreError::Corrupt(format!("policies.activity_caps: {e}")))?;
    let mut activity_caps = BTreeMap::new();
    for (k, v) in caps {
        activity_caps.insert(
            parse::<ActivityType>(&k, "policies.activity_caps")?,
            Hours::from_tenths(v),
        );
    }
    Ok(Some(Policy {
        year,
        minimums: Minimums {
            public: hours("min_public")?,
            professional: hours("min_professional")?,
            elective: hours("min_elective")?,
            total: hours("min_total")?,
        },
        deadlines: Deadlines {
            declaration: date("declaration_deadline")?,
            registration: date("registration_deadline")?,
            school_review: date("school_review_deadline")?,
            district_review: date("district_review_deadline")?,
        },
        carry_over: CarryOver {
            enabled: row.try_get::<i64, _>("carry_over_enabled")? != 0,
            cap: row
                .try_get::<Option<i64>, _>("carry_over_cap")?
                .map(Hours::from_tenths),
        },
        activity_caps,
    }))
}
