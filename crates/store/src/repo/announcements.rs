//! Announcements (通知公告) of the city and the districts, their attachments, and each
//! district's consultation contacts (答疑联系人).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xueshi_domain::OrgStatus;

use super::sql::Sql;
use crate::StoreResult;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub id: String,
    /// The publisher: the city or a district.
    pub org_id: String,
    pub org_name: String,
    pub title: String,
    pub body: String,
    pub created_by: String,
    pub created_at: i64,
}

impl Announcement {
    fn from_row(row: &AnyRow) -> StoreResult<Announcement> {
        Ok(Announcement {
            id: row.try_get("id")?,
            org_id: row.try_get("org_id")?,
            org_name: row.try_get("org_name")?,
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const SELECT: &str = "SELECT a.id, a.org_id, o.name AS org_name, a.title, a.body, a.created_by, \
    a.created_at FROM announcements a JOIN orgs o ON o.id = a.org_id WHERE 1 = 1";

pub async fn insert(c: &mut AnyConnection, a: &Announcement) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO announcements (id, org_id, title, body, created_by, created_at) VALUES (",
    );
    q.bind(a.id.as_str())
        .push(", ")
        .bind(a.org_id.as_str())
        .push(", ");
    q.bind(a.title.as_str())
        .push(", ")
        .bind(a.body.as_str())
        .push(", ");
    q.bind(a.created_by.as_str())
        .push(", ")
        .bind(a.created_at)
        .push(")");
    q.execute(c).await?;
    Ok(())
}

pub async fn get(c: &mut AnyConnection, id: &str) -> StoreResult<Option<Announcement>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND a.id = ").bind(id);
    q.fetch_optional(c)
        .await?
        .map(|r| Announcement::from_row(&r))
        .transpose()
}

/// Newest first (ids are time-ordered). `publishers`: `None` for all, else only theirs.
pub async fn list(
    c: &mut AnyConnection,
    publishers: Option<&[String]>,
    cursor: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Announcement>> {
    let mut q = Sql::new(SELECT);
    if let Some(publishers) = publishers {
        q.push(" AND a.org_id IN (");
        q.bind_all(publishers.iter().map(|p| p.as_str()));
        if publishers.is_empty() {
            q.push("NULL");
        }
        q.push(")");
    }
    if let Some(cursor) = cursor {
        q.push(" AND a.id < ").bind(cursor);
    }
    q.push(" ORDER BY a.id DESC LIMIT ").bind(limit);
    q.fetch_all(c)
        .await?
        .iter()
        .map(Announcement::from_row)
        .collect()
}

pub async fn delete(c: &mut AnyConnection, id: &str) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM announcement_attachments WHERE announcement_id = ");
    q.bind(id);
    q.execute(c).await?;
    let mut q = Sql::new("DELETE FROM announcements WHERE id = ");
    q.bind(id);
    q.execute(c).await?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    pub announcement_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: i64,
}

impl Attachment {
    fn from_row(row: &AnyRow) -> StoreResult<Attachment> {
        Ok(Attachment {
            id: row.try_get("id")?,
            announcement_id: row.try_get("announcement_id")?,
            filename: row.try_get("filename")?,
            content_type: row.try_get("content_type")?,
            size: row.try_get("size")?,
            sha256: row.try_get("sha256")?,
            storage_key: row.try_get("storage_key")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

pub async fn insert_attachment(c: &mut AnyConnection, a: &Attachment) -> StoreResult<()> {
    let mut q = Sql::new(
        "INSERT INTO announcement_attachments (id, announcement_id, filename, content_type, size, \
         sha256, storage_key, created_at) VALUES (",
    );
    q.bind(a.id.as_str())
        .push(", ")
        .bind(a.announcement_id.as_str())
        .push(", ");
    q.bind(a.filename.as_str())
        .push(", ")
        .bind(a.content_type.as_str())
        .push(", ");
    q.bind(a.size).push(", ").bind(a.sha256.as_str()).push(", ");
    q.bind(a.storage_key.as_str())
        .push(", ")
        .bind(a.created_at)
        .push(")");
    q.execute(c).await?;
    Ok(())
}

/// The attachments of the given announcements, oldest first.
pub async fn attachments(c: &mut AnyConnection, ids: &[String]) -> StoreResult<Vec<Attachment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT * FROM announcement_attachments WHERE announcement_id IN (");
    q.bind_all(ids.iter().map(|id| id.as_str()));
    q.push(") ORDER BY created_at, id");
    q.fetch_all(c)
        .await?
        .iter()
        .map(Attachment::from_row)
        .collect()
}

/// A consultation contact (答疑联系人) of a district or the city.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    /// When to call, as the district writes it.
    pub hours: String,
}

/// Replaces the contacts of `org_id` with `contacts`, in order.
pub async fn replace_contacts(
    c: &mut AnyConnection,
    org_id: &str,
    contacts: &[Contact],
    now: i64,
) -> StoreResult<()> {
    let mut q = Sql::new("DELETE FROM contacts WHERE org_id = ");
    q.bind(org_id);
    q.execute(c).await?;
    if contacts.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new(
        "INSERT INTO contacts (org_id, sort_order, name, phone, hours, updated_at) VALUES ",
    );
    for (i, contact) in contacts.iter().enumerate() {
        q.push(if i == 0 { "(" } else { ", (" });
        q.bind(org_id).push(", ").bind(i as i64).push(", ");
        q.bind(contact.name.as_str())
            .push(", ")
            .bind(contact.phone.as_str())
            .push(", ");
        q.bind(contact.hours.as_str())
            .push(", ")
            .bind(now)
            .push(")");
    }
    q.execute(c).await?;
    Ok(())
}

pub async fn contacts(c: &mut AnyConnection, org_id: &str) -> StoreResult<Vec<Contact>> {
    let mut q = Sql::new("SELECT name, phone, hours FROM contacts WHERE org_id = ");
    q.bind(org_id).push(" ORDER BY sort_order");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            Ok(Contact {
                name: row.try_get("name")?,
                phone: row.try_get("phone")?,
                hours: row.try_get("hours")?,
            })
        })
        .collect()
}

/// Every active district's (and the city's) contacts with the organisation's name, for the
/// login page's help: (organisation name, whether it is the city, contact), in `sort_order`
/// within each.
pub async fn all_contacts(c: &mut AnyConnection) -> StoreResult<Vec<(String, bool, Contact)>> {
    let mut q = Sql::new(
        "SELECT o.name AS org_name, o.kind, k.name, k.phone, k.hours FROM contacts k \
         JOIN orgs o ON o.id = k.org_id WHERE o.status = ",
    );
    q.bind_code(OrgStatus::Active)
        .push(" ORDER BY o.name, k.sort_order");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            Ok((
                row.try_get("org_name")?,
                kind == xueshi_domain::OrgKind::City.as_str(),
                Contact {
                    name: row.try_get("name")?,
                    phone: row.try_get("phone")?,
                    hours: row.try_get("hours")?,
                },
            ))
        })
        .collect()
}
