//! Announcements (通知公告) and consultation contacts (答疑联系人). The city or a district
//! publishes notices, with attachments, to everyone in its scope; each district (and the city,
//! for its affiliated schools) keeps the contacts its teachers and schools may call.

use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{FieldError, OrgKind};
use xueshi_files::{FileStore, sha256_hex, sniff};
use xueshi_store::models::Org;
use xueshi_store::repo::announcements::{self, Contact};
use xueshi_store::repo::orgs;
use xueshi_store::{Conn, Db, now_ms};

pub use xueshi_store::repo::announcements::{Announcement, Attachment};

use super::{Ctx, Place, new_id, record, required_text};
use crate::error::{AppError, AppResult};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Publish {
    pub title: String,
    pub body: String,
}

/// Most attachments one announcement carries.
pub const MAX_ATTACHMENTS: usize = 10;
/// Largest attachment.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// Where audit entries about a publisher's notices are filed.
fn place_of(publisher: &Org) -> Place {
    match publisher.kind {
        OrgKind::District => Place {
            district_id: Some(publisher.id.clone()),
            school_id: None,
        },
        _ => Place::nowhere(),
    }
}

async fn own_org(c: &mut Conn, ctx: &Ctx) -> AppResult<Org> {
    orgs::get(c, &ctx.actor.org_id)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("actor without an organisation")))
}

/// Publishes a notice in the name of the caller's city or district.
pub async fn publish(db: &Db, ctx: &Ctx, input: Publish) -> AppResult<Announcement> {
    ctx.require(Action::PublishNotices)?;
    let mut errors = Vec::new();
    let title = required_text("title", "标题", &input.title, 100, &mut errors);
    let body = required_text("body", "正文", &input.body, 20_000, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut tx = db.begin().await?;
    let publisher = own_org(&mut tx, ctx).await?;
    let announcement = Announcement {
        id: new_id(),
        org_id: publisher.id.clone(),
        org_name: publisher.name.clone(),
        title,
        body,
        created_by: ctx.actor.user_id.clone(),
        created_at: now_ms(),
    };
    announcements::insert(&mut tx, &announcement).await?;
    let detail = json!({ "title": announcement.title });
    let target = ("announcement", announcement.id.as_str());
    record(
        &mut tx,
        db.vault(),
        ctx,
        "announcement.publish",
        target,
        &place_of(&publisher),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(announcement)
}

/// The publishers whose notices reach the caller — the city and the home district, as
/// `authz::hears_notice` decides one notice — or `None` for all (the city).
async fn audience(c: &mut Conn, ctx: &Ctx) -> AppResult<Option<Vec<String>>> {
    if ctx.actor.role == xueshi_domain::Role::CityAdmin {
        return Ok(None);
    }
    let own = own_org(c, ctx).await?;
    let mut publishers = vec![orgs::city(c).await?.id];
    publishers.extend(authz::home_district(&ctx.actor, &own.place()));
    Ok(Some(publishers))
}

/// Notices for the caller (the city's and their district's), newest first.
pub async fn list(
    db: &Db,
    ctx: &Ctx,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(Vec<(Announcement, Vec<Attachment>)>, Option<String>)> {
    let limit = limit.unwrap_or(50).clamp(1, 500);
    let mut c = db.pool().acquire().await?;
    let publishers = audience(&mut c, ctx).await?;
    let mut items = announcements::list(&mut c, publishers.as_deref(), cursor, limit + 1).await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|a| a.id.clone())
    } else {
        None
    };
    let ids: Vec<String> = items.iter().map(|a| a.id.clone()).collect();
    let mut files = announcements::attachments(&mut c, &ids).await?;
    let items = items
        .into_iter()
        .map(|a| {
            let (mine, rest) = files.drain(..).partition(|f| f.announcement_id == a.id);
            files = rest;
            (a, mine)
        })
        .collect();
    Ok((items, next))
}

/// A notice the caller hears, with its attachments, or 404.
pub async fn visible(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(Announcement, Vec<Attachment>)> {
    let announcement = announcements::get(c, id).await?.ok_or(AppError::NotFound)?;
    let publisher = orgs::get(c, &announcement.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let own = own_org(c, ctx).await?;
    if !authz::hears_notice(&ctx.actor, &own.place(), &publisher.place()) {
        return Err(AppError::NotFound);
    }
    let files = announcements::attachments(c, std::slice::from_ref(&announcement.id)).await?;
    Ok((announcement, files))
}

/// A notice the caller's organisation published: 404 outside the audience, 403 otherwise.
async fn own_notice(
    c: &mut Conn,
    ctx: &Ctx,
    id: &str,
) -> AppResult<(Announcement, Vec<Attachment>)> {
    ctx.require(Action::PublishNotices)?;
    let found = visible(c, ctx, id).await?;
    if found.0.org_id != ctx.actor.org_id {
        return Err(AppError::Forbidden);
    }
    Ok(found)
}

/// The kind of an attachment by its content: PDF, images, and Word, Excel or PowerPoint files.
fn attachment_type(bytes: &[u8]) -> Option<&'static str> {
    if let Some(kind) = sniff(bytes) {
        return Some(kind.content_type());
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if has(b"word/") {
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else if has(b"xl/") {
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else if has(b"ppt/") {
        Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
    } else {
        None
    }
}

/// The name a file is offered under: no path, no control characters, at most 100 characters.
fn clean_name(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if name.trim().is_empty() {
        "附件".into()
    } else {
        name.trim().to_owned()
    }
}

/// Attaches a file (by content: PDF, JPEG, PNG, DOCX, XLSX, PPTX) to the caller's notice.
pub async fn attach(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    id: &str,
    filename: Option<&str>,
    bytes: Bytes,
) -> AppResult<Attachment> {
    let (announcement, existing) = {
        let mut c = db.pool().acquire().await?;
        own_notice(&mut c, ctx, id).await?
    };
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AppError::TooLarge);
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "上传的文件是空的"));
    }
    let content_type = attachment_type(&bytes).ok_or_else(|| {
        AppError::UnsupportedMedia("附件须为 PDF、JPEG、PNG 或 Word、Excel、PowerPoint 文件".into())
    })?;
    if existing.len() >= MAX_ATTACHMENTS {
        return Err(AppError::Conflict(format!(
            "每条通知最多{MAX_ATTACHMENTS}个附件"
        )));
    }
    let sha256 = sha256_hex(&bytes);
    let storage_key = format!("announcements/{}/{sha256}", &sha256[..2]);
    let attachment = Attachment {
        id: new_id(),
        announcement_id: announcement.id.clone(),
        filename: clean_name(filename),
        content_type: content_type.into(),
        size: bytes.len() as i64,
        sha256,
        storage_key,
        created_at: now_ms(),
    };
    files
        .put(&attachment.storage_key, bytes)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = db.begin().await?;
    let publisher = own_org(&mut tx, ctx).await?;
    announcements::insert_attachment(&mut tx, &attachment).await?;
    let detail = json!({ "attachment_id": attachment.id, "filename": attachment.filename, "sha256": attachment.sha256 });
    let target = ("announcement", announcement.id.as_str());
    record(
        &mut tx,
        db.vault(),
        ctx,
        "announcement.attach",
        target,
        &place_of(&publisher),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(attachment)
}

/// An attachment of a notice the caller hears, with its bytes.
pub async fn attachment(
    db: &Db,
    files: &FileStore,
    ctx: &Ctx,
    id: &str,
    attachment_id: &str,
) -> AppResult<(Attachment, Bytes)> {
    let mut c = db.pool().acquire().await?;
    let (_, attachments) = visible(&mut c, ctx, id).await?;
    drop(c);
    let found = attachments
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or(AppError::NotFound)?;
    let bytes = files
        .get(&found.storage_key)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((found, bytes))
}

/// Withdraws a notice of the caller's organisation (its attachments' files stay, shared by
/// content).
pub async fn withdraw(db: &Db, ctx: &Ctx, id: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let (announcement, _) = own_notice(&mut tx, ctx, id).await?;
    let publisher = own_org(&mut tx, ctx).await?;
    announcements::delete(&mut tx, id).await?;
    let detail = json!({ "title": announcement.title });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "announcement.withdraw",
        ("announcement", id),
        &place_of(&publisher),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ContactDto {
    pub name: String,
    pub phone: String,
    /// When to call, e.g. 工作日 9:00-12:00, 14:30-17:30.
    #[serde(default)]
    pub hours: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PutContacts {
    pub contacts: Vec<ContactDto>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Contacts {
    /// The district (or the city) whose contacts these are.
    pub org_id: String,
    pub org_name: String,
    pub contacts: Vec<ContactDto>,
}

/// Most contacts a district keeps.
pub const MAX_CONTACTS: usize = 20;

/// A consultation telephone: digits, `-`, spaces, an extension after `转`; 7 to 20 digits.
fn valid_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '转' | '(' | ')'))
        && (7..=20).contains(&digits)
}

/// Replaces the contacts of a district (its own district admin, or the city) or of the city.
pub async fn put_contacts(
    db: &Db,
    ctx: &Ctx,
    org_id: &str,
    input: PutContacts,
) -> AppResult<Contacts> {
    ctx.require(Action::PublishNotices)?;
    let mut errors = Vec::new();
    if input.contacts.len() > MAX_CONTACTS {
        errors.push(FieldError::new(
            "contacts",
            format!("联系人最多{MAX_CONTACTS}位"),
        ));
    }
    let mut contacts = Vec::new();
    for (i, c) in input.contacts.iter().enumerate() {
        let name = required_text(
            &format!("contacts[{i}].name"),
            "联系人姓名",
            &c.name,
            50,
            &mut errors,
        );
        let phone = required_text(
            &format!("contacts[{i}].phone"),
            "联系电话",
            &c.phone,
            40,
            &mut errors,
        );
        if !phone.is_empty() && !valid_phone(&phone) {
            errors.push(FieldError::new(
                format!("contacts[{i}].phone"),
                "联系电话格式不正确",
            ));
        }
        let hours = c.hours.trim().to_owned();
        if hours.chars().count() > 100 {
            errors.push(FieldError::new(
                format!("contacts[{i}].hours"),
                "答疑时间不能超过100个字符",
            ));
        }
        contacts.push(Contact { name, phone, hours });
    }
    let mut tx = db.begin().await?;
    let org = match orgs::get(&mut tx, org_id).await? {
        Some(org) if authz::sees_org(&ctx.actor, &org.place()) => org,
        _ => return Err(AppError::NotFound),
    };
    if !authz::manages_contacts(&ctx.actor, &org.place()) {
        return Err(AppError::Forbidden);
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let before = announcements::contacts(&mut tx, &org.id).await?;
    announcements::replace_contacts(&mut tx, &org.id, &contacts, now_ms()).await?;
    let view = |list: &[Contact]| -> serde_json::Value {
        list.iter()
            .map(|c| json!({ "name": c.name, "phone": c.phone, "hours": c.hours }))
            .collect()
    };
    let detail = json!({ "before": view(&before), "after": view(&contacts) });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "contacts.update",
        ("org", &org.id),
        &place_of(&org),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(to_dto(org, contacts))
}

fn to_dto(org: Org, contacts: Vec<Contact>) -> Contacts {
    Contacts {
        org_id: org.id,
        org_name: org.name,
        contacts: contacts
            .into_iter()
            .map(|c| ContactDto {
                name: c.name,
                phone: c.phone,
                hours: c.hours,
            })
            .collect(),
    }
}

/// Every active organisation's consultation contacts, for the public help page:
/// (organisation name, whether it is the city, contact).
pub async fn public_contacts(c: &mut Conn) -> AppResult<Vec<(String, bool, Contact)>> {
    Ok(announcements::all_contacts(c).await?)
}

/// The contacts the caller should call: their district's, or the city's for city-affiliated
/// schools and the city itself. Administrators may name another district in their scope.
pub async fn contacts(db: &Db, ctx: &Ctx, org_id: Option<&str>) -> AppResult<Contacts> {
    let mut c = db.pool().acquire().await?;
    let org = match org_id {
        Some(id) => match orgs::get(&mut c, id).await? {
            Some(org)
                if matches!(org.kind, OrgKind::City | OrgKind::District)
                    && authz::sees_org(&ctx.actor, &org.place()) =>
            {
                org
            }
            _ => return Err(AppError::NotFound),
        },
        None => {
            let own = own_org(&mut c, ctx).await?;
            match authz::home_district(&ctx.actor, &own.place()) {
                Some(d) => orgs::get(&mut c, &d).await?.ok_or(AppError::NotFound)?,
                None => orgs::city(&mut c).await?,
            }
        }
    };
    let list = announcements::contacts(&mut c, &org.id).await?;
    Ok(to_dto(org, list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_judged_by_content() {
        assert_eq!(attachment_type(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert!(
            attachment_type(b"PK\x03\x04....word/document.xml")
                .unwrap()
                .contains("word")
        );
        assert!(
            attachment_type(b"PK\x03\x04....xl/workbook.xml")
                .unwrap()
                .contains("sheet")
        );
        assert_eq!(attachment_type(b"PK\x03\x04 a plain zip"), None);
        assert_eq!(attachment_type(b"MZ an executable"), None);
    }

    #[test]
    fn file_names_lose_their_path_and_quotes() {
        assert_eq!(clean_name(Some("C:\\docs\\通知.pdf")), "通知.pdf");
        assert_eq!(clean_name(Some("../../etc/\"x\".pdf")), "x.pdf");
        assert_eq!(clean_name(None), "附件");
    }

    #[test]
    fn consultation_phones_are_checked() {
        assert!(valid_phone("020-83188888"));
        assert!(valid_phone("020-83188888转123"));
        assert!(valid_phone("13812345678"));
        assert!(!valid_phone("123"));
        assert!(!valid_phone("call me"));
    }
}
