use sqlx::AnyConnection;
use xueshi_domain::authz::Scope;

use super::clamp_limit;
use super::orgs::page;
use super::scope::{Placement, push_scope};
use super::sql::Sql;
use crate::StoreResult;
use crate::models::{Page, Training, read};

pub async fn insert(c: &mut AnyConnection, t: &Training) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO trainings (id, title, organizer_id, level, category, activity_type, \
         start_date, end_date, year, hours, created_at) VALUES (",
    );
    q.bind(t.id.as_str())
        .push(", ")
        .bind(t.title.as_str())
        .push(", ");
    q.bind(t.organizer_id.as_str())
        .push(", ")
        .bind(t.level.as_str())
        .push(", ");
    q.bind(t.category.as_str())
        .push(", ")
        .bind(t.activity_type.as_str())
        .push(", ");
    q.bind(t.start_date.as_str())
        .push(", ")
        .bind(t.end_date.as_str())
        .push(", ");
    q.bind(t.year as i64)
        .push(", ")
        .bind(t.hours.tenths())
        .push(", ")
        .bind(t.created_at)
        .push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Training>> {
    let mut q = Sql::new("SELECT * FROM trainings WHERE id = ");
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Training>(&r))
        .transpose()
}

/// Events organised inside the scope: a district's own and its schools' and providers'.
pub async fn list(
    c: &mut AnyConnection,
    scope: &Scope,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> StoreResult<Page<Training>> {
    let limit = clamp_limit(limit);
    let mut q = Sql::new("SELECT * FROM trainings WHERE 1 = 1");
    let organised = Placement {
        provider: Some("organizer_id"),
        ..Placement::of_org("organizer_id")
    };
    push_scope(&mut q, scope, &[organised]);
    if let Some(cursor) = cursor {
        q.push(" AND id > ").bind(cursor);
    }
    q.push(" ORDER BY id LIMIT ").bind(limit + 1);
    let mut items = q
        .fetch_all(c)
        .await?
        .iter()
        .map(read::<Training>)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(page(&mut items, limit, |t| t.id.clone()))
}
