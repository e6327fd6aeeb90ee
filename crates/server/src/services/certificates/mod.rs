//! Certificates of a verified year (继续教育学时证明): a teacher's one-page PDF, every
//! certificate of a school or district as one ZIP (`bulk`), and the public check of a
//! certificate's code (the QR code opens `/verify/{code}`).
//!
//! The code is `services::verification::CertificateSigner::code`: the teacher and year, signed, so
//! it can be neither guessed nor altered. The check reads the teacher's *current* result, so
//! a certificate whose pass a later correction took away answers "revoked".

mod bulk;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use tokio::sync::OnceCell;
use xueshi_certificate::{CertificateData, Renderer};
use xueshi_domain::{Hours, IdNumber, mask_name};
use xueshi_store::models::{Teacher, VerificationResult};
use xueshi_store::repo::{orgs, teachers as teacher_repo, verification};

use xueshi_store::{Conn, Db};

pub use bulk::{BulkQuery, Zip, bulk_zip};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::services::verification::{CertificateSigner, read_certificate_code};
use crate::services::{Ctx, Place, record, teachers};

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

/// What every certificate of a printing needs, read once however many are printed: the
/// issuing city, the signing key and the schools' names.
struct Issuer {
    city: String,
    signer: CertificateSigner,
    names: OrgNames,
}

impl Issuer {
    async fn load(c: &mut Conn) -> AppResult<Issuer> {
        Ok(Issuer {
            city: orgs::city(c).await?.name,
            signer: CertificateSigner::load(c).await?,
            names: OrgNames::default(),
        })
    }

    /// What a passed result's certificate says. The school is the one the year was verified
    /// at; the date is the verification's.
    async fn data(
        &mut self,
        c: &mut Conn,
        config: &Config,
        teacher: &Teacher,
        result: &VerificationResult,
    ) -> AppResult<CertificateData> {
        let code = self.signer.code(&teacher.id, result.year)?;
        Ok(CertificateData {
            name: teacher.name.clone(),
            id_number_masked: IdNumber::mask_str(&teacher.id_number),
            school: self.names.get(c, &result.school_id).await?,
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
            issuer: self.city.clone(),
            issued_on: chinese_date(result.computed_at),
        })
    }
}

fn not_passed(year: i32) -> AppError {
    AppError::Conflict(format!("{year}年度学时验证结果为不合格，不能出具学时证明"))
}

fn render_failed(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("rendering a certificate: {e}"))
}

/// A teacher's rendered certificate.
pub struct TeacherPdf {
    pub pdf: Vec<u8>,
    pub teacher_name: String,
}

/// A teacher's certificate of a passed year, as a one-page A4 PDF with a QR code that opens
/// the public check. The teacher themself, or administrators in scope; 404 outside the
/// scope or before the year is verified, 409 when the year was not passed. Audited
/// (`certificate.download`).
pub async fn teacher_pdf(
    db: &Db,
    ctx: &Ctx,
    config: &Config,
    teacher_id: &str,
    year: i32,
) -> AppResult<TeacherPdf> {
    let (data, school) = {
        let mut c = db.pool().acquire().await?;
        let (teacher, school) =
            teachers::visible_for_ledger(&mut c, db.vault(), ctx, teacher_id).await?;
        let result = verification::get(&mut c, year, &teacher.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !result.passed {
            return Err(not_passed(year));
        }
        let data = Issuer::load(&mut c)
            .await?
            .data(&mut c, config, &teacher, &result)
            .await?;
        (data, school)
    };
    let renderer = renderer(config).await?;
    let (pdf, data) = tokio::task::spawn_blocking(move || (renderer.render(&data), data))
        .await
        .map_err(render_failed)?;
    let pdf = pdf.map_err(render_failed)?;

    let mut tx = db.begin().await?;
    let detail = json!({ "year": year, "serial": data.serial });
    record(
        &mut tx,
        db.vault(),
        ctx,
        "certificate.download",
        ("teacher", teacher_id),
        &Place::of(&school),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(TeacherPdf {
        pdf,
        teacher_name: data.name,
    })
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
