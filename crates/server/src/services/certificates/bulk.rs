//! Every passed teacher's certificate of a year in a school or district, as one ZIP,
//! streamed as it is made so memory stays bounded however many teachers there are.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use axum::body::Bytes;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use xueshi_certificate::{CertificateData, Renderer};
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{OrgKind, Role};
use xueshi_store::models::{Org, VerificationResult};
use xueshi_store::repo::verification::{self, ResultFilter};
use xueshi_store::repo::{orgs, teachers as teacher_repo};
use xueshi_store::{Conn, Db};

use super::{Issuer, renderer};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::services::{Ctx, Place, record};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BulkQuery {
    /// One school (default for a school administrator).
    pub school_id: Option<String>,
    /// One district (default for a district administrator).
    pub district_id: Option<String>,
}

/// The organisation a bulk download covers, if the actor may download it.
async fn bulk_org(c: &mut Conn, ctx: &Ctx, q: &BulkQuery) -> AppResult<Org> {
    let actor = &ctx.actor;
    let (id, kind) = match (&q.school_id, &q.district_id) {
        (Some(_), Some(_)) => {
            return Err(AppError::BadRequest(
                "school_id 与 district_id 只能指定一个".into(),
            ));
        }
        (Some(s), None) => (s.clone(), OrgKind::School),
        (None, Some(d)) => (d.clone(), OrgKind::District),
        (None, None) => match actor.role {
            Role::SchoolAdmin => (actor.org_id.clone(), OrgKind::School),
            Role::DistrictAdmin => (actor.org_id.clone(), OrgKind::District),
            _ => {
                return Err(AppError::BadRequest(
                    "请指定学校（school_id）或区（district_id）".into(),
                ));
            }
        },
    };
    let org = orgs::get(c, &id)
        .await?
        .filter(|o| o.kind == kind)
        .ok_or(AppError::NotFound)?;
    if authz::may_download_certificates(actor, &org.place()) {
        Ok(org)
    } else {
        Err(AppError::NotFound)
    }
}

/// A name safe in a ZIP on every system: no path separators or reserved characters.
fn file_name_part(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}

/// `{school}-{name}-{year}.pdf`, numbered when two teachers of a school share a name.
fn unique_name(seen: &mut HashSet<String>, school: &str, name: &str, year: i32) -> String {
    let base = format!("{}-{}-{year}", file_name_part(school), file_name_part(name));
    let mut candidate = format!("{base}.pdf");
    let mut n = 2;
    while !seen.insert(candidate.clone()) {
        candidate = format!("{base}-{n}.pdf");
        n += 1;
    }
    candidate
}

/// A certificate to put in the ZIP, or why the listing stopped.
type Job = Result<(String, CertificateData), String>;

/// A ZIP being written: its organisation, and its bytes as they come.
pub struct Zip {
    pub org: Org,
    pub body: mpsc::Receiver<std::io::Result<Bytes>>,
}

/// Every passed teacher's certificate of a year in a school or district, as one ZIP
/// (`{school}-{name}-{year}.pdf` each). School, district and city administrators, in
/// their scope; the city names a school or district. The ZIP is streamed as it is made,
/// so memory stays bounded however many teachers there are. 409 when no one passed;
/// audited (`certificate.bulk_download`).
pub async fn bulk_zip(
    db: &Db,
    ctx: &Ctx,
    config: &Arc<Config>,
    year: i32,
    q: &BulkQuery,
) -> AppResult<Zip> {
    ctx.require(Action::ViewTeachers)?;
    let mut c = db.pool().acquire().await?;
    let org = bulk_org(&mut c, ctx, q).await?;
    let filter = ResultFilter {
        school_id: (org.kind == OrgKind::School).then(|| org.id.clone()),
        district_id: (org.kind == OrgKind::District).then(|| org.id.clone()),
        passed: Some(true),
        cursor: None,
        limit: Some(100),
    };
    let scope = authz::scope(&ctx.actor);
    let first = verification::list(&mut c, year, &scope, &filter).await?;
    if first.items.is_empty() {
        return Err(AppError::Conflict(format!(
            "{}没有{year}年度学时验证合格的教师",
            org.name
        )));
    }
    drop(c);
    let renderer = renderer(config).await?;

    let place = match org.kind {
        OrgKind::School => Place::of(&org),
        _ => Place {
            district_id: Some(org.id.clone()),
            school_id: None,
        },
    };
    let mut tx = db.begin().await?;
    let detail = json!({ "year": year, "org_id": org.id, "org_name": org.name });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "certificate.bulk_download",
        ("org", &org.id),
        &place,
        detail,
    )
    .await?;
    tx.commit().await?;

    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>(4);
    let (bytes_tx, bytes_rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
    let (db, config) = (db.clone(), config.clone());
    tokio::spawn(async move {
        if let Err(e) = list_certificates(db, config, year, scope, filter, first, &jobs_tx).await {
            tracing::error!(error = %e, year, "listing certificates for a ZIP failed");
            let _ = jobs_tx.send(Err(e.to_string())).await;
        }
    });
    tokio::task::spawn_blocking(move || write_zip(&renderer, year, jobs_rx, bytes_tx));
    Ok(Zip {
        org,
        body: bytes_rx,
    })
}

/// Feeds the ZIP writer one certificate at a time, reading the results a page at a time.
/// No database connection is held while waiting for the writer.
async fn list_certificates(
    db: Db,
    config: Arc<Config>,
    year: i32,
    scope: authz::Scope,
    mut filter: ResultFilter,
    first: xueshi_store::models::Page<VerificationResult>,
    jobs: &mpsc::Sender<Job>,
) -> AppResult<()> {
    let mut seen = HashSet::new();
    let mut page = first;
    let mut issuer = {
        let mut c = db.pool().acquire().await?;
        Issuer::load(&mut c).await?
    };
    loop {
        let mut batch = Vec::with_capacity(page.items.len());
        {
            let mut c = db.pool().acquire().await?;
            for result in &page.items {
                let Some(teacher) =
                    teacher_repo::get(&mut c, db.vault(), &result.teacher_id).await?
                else {
                    continue;
                };
                let data = issuer.data(&mut c, &config, &teacher, result).await?;
                let name = unique_name(&mut seen, &data.school, &data.name, year);
                batch.push((name, data));
            }
        }
        for job in batch {
            if jobs.send(Ok(job)).await.is_err() {
                return Ok(()); // the download was abandoned
            }
        }
        let Some(cursor) = page.next_cursor.take() else {
            return Ok(());
        };
        filter.cursor = Some(cursor);
        let mut c = db.pool().acquire().await?;
        page = verification::list(&mut c, year, &scope, &filter).await?;
    }
}

/// Sends what the ZIP writer writes to the response body, in chunks of about 64 KiB.
struct BodyWriter {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl BodyWriter {
    const CHUNK: usize = 64 * 1024;

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(Self::CHUNK),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "download abandoned"))
    }
}

impl Write for BodyWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Renders each certificate and writes it into a streamed ZIP. On any failure the body ends
/// with an error, so the client sees a broken download rather than a silently short ZIP.
fn write_zip(
    renderer: &Renderer,
    year: i32,
    mut jobs: mpsc::Receiver<Job>,
    body: mpsc::Sender<std::io::Result<Bytes>>,
) {
    let failed = body.clone();
    let outcome = (|| -> Result<(), String> {
        let mut zip = zip::ZipWriter::new_stream(BodyWriter {
            tx: body,
            buf: Vec::with_capacity(BodyWriter::CHUNK),
        });
        // The PDFs are compressed inside already: a light deflate is enough.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1));
        while let Some(job) = jobs.blocking_recv() {
            let (name, data) = job?;
            let pdf = renderer.render(&data).map_err(|e| e.to_string())?;
            zip.start_file(name, options).map_err(|e| e.to_string())?;
            zip.write_all(&pdf).map_err(|e| e.to_string())?;
        }
        let mut writer = zip.finish().map_err(|e| e.to_string())?.into_inner();
        writer.flush().map_err(|e| e.to_string())
    })();
    match outcome {
        Ok(()) => {}
        Err(_) if failed.is_closed() => tracing::info!(year, "certificate ZIP download abandoned"),
        Err(e) => {
            tracing::error!(error = %e, year, "writing a certificate ZIP failed");
            let _ = failed.blocking_send(Err(std::io::Error::other(e)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_names_are_safe_and_unique() {
        let mut seen = HashSet::new();
        assert_eq!(
            unique_name(&mut seen, "东风/小学", "王:伟", 2024),
            "东风_小学-王_伟-2024.pdf"
        );
        assert_eq!(
            unique_name(&mut seen, "东风/小学", "王:伟", 2024),
            "东风_小学-王_伟-2024-2.pdf"
        );
    }
}
