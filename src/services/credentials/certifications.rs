//! Certifications: awarding (by exam, by composite rule, by bootstrap review), the
//! PDF certificate rendered once and archived with its SHA-256, suspension and
//! revocation, and public verification.
//!
//! A pass awards its credential and then every composite it completes (CEPP when
//! PCAP, PCPP1 and PCPP2 are all held), exactly once: composites are only awarded
//! when not held, and a partial unique index forbids holding one twice. Revoking a
//! component flags the composites that relied on it (`component_revoked`).
//!
//! Recertification: expiry is derived from `expires_on`, and a record past it is
//! stored as `expired` when the credential is awarded again, in the same
//! transaction. The unique index `certifications_live_once` covers only live records
//! (`valid`, `suspended`), so history keeps every expired (and revoked) one.

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::models::CertificationRow;
use crate::db::schema::{certifications as ce, credential_components as cc};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::codes;
use crate::domain::credentials::catalogue::{self, CertStatus, HeldCredential};
use crate::domain::credentials::levels::{self, Level};
use crate::domain::ids::{CandidateId, CertificationId};
use crate::domain::parties::provider::required_text;
use crate::integrations::pdf::{render_certificate, CertificateDocument};

use crate::services::accreditation;
use crate::services::lookups;
use crate::services::mails::{self, CertificateAwardedMail};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, ServiceError};

/// On what grounds a certification is awarded.
#[derive(Debug, Clone)]
pub enum Basis {
    /// A passed exam attempt (its id).
    Exam(String),
    /// A composite rule completed by its components.
    Composite,
    /// An admin's formal review; the case made is kept.
    BootstrapReview(String),
}

impl Basis {
    fn as_str(&self) -> &'static str {
        match self {
            Basis::Exam(_) => "exam",
            Basis::Composite => "composite",
            Basis::BootstrapReview(_) => "bootstrap_review",
        }
    }
}

/// A certification as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Certification {
    /// Id.
    pub id: CertificationId,
    /// Holder.
    pub candidate_id: CandidateId,
    /// Credential, e.g. `PCAP`.
    pub credential_code: String,
    /// The holder's level when the certificate was issued.
    pub level: Option<Level>,
    /// `valid`, `expired`, `suspended` or `revoked`.
    pub status: String,
    /// Reason for suspension or revocation.
    pub status_reason: Option<String>,
    /// For composites: a component was revoked after the award.
    pub component_revoked: bool,
    /// `exam`, `composite` or `bootstrap_review`.
    pub basis: String,
    /// Public certificate number.
    pub certificate_number: String,
    /// Issue date.
    pub issued_on: NaiveDate,
    /// Expiry (exclusive); absent = lifetime.
    pub expires_on: Option<NaiveDate>,
}

fn status_on(r: &CertificationRow, today: NaiveDate) -> String {
    if r.status == CertStatus::Valid.as_str() && r.expires_on.is_some_and(|e| today >= e) {
        CertStatus::Expired.as_str().into()
    } else {
        r.status.clone()
    }
}

fn level_of_row(r: &CertificationRow) -> Option<Level> {
    r.level.as_deref().and_then(Level::parse)
}

/// Converts a row for the API as of `today`.
pub fn view(r: &CertificationRow, today: NaiveDate) -> Result<Certification, ServiceError> {
    Ok(Certification {
        id: r.id.parse().map_err(anyhow::Error::new)?,
        candidate_id: r.candidate_id.parse().map_err(anyhow::Error::new)?,
        credential_code: r.credential_code.clone(),
        level: level_of_row(r),
        status: status_on(r, today),
        status_reason: r.status_reason.clone(),
        component_revoked: r.component_revoked,
        basis: r.basis.clone(),
        certificate_number: r.certificate_number.clone(),
        issued_on: r.issued_on,
        expires_on: r.expires_on,
    })
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::Certified => "Certified",
        Level::Professional => "Professional",
        Level::Expert => "Expert",
    }
}

/// Awards `code` to `candidate` (and any composite it completes), renders and
/// archives the certificate and queues its email. Runs in the caller's transaction.
/// Errors: [`ServiceError::Conflict`] `already-held`.
pub fn award(
    conn: &mut DbConn,
    settings: &Settings,
    candidate: CandidateId,
    code: &str,
    basis: Basis,
    now: DateTime<Utc>,
) -> Result<CertificationRow, ServiceError> {
    let row = award_one(conn, settings, candidate, code, &basis, now)?;
    // Composites completed by this award, awarded by the rule alone.
    let rules = lookups::catalogue_rules(conn)?;
    let held = lookups::held(conn, candidate)?;
    for composite in levels::composites_completed(&rules, &held, now.date_naive()) {
        award_one(
            conn,
            settings,
            candidate,
            &composite,
            &Basis::Composite,
            now,
        )?;
    }
    // The holder's level may have reached `professional`: lift a standing suspension.
    accreditation::cascade::on_candidate_changed(conn, settings, candidate, now)?;
    Ok(row)
}

fn award_one(
    conn: &mut DbConn,
    settings: &Settings,
    candidate: CandidateId,
    code: &str,
    basis: &Basis,
    now: DateTime<Utc>,
) -> Result<CertificationRow, ServiceError> {
    let today = now.date_naive();
    let credential = lookups::find_credential(conn, code)?;
    let cand = lookups::find_candidate(conn, candidate)?;
    let expires_on = catalogue::certification_expires_on(
        today,
        credential
            .validity_months
            .and_then(|m| u32::try_from(m).ok()),
    );
    let number = codes::certificate_number(code, today.year(), &mut rand::rngs::OsRng);
    let holder_name = format!("{} {}", cand.given_name, cand.family_name);
    // Insert first without a level so the level computed includes this award.
    let mut row = CertificationRow {
        id: CertificationId::new().to_string(),
        candidate_id: candidate.to_string(),
        credential_code: code.to_owned(),
        basis: basis.as_str().to_owned(),
        exam_attempt_id: match basis {
            Basis::Exam(a) => Some(a.clone()),
            _ => None,
        },
        review_case: match basis {
            Basis::BootstrapReview(c) => Some(c.clone()),
            _ => None,
        },
        status: CertStatus::Valid.as_str().into(),
        status_reason: None,
        component_revoked: false,
        level: None,
        certificate_number: number.clone(),
        holder_name: holder_name.clone(),
        issued_on: today,
        expires_on,
        pdf: Vec::new(),
        pdf_sha256: String::new(),
        created_at: naive(now),
        updated_at: naive(now),
    };
    let level = {
        let mut held = lookups::held(conn, candidate)?;
        held.push(HeldCredential {
            code: code.to_owned(),
            status: CertStatus::Valid,
            expires_on,
        });
        lookups::level_given(conn, settings, candidate, &held, today)?
    };
    let doc = CertificateDocument {
        holder_name,
        credential_code: code.to_owned(),
        credential_name: credential.name.clone(),
        level: level.map(|l| level_name(l).to_owned()),
        certificate_number: number.clone(),
        issued_on: today.to_string(),
        expires_on: expires_on.map(|e| e.to_string()),
        verification_url: format!(
            "{}/v1/verify/{number}",
            settings.public_base_url.trim_end_matches('/')
        ),
        issuer_name: settings.seller.legal_name.clone(),
    };
    let pdf = render_certificate(&doc).context("rendering certificate")?;
    row.pdf_sha256 = hex::encode(Sha256::digest(&pdf));
    row.pdf = pdf;
    row.level = level.map(|l| l.as_str().to_owned());
    mark_expired(conn, candidate, code, now)?;
    match diesel::insert_into(ce::table).values(&row).execute(conn) {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Conflict {
                kind: "already-held",
                detail: format!("{code} is already held"),
            })
        }
        Err(e) => return Err(e.into()),
    }
    mails::send(
        conn,
        &CertificateAwardedMail {
            to: cand.email.clone(),
            attachments: vec![crate::services::outbox::AttachmentRef::CertificatePdf {
                certification_id: row.id.parse().map_err(anyhow::Error::new)?,
            }],
            org_name: settings.seller.legal_name.clone(),
            candidate_name: doc.holder_name.clone(),
            credential_code: code.to_string(),
            credential_name: credential.name.clone(),
            certificate_number: number.to_string(),
            issued_on: today.to_string(),
            expires_on: expires_on.map_or_else(|| "does not expire".into(), |e| e.to_string()),
            verification_url: doc.verification_url.clone(),
        },
        now,
    )?;
    Ok(row)
}

/// Stores `expired` on the candidate's `valid` records of `code` whose `expires_on`
/// has passed (half-open: expired on that day), so they leave the unique index of
/// live certifications and a new award can be inserted next to them.
fn mark_expired(
    conn: &mut DbConn,
    candidate: CandidateId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    diesel::update(
        ce::table
            .filter(ce::candidate_id.eq(candidate.to_string()))
            .filter(ce::credential_code.eq(code))
            .filter(ce::status.eq(CertStatus::Valid.as_str()))
            .filter(ce::expires_on.le(now.date_naive())),
    )
    .set((
        ce::status.eq(CertStatus::Expired.as_str()),
        ce::updated_at.eq(naive(now)),
    ))
    .execute(conn)?;
    Ok(())
}

/// `POST /v1/certifications` body (bootstrap).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBootstrapCertification {
    /// Candidate.
    pub candidate_id: CandidateId,
    /// Credential code.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub credential_code: String,
    /// Must be `bootstrap_review`.
    #[schema(schema_with = crate::services::request_schema::bootstrap_basis)]
    pub basis: String,
    /// The case made in the formal review, kept with the certification.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub case: String,
}

/// Grants a certification after a formal review (admin): no exam, no fee.
pub fn bootstrap(
    conn: &mut DbConn,
    settings: &Settings,
    input: &NewBootstrapCertification,
    now: DateTime<Utc>,
) -> Result<Certification, ServiceError> {
    if input.basis != "bootstrap_review" {
        return Err(ServiceError::invalid("basis", "must be bootstrap_review"));
    }
    let case =
        required_text("case", &input.case, 10_000).map_err(|e| ServiceError::invalid("case", e))?;
    lookups::find_candidate(conn, input.candidate_id)
        .map_err(|_| ServiceError::invalid("candidate_id", "unknown candidate"))?;
    lookups::find_credential(conn, &input.credential_code)
        .map_err(|_| ServiceError::invalid("credential_code", "unknown credential"))?;
    let row = award(
        conn,
        settings,
        input.candidate_id,
        &input.credential_code,
        Basis::BootstrapReview(case),
        now,
    )?;
    view(&row, now.date_naive())
}

fn find(
    conn: &mut DbConn,
    id: CertificationId,
    scope: Scope,
) -> Result<CertificationRow, ServiceError> {
    let mut q = ce::table.find(id.to_string()).into_boxed();
    match scope {
        Scope::All => {}
        Scope::Candidate(c) => q = q.filter(ce::candidate_id.eq(c.to_string())),
        _ => return Err(ServiceError::NotFound("certification")),
    }
    q.select(CertificationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("certification"))
}

/// `{"reason"}` body of suspension and revocation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// Why, shown in verification.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub reason: String,
}

/// Suspends (`revoke = false`) or revokes a certification (admin). Revocation is
/// final; suspending a revoked one is refused (409 `certification-revoked`), and so
/// is suspending an expired one (409 `certification-expired`: it is no longer in
/// force, and a newer award of the same credential may be). An expired one may
/// still be revoked. Revoking a component flags the composites that rely on it.
/// The holder's AT accreditation follows (suspended when the level drops below
/// `professional`), in the same transaction.
pub fn change_status(
    conn: &mut DbConn,
    settings: &Settings,
    id: CertificationId,
    revoke: bool,
    input: &StatusChange,
    now: DateTime<Utc>,
) -> Result<Certification, ServiceError> {
    let reason = required_text("reason", &input.reason, 2000)
        .map_err(|e| ServiceError::invalid("reason", e))?;
    let row = find(conn, id, Scope::All)?;
    if row.status == CertStatus::Revoked.as_str() {
        return Err(ServiceError::Conflict {
            kind: "certification-revoked",
            detail: "the certification is revoked; revocation is final".into(),
        });
    }
    if !revoke && status_on(&row, now.date_naive()) == CertStatus::Expired.as_str() {
        return Err(ServiceError::Conflict {
            kind: "certification-expired",
            detail: "the certification has expired; only a certification in force can be suspended"
                .into(),
        });
    }
    let status = if revoke {
        CertStatus::Revoked
    } else {
        CertStatus::Suspended
    }
    .as_str();
    diesel::update(ce::table.find(&row.id))
        .set((
            ce::status.eq(status),
            ce::status_reason.eq(Some(&reason)),
            ce::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    if revoke {
        let composites: Vec<String> = cc::table
            .filter(cc::component_code.eq(&row.credential_code))
            .select(cc::composite_code)
            .load(conn)?;
        diesel::update(
            ce::table
                .filter(ce::candidate_id.eq(&row.candidate_id))
                .filter(ce::credential_code.eq_any(&composites))
                .filter(ce::status.ne(CertStatus::Revoked.as_str())),
        )
        .set((
            ce::component_revoked.eq(true),
            ce::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    }
    // The holder may have lost the `professional` level: suspend its AT accreditation.
    let candidate: CandidateId = row.candidate_id.parse().map_err(anyhow::Error::new)?;
    accreditation::cascade::on_candidate_changed(conn, settings, candidate, now)?;
    view(&find(conn, id, Scope::All)?, now.date_naive())
}

/// Lists certifications in award order, one page at a time: a candidate's own, or
/// (staff) any, optionally one candidate's. Expired and revoked records stay listed.
/// Errors: [`ServiceError::Validation`] on a bad page request.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    candidate_filter: Option<CandidateId>,
    page: &PageRequest,
    today: NaiveDate,
) -> Result<Page<Certification>, ServiceError> {
    let after = page.after()?;
    let candidate = match scope {
        Scope::Candidate(c) => Some(c),
        Scope::All => candidate_filter,
        _ => {
            return Ok(Page {
                data: vec![],
                next_cursor: None,
            })
        }
    };
    let mut q = ce::table
        .order(ce::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(c) = candidate {
        q = q.filter(ce::candidate_id.eq(c.to_string()));
    }
    if let Some(after) = after {
        q = q.filter(ce::id.gt(after));
    }
    let views = q
        .select(CertificationRow::as_select())
        .load(conn)?
        .iter()
        .map(|r| view(r, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(views, |c| c.id.to_string()))
}

/// The archived certificate PDF and its number.
pub fn certificate_pdf(
    conn: &mut DbConn,
    id: CertificationId,
    scope: Scope,
) -> Result<(String, Vec<u8>), ServiceError> {
    let row = find(conn, id, scope)?;
    Ok((row.certificate_number, row.pdf))
}

/// The public verification record of a certificate number.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Verification {
    /// Certificate number.
    pub certificate_number: String,
    /// `valid`, `expired`, `suspended` or `revoked`.
    pub status: String,
    /// Reason for suspension or revocation.
    pub reason: Option<String>,
    /// Holder's name as printed.
    pub holder_name: String,
    /// Credential code.
    pub credential_code: String,
    /// Credential name.
    pub credential_name: String,
    /// Level printed on the certificate.
    pub level: Option<Level>,
    /// Issue date.
    pub issued_on: NaiveDate,
    /// Expiry (exclusive); absent = lifetime.
    pub expires_on: Option<NaiveDate>,
    /// SHA-256 (hex) of the issued PDF: an edited PDF hashes differently.
    pub pdf_sha256: String,
}

/// Looks up a certificate by its public number. Errors: [`ServiceError::NotFound`].
pub fn verify(
    conn: &mut DbConn,
    number: &str,
    today: NaiveDate,
) -> Result<Verification, ServiceError> {
    let row: CertificationRow = ce::table
        .filter(ce::certificate_number.eq(number.trim().to_uppercase()))
        .select(CertificationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("certificate"))?;
    let credential = lookups::find_credential(conn, &row.credential_code)?;
    Ok(Verification {
        status: status_on(&row, today),
        reason: row.status_reason.clone(),
        level: level_of_row(&row),
        certificate_number: row.certificate_number,
        holder_name: row.holder_name,
        credential_code: row.credential_code,
        credential_name: credential.name,
        issued_on: row.issued_on,
        expires_on: row.expires_on,
        pdf_sha256: row.pdf_sha256,
    })
}
