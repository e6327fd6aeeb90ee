//! Reviews (审核记录): the history of every decision on a declaration.

use sqlx::AnyConnection;

use super::sql::Sql;
use crate::StoreResult;
use crate::models::{Review, read};

pub async fn insert(c: &mut AnyConnection, r: &Review) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO reviews (id, declaration_id, level, decision, hours, reason_code, comment, \
         reviewer_id, at) VALUES (",
    );
    q.bind(r.id.as_str()).push(", ");
    q.bind(r.declaration_id.as_str()).push(", ");
    q.bind(r.level.as_str()).push(", ");
    q.bind(r.decision.as_str()).push(", ");
    q.bind(r.hours.map(|h| h.tenths())).push(", ");
    q.bind(r.reason_code.map(|c| c.as_str().to_owned()))
        .push(", ");
    q.bind(r.comment.clone()).push(", ");
    q.bind(r.reviewer_id.as_str()).push(", ");
    q.bind(r.at).push(")");
    q.execute(c).await?;
    Ok(())
}

/// A declaration's reviews, oldest first, with each reviewer's login name and organisation.
pub async fn for_declaration(
    c: &mut AnyConnection,
    declaration_id: &str,
) -> StoreResult<Vec<Review>> {
    let mut q = Sql::new(
        "SELECT v.id, v.declaration_id, v.level, v.decision, v.hours, v.reason_code, v.comment, \
         v.reviewer_id, v.at, u.username AS reviewer_name, o.name AS reviewer_org \
         FROM reviews v LEFT JOIN users u ON u.id = v.reviewer_id \
         LEFT JOIN orgs o ON o.id = u.org_id WHERE v.declaration_id = ",
    );
    q.bind(declaration_id).push(" ORDER BY v.at, v.id");
    q.fetch_all(c).await?.iter().map(read::<Review>).collect()
}
