use sqlx::AnyConnection;
use xueshi_domain::Category;

use super::sql::Sql;
use crate::StoreResult;
use crate::models::{Course, read};

/// Inserts a course; `public_topic` is `domain::public_topic` of a public one (unique per
/// year: a second copy is a `StoreError::Unique`).
pub async fn insert(
    c: &mut AnyConnection,
    course: &Course,
    public_topic: Option<&str>,
) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO courses (id, title, year, category, activity_type, hours, owner_org_id, created_at, public_topic) VALUES (",
    );
    q.bind(course.id.as_str())
        .push(", ")
        .bind(course.title.as_str())
        .push(", ");
    q.bind(course.year as i64)
        .push(", ")
        .bind(course.category.as_str())
        .push(", ");
    q.bind(course.activity_type.as_str())
        .push(", ")
        .bind(course.hours.tenths())
        .push(", ");
    q.bind(course.owner_org_id.as_str())
        .push(", ")
        .bind(course.created_at)
        .push(", ")
        .bind(public_topic)
        .push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Course>> {
    let mut q = Sql::new("SELECT * FROM courses WHERE id = ");
    q.bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| read::<Course>(&r))
        .transpose()
}

pub async fn list(c: &mut AnyConnection, year: Option<i32>) -> StoreResult<Vec<Course>> {
    let mut q = Sql::new("SELECT * FROM courses WHERE 1 = 1");
    if let Some(y) = year {
        q.push(" AND year = ").bind(y as i64);
    }
    q.push(" ORDER BY year DESC, id LIMIT 500");
    q.fetch_all(c).await?.iter().map(read::<Course>).collect()
}

/// The public courses of a year, the candidates for "this topic is already published".
pub async fn public_of_year(c: &mut AnyConnection, year: i32) -> StoreResult<Vec<Course>> {
    let mut q = Sql::new("SELECT * FROM courses WHERE category = ");
    q.bind_code(Category::Public)
        .push(" AND year = ")
        .bind(year as i64)
        .push(" ORDER BY created_at, id");
    q.fetch_all(c).await?.iter().map(read::<Course>).collect()
}
