//! Daily snapshots of pending reviews, so reports can show the backlog over time.

use sqlx::{AnyConnection, Row};

use xueshi_domain::DeclarationStatus;

use super::reports::{Reach, push_pending_sums, push_reach};
use super::sql::Sql;
use crate::StoreResult;

/// Records today's pending counts per school (replacing an earlier snapshot of the same
/// day). Idempotent, so every server may run it.
pub async fn take(c: &mut AnyConnection, day: &str) -> StoreResult<u64> {
    let mut q = Sql::new("DELETE FROM pending_snapshots WHERE day = ");
    q.bind(day);
    q.execute(c).await?;
    let mut q = Sql::new(
        "INSERT INTO pending_snapshots (day, school_id, pending_school, pending_second) SELECT ",
    );
    q.bind(day).push(", school_id, ");
    push_pending_sums(&mut q, "");
    q.push(" FROM declaration_counts WHERE status IN ")
        .bind_codes(DeclarationStatus::IN_REVIEW)
        .push(" GROUP BY school_id");
    q.execute(c).await
}

/// Pending reviews per day since `from` (inclusive) over the schools within `reach`.
pub async fn series(
    c: &mut AnyConnection,
    from: &str,
    reach: &Reach<'_>,
) -> StoreResult<Vec<(String, i64, i64)>> {
    let mut q = Sql::new(
        "SELECT day, CAST(SUM(pending_school) AS BIGINT) AS school, \
         CAST(SUM(pending_second) AS BIGINT) AS second FROM pending_snapshots WHERE day >= ",
    );
    q.bind(from);
    push_reach(&mut q, "school_id", reach);
    q.push(" GROUP BY day ORDER BY day");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("day")?,
                r.try_get("school")?,
                r.try_get("second")?,
            ))
        })
        .collect()
}
