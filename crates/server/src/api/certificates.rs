//! Certificates of a verified year (继续教育学时证明): a teacher's one-page PDF, every
//! certificate of a school or district as one ZIP, and the public check of a certificate's
//! code (the QR code opens `/verify/{code}`; this API answers `/api/v1/verify/{code}`).
//!
//! The code is `services::verification::certificate_code`: the teacher and year, signed, so
//! it can be neither guessed nor altered. The check reads the teacher's *current* result, so
//! a certificate whose pass a later correction took away answers "revoked".

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{OnceCell, mpsc};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xueshi_certificate::{CertificateData, Renderer};
use xueshi_domain::authz::{self, Action};
use xueshi_domain::{Hours, IdNumber, OrgKind, Role, mask_name};
use xueshi_store::models::{Org, Teacher, VerificationResult};
use xueshi_store::repo::verification::{self, ResultFilter};
use xueshi_store::repo::{orgs, teachers as teacher_repo};
use xueshi_store::{Conn, Db};

use super::exports::{attachment, year};
use super::extract::ApiQuery;
use crate::auth::CurrentUser;
use crate::config::Config;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::exports::Download;
use crate::services::verification::{certificate_code, read_certificate_code};
use crate::services::{Ctx, Place, record, teachers};
use crate::state::AppState;

/// The certificate routes. `{year}.pdf` and `{year}.zip` cannot be axum routes (a parameter
/// must fill its path segment), so those take the whole file name and the OpenAPI document
/// shows them as API.md names them.
pub fn router() -> OpenApiRouter<AppState> {
    #[derive(OpenApi)]
    #[openapi(paths(teacher_pdf, bulk_zip))]
    struct FileRoutes;

    let mut router = OpenApiRouter::new()
        .routes(routes!(verify))
        .route("/teachers/{id}/certificates/{file}", get(teacher_pdf))
        .route("/certificates/{file}", get(bulk_zip));
    router.get_openapi_mut().merge(FileRoutes::openapi());
    router
}

/// The renderer, built on first use: loading the CJK fonts takes a moment and some memory,
/// and a server that never prints a certificate should not pay for it. One per process
/// (the fonts of the first configuration that asks).
pub(crate) async fn renderer(config: &Config) -> AppResult<Arc<Renderer>> {
    static RENDERER: OnceCell<Arc<Renderer>> = OnceCell::const_new();
    RENDERER
        .get_or_try_init(|| async {
            let paths = config.font_paths.clone();
            let built = tokio::task::spawn_blocking(move || Renderer::new(&paths))
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            match built {
                Ok(renderer) => {
                    let (serif, sans) = renderer.families();
                    tracing::info!(serif, sans, "certificate fonts loaded");
                    Ok(Arc::new(renderer))
                }
                Err(e) => {
                    tracing::error!(error = %e, "certificates cannot be printed");
                    Err(AppError::Internal(e.into()))
                }
            }
        })
        .await
        .cloned()
}

/// The year in a file name such as `2024.pdf`.
fn file_year(file: &str, extension: &str) -> AppResult<i32> {
    let stem = file.strip_suffix(extension).ok_or(AppError::NotFound)?;
    year(stem)
}

/// `2025年1月20日`: the business date of a stored time.
fn chinese_date(ms: i64) -> String {
    xueshi_domain::time_rules::format_date_zh(crate::services::date_of(ms))
}

/// Names of organisations, looked up once each.
#[derive(Default)]
struct OrgNames(HashMap<String, String>);

impl OrgNames {
    async fn get(&mut self, c: &mut Conn, id: &str) -> AppResult<String> {
        if let Some(name) = self.0.get(id) {
            return Ok(name.clone());
        }
        let name = orgs::get(c, id).await?.map(|o| o.name).unwrap_or_default();
        self.0.insert(id.to_owned(), name.clone());
        Ok(name)
    }
}

/// What a passed result's certificate says. The school is the one the year was verified at;
/// the date is the verification's.
async fn certificate_data(
    c: &mut Conn,
    config: &Config,
    issuer: &str,
    names: &mut OrgNames,
    teacher: &Teacher,
    result: &VerificationResult,
) -> AppResult<CertificateData> {
    let code = certificate_code(c, &teacher.id, result.year).await?;
    Ok(CertificateData {
        name: teacher.name.clone(),
        id_number_masked: IdNumber::mask_str(&teacher.id_number),
        school: names.get(c, &result.school_id).await?,
        year: result.year,
        public: result.public.to_string(),
        professional: result.professional.to_string(),
        elective: result.elective.to_string(),
        total: result.total.to_string(),
        carried_in: result.carried_in.to_string(),
        verify_url: format!(
            "{}/verify/{code}",
            config.public_base_url.trim_end_matches('/')
        ),
        serial: code,
        issuer: issuer.to_owned(),
        issued_on: chinese_date(result.computed_at),
    })
}

fn not_passed(year: i32) -> AppError {
    AppError::Conflict(format!("{year}年度学时验证结果为不合格，不能出具学时证明"))
}

fn render_failed(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("rendering a certificate: {e}"))
}

/// A teacher's certificate of a passed year, as a one-page A4 PDF with a QR code that opens
/// the public check. The teacher themself, or administrators in scope; 404 outside the
/// scope or before the year is verified, 409 when the year was not passed. Audited
/// (`certificate.download`).
#[utoipa::path(get, path = "/teachers/{id}/certificates/{year}.pdf", tag = "reports",
    params(("id" = String, Path, description = "The teacher"), ("year" = i32, Path, description = "A verified year")),
    responses((status = 200, content_type = "application/pdf", description = "The certificate"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn teacher_pdf(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let year = file_year(&file, ".pdf")?;
    let (data, school) = {
        let mut c = state.db.pool().acquire().await?;
        let (teacher, school) =
            teachers::visible_for_ledger(&mut c, state.db.vault(), &me.ctx, &id).await?;
        let result = verification::get(&mut c, year, &teacher.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !result.passed {
            return Err(not_passed(year));
        }
        let issuer = orgs::city(&mut c).await?.name;
        let mut names = OrgNames::default();
        let data = certificate_data(
            &mut c,
            &state.config,
            &issuer,
            &mut names,
            &teacher,
            &result,
        )
        .await?;
        (data, school)
    };
    let renderer = renderer(&state.config).await?;
    let (pdf, data) = tokio::task::spawn_blocking(move || (renderer.render(&data), data))
        .await
        .map_err(render_failed)?;
    let pdf = pdf.map_err(render_failed)?;

    let mut tx = state.db.begin().await?;
    let detail = json!({ "year": year, "serial": data.serial });
    record(
        &mut tx,
        state.db.vault(),
        &me.ctx,
        "certificate.download",
        ("teacher", &id),
        &Place::of(&school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(attachment(Download {
        filename: format!("certificate-{year}.pdf"),
        chinese_name: format!("{}-{year}年度继续教育学时证明.pdf", data.name),
        content_type: "application/pdf",
        bytes: pdf,
    }))
}

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
    let allowed = match kind {
        OrgKind::School => authz::sees_org(actor, &org.place()),
        _ => {
            actor.role == Role::CityAdmin
                || (actor.role == Role::DistrictAdmin && org.id == actor.org_id)
        }
    };
    if allowed {
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

/// RFC 5987 encoding of a file name for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A certificate to put in the ZIP, or why the listing stopped.
type Job = Result<(String, CertificateData), String>;

/// Every passed teacher's certificate of a year in a school or district, as one ZIP
/// (`{school}-{name}-{year}.pdf` each). School, district and city administrators, in
/// their scope; the city names a school or district. The ZIP is streamed as it is made,
/// so memory stays bounded however many teachers there are. 409 when no one passed;
/// audited (`certificate.bulk_download`).
#[utoipa::path(get, path = "/certificates/{year}.zip", tag = "reports",
    params(("year" = i32, Path, description = "A verified year"), BulkQuery),
    responses((status = 200, content_type = "application/zip", description = "One PDF per passed teacher"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn bulk_zip(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<BulkQuery>,
) -> AppResult<Response> {
    me.ctx.require(Action::ViewTeachers)?;
    let year = file_year(&file, ".zip")?;
    let mut c = state.db.pool().acquire().await?;
    let org = bulk_org(&mut c, &me.ctx, &q).await?;
    let filter = ResultFilter {
        school_id: (org.kind == OrgKind::School).then(|| org.id.clone()),
        district_id: (org.kind == OrgKind::District).then(|| org.id.clone()),
        passed: Some(true),
        cursor: None,
        limit: Some(100),
    };
    let scope = authz::scope(&me.ctx.actor);
    let first = verification::list(&mut c, year, &scope, &filter).await?;
    if first.items.is_empty() {
        return Err(AppError::Conflict(format!(
            "{}没有{year}年度学时验证合格的教师",
            org.name
        )));
    }
    drop(c);
    let renderer = renderer(&state.config).await?;

    let place = match org.kind {
        OrgKind::School => Place::of(&org),
        _ => Place {
            district_id: Some(org.id.clone()),
            school_id: None,
        },
    };
    let mut tx = state.db.begin().await?;
    let detail = json!({ "year": year, "org_id": org.id, "org_name": org.name });
    record(
        &mut tx,
        state.db.vault(),
        &me.ctx,
        "certificate.bulk_download",
        ("org", &org.id),
        &place,
        detail,
    )
    .await?;
    tx.commit().await?;

    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>(4);
    let (bytes_tx, bytes_rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
    let (db, config) = (state.db.clone(), state.config.clone());
    tokio::spawn(async move {
        if let Err(e) = list_certificates(db, config, year, scope, filter, first, &jobs_tx).await {
            tracing::error!(error = %e, year, "listing certificates for a ZIP failed");
            let _ = jobs_tx.send(Err(e.to_string())).await;
        }
    });
    tokio::task::spawn_blocking(move || write_zip(&renderer, year, jobs_rx, bytes_tx));

    let body = Body::from_stream(futures_util::stream::unfold(bytes_rx, |mut rx| async {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let chinese = format!("{}-{year}年度继续教育学时证明.zip", org.name);
    let disposition = format!(
        "attachment; filename=\"certificates-{year}.zip\"; filename*=UTF-8''{}",
        percent_encode(&chinese)
    );
    Ok((
        [
            (CONTENT_TYPE, "application/zip".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
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
    let mut names = OrgNames::default();
    let mut seen = HashSet::new();
    let mut page = first;
    let issuer = {
        let mut c = db.pool().acquire().await?;
        orgs::city(&mut c).await?.name
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
                let data = certificate_data(&mut c, &config, &issuer, &mut names, &teacher, result)
                    .await?;
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifiedHours {
    pub public: Hours,
    /// Includes `carried_in`.
    pub professional: Hours,
    pub elective: Hours,
    pub total: Hours,
    pub carried_in: Hours,
}

/// What the public may learn from a certificate's code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// The certificate still stands: the year is still verified as passed.
    pub valid: bool,
    pub year: i32,
    /// e.g. 陈*伟
    pub name_masked: String,
    pub passed: bool,
    /// A later change took the pass away: the certificate no longer stands.
    pub revoked: bool,
    pub hours: VerifiedHours,
    pub school: String,
}

/// Checks a certificate's code against the teacher's current result; `NotFound` for an
/// unknown or altered code.
pub(crate) async fn check(db: &Db, code: &str) -> AppResult<Verification> {
    let mut c = db.pool().acquire().await?;
    let (teacher_id, year) = read_certificate_code(&mut c, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let teacher = teacher_repo::get(&mut c, db.vault(), &teacher_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let result = verification::get(&mut c, year, &teacher_id).await?;
    let school_id = result
        .as_ref()
        .map_or(teacher.school_id.as_str(), |r| r.school_id.as_str());
    let school = OrgNames::default().get(&mut c, school_id).await?;
    let passed = result.as_ref().is_some_and(|r| r.passed);
    let hours = match &result {
        Some(r) => VerifiedHours {
            public: r.public,
            professional: r.professional,
            elective: r.elective,
            total: r.total,
            carried_in: r.carried_in,
        },
        None => VerifiedHours {
            public: Hours::default(),
            professional: Hours::default(),
            elective: Hours::default(),
            total: Hours::default(),
            carried_in: Hours::default(),
        },
    };
    Ok(Verification {
        valid: passed,
        year,
        name_masked: mask_name(&teacher.name),
        passed,
        revoked: !passed,
        hours,
        school,
    })
}

/// Check a certificate (public, no login): what the code on it certifies, from the current
/// records. An unknown or altered code is 404; a certificate whose pass was since taken
/// away answers `valid: false, revoked: true`.
#[utoipa::path(get, path = "/verify/{code}", tag = "reports", security(()),
    params(("code" = String, Path, description = "The code from the certificate's QR code")),
    responses((status = 200, body = Verification), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "over `XUESHI_ADDRESS_RATE` lookups a minute from this address")))]
pub async fn verify(
    State(state): State<AppState>,
    _limit: crate::auth::extract::PublicLookup,
    Path(code): Path<String>,
) -> AppResult<Json<Verification>> {
    Ok(Json(check(&state.db, &code).await?))
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

    #[test]
    fn file_names_carry_the_year() {
        assert_eq!(file_year("2024.pdf", ".pdf").unwrap(), 2024);
        assert!(file_year("2024.zip", ".pdf").is_err());
        assert!(file_year("abcd.pdf", ".pdf").is_err());
    }
}
