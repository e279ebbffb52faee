//! The public register of accredited providers and the public verification of
//! an accreditation certificate number (docs/domain.md, "Public register").
//!
//! Both are read without authentication, so they carry only what is printed on
//! an accreditation certificate plus the provider's city and country: never the
//! email, tax id, street, postal code, ids or the applicant's statement.
//!
//! The register lists accreditations in force (`active`, `renewal_due`);
//! `applied`, `under_review`, `approved`, `suspended`, `lapsed`, `non_compliant`,
//! `rejected` and `revoked` ones are absent. It is keyset-paginated by
//! accreditation id (creation order).

use anyhow::Context;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::AccreditationRow;
use crate::db::schema::training_materials as tm;
use crate::db::schema::{accreditations as ac, providers as pr};
use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::{AccreditationKind, AccreditationStatus};
use crate::domain::accreditation::materials::MaterialStatus;
use crate::domain::ids::ProviderId;
use crate::services::accreditation::materials;
use crate::services::pagination::{Page, PageRequest};
use crate::services::ServiceError;

/// One accredited training material of a provider, as the register shows it.
///
/// Only materials that are accredited now (approved or due for re-accreditation,
/// by an AT whose accreditation is in force) are shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterMaterial {
    /// Title of the material.
    pub title: String,
    /// Python version the material is accredited for, e.g. `3.12`.
    pub python_version: String,
}

/// One accredited provider in the public register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterEntry {
    /// Provider's legal name as printed on its accreditation certificate.
    pub provider_name: String,
    /// Country of the provider's address (ISO 3166-1 alpha-2).
    pub country: String,
    /// City of the provider's address.
    pub city: String,
    /// `trainer` (Authorized Trainer) or `education_center` (Authorized Education Center).
    pub kind: AccreditationKind,
    /// Human name of the kind, e.g. "Authorized Trainer".
    pub kind_label: String,
    /// Public accreditation number (printed on the certificate; verifiable at
    /// `GET /v1/verify/{number}`).
    pub accreditation_number: String,
    /// `active` or `renewal_due`.
    pub status: AccreditationStatus,
    /// First day of the current accreditation.
    pub valid_from: NaiveDate,
    /// First day no longer covered (exclusive); absent = no expiry.
    pub valid_until: Option<NaiveDate>,
    /// The provider's accredited training materials (an AT's; empty for most AECs).
    pub materials: Vec<RegisterMaterial>,
}

/// Filters of the register. Values are checked by [`RegisterFilter::parse`].
#[derive(Debug, Clone, Default)]
pub struct RegisterFilter {
    /// ISO 3166-1 alpha-2 country code, any case.
    pub country: Option<String>,
    /// Kind of accreditation.
    pub kind: Option<AccreditationKind>,
    /// Filters on accredited training materials: only providers with an
    /// accredited (approved or re-accreditation due) material for this Python
    /// version.
    pub python_version: Option<String>,
}

impl RegisterFilter {
    /// The filter with the country upper-cased. Errors:
    /// [`ServiceError::Validation`] when `country` is not two ASCII letters or
    /// `python_version` is empty or longer than 20 characters.
    pub fn parse(mut self) -> Result<Self, ServiceError> {
        if let Some(c) = &self.country {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(ServiceError::invalid(
                    "country",
                    "must be an ISO 3166-1 alpha-2 code, e.g. DE",
                ));
            }
            self.country = Some(c.to_ascii_uppercase());
        }
        if let Some(v) = &self.python_version {
            if v.trim().is_empty() || v.len() > 20 {
                return Err(ServiceError::invalid(
                    "python_version",
                    "must be a Python version such as 3.12",
                ));
            }
        }
        Ok(self)
    }
}

/// Human name of an accreditation kind, as printed on its certificate.
pub fn kind_label(kind: AccreditationKind) -> &'static str {
    match kind {
        AccreditationKind::Trainer => "Authorized Trainer",
        AccreditationKind::EducationCenter => "Authorized Education Center",
    }
}

/// First day in force of an accreditation: its term's start, else its creation day.
fn valid_from(row: &AccreditationRow) -> NaiveDate {
    row.starts_on.unwrap_or_else(|| row.created_at.date())
}

/// A page of the register. `filter` must come from [`RegisterFilter::parse`].
/// Errors: [`ServiceError::Validation`] on a bad `limit` or cursor.
pub fn list(
    conn: &mut DbConn,
    filter: &RegisterFilter,
    page: &PageRequest,
) -> Result<Page<RegisterEntry>, ServiceError> {
    let after = page.after()?;
    let in_force = [
        AccreditationStatus::Active.as_str(),
        AccreditationStatus::RenewalDue.as_str(),
    ];
    let mut q = ac::table
        .inner_join(pr::table.on(pr::id.eq(ac::provider_id)))
        .filter(ac::status.eq_any(in_force))
        .into_boxed();
    if let Some(c) = &filter.country {
        q = q.filter(pr::country.eq(c.clone()));
    }
    if let Some(k) = filter.kind {
        q = q.filter(ac::kind.eq(k.as_str()));
    }
    if let Some(v) = &filter.python_version {
        let accredited = [
            MaterialStatus::Approved.as_str(),
            MaterialStatus::ReaccreditationDue.as_str(),
        ];
        q = q.filter(
            ac::provider_id.eq_any(
                tm::table
                    .filter(tm::python_version.eq(v.clone()))
                    .filter(tm::status.eq_any(accredited))
                    .select(tm::provider_id),
            ),
        );
    }
    if let Some(a) = after {
        q = q.filter(ac::id.gt(a));
    }
    let rows: Vec<(AccreditationRow, String, String, String)> = q
        .order(ac::id.asc())
        .limit(page.limit() + 1)
        .select((
            AccreditationRow::as_select(),
            pr::legal_name,
            pr::country,
            pr::city,
        ))
        .load(conn)?;
    let provider_ids = rows
        .iter()
        .map(|(row, ..)| row.provider_id.parse::<ProviderId>())
        .collect::<Result<Vec<_>, _>>()
        .context("provider id")?;
    let mut shown = materials::accredited_materials(conn, &provider_ids)?;
    shown.retain(|m| {
        filter
            .python_version
            .as_ref()
            .is_none_or(|v| &m.python_version == v)
    });
    let entries = rows
        .into_iter()
        .map(|(row, name, country, city)| {
            let kind = AccreditationKind::from_stored(&row.kind).context("accreditation kind")?;
            let status =
                AccreditationStatus::from_stored(&row.status).context("accreditation status")?;
            Ok((
                row.id.clone(),
                RegisterEntry {
                    provider_name: name,
                    country,
                    city,
                    kind,
                    kind_label: kind_label(kind).to_owned(),
                    accreditation_number: row.number.clone(),
                    status,
                    valid_from: valid_from(&row),
                    valid_until: row.expires_on,
                    materials: shown
                        .iter()
                        .filter(|m| m.provider_id.to_string() == row.provider_id)
                        .map(|m| RegisterMaterial {
                            title: m.title.clone(),
                            python_version: m.python_version.clone(),
                        })
                        .collect(),
                },
            ))
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let p = page.page(entries, |(id, _)| id.clone());
    Ok(Page {
        data: p.data.into_iter().map(|(_, e)| e).collect(),
        next_cursor: p.next_cursor,
    })
}

/// The public verification record of an accreditation certificate number.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccreditationVerification {
    /// Accreditation number printed on the certificate (and in its QR code).
    pub accreditation_number: String,
    /// `trainer` or `education_center`.
    pub kind: AccreditationKind,
    /// "Authorized Trainer" or "Authorized Education Center".
    pub accredited_as: String,
    /// Current status, e.g. `active`, `renewal_due`, `suspended`, `lapsed`, `revoked`.
    pub status: AccreditationStatus,
    /// Reason of a suspension or revocation (absent otherwise).
    pub reason: Option<String>,
    /// Provider's legal name as printed.
    pub holder_name: String,
    /// First day in force.
    pub valid_from: NaiveDate,
    /// First day no longer covered (exclusive); absent = no expiry.
    pub valid_until: Option<NaiveDate>,
    /// SHA-256 (hex) of the issued certificate PDF.
    pub pdf_sha256: String,
}

/// Looks up an accreditation by the number printed on its certificate (any
/// case, surrounding blanks ignored). Errors: [`ServiceError::NotFound`] for an
/// unknown number and for an accreditation whose certificate was never issued
/// (an application not yet paid).
pub fn verify(conn: &mut DbConn, number: &str) -> Result<AccreditationVerification, ServiceError> {
    let (row, holder): (AccreditationRow, String) = ac::table
        .inner_join(pr::table.on(pr::id.eq(ac::provider_id)))
        .filter(ac::number.eq(number.trim().to_uppercase()))
        .select((AccreditationRow::as_select(), pr::legal_name))
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("certificate"))?;
    let Some(pdf_sha256) = row.certificate_sha256.clone() else {
        return Err(ServiceError::NotFound("certificate"));
    };
    let kind = AccreditationKind::from_stored(&row.kind).context("accreditation kind")?;
    let status = AccreditationStatus::from_stored(&row.status).context("accreditation status")?;
    let withdrawn = matches!(
        status,
        AccreditationStatus::Suspended | AccreditationStatus::Revoked
    );
    Ok(AccreditationVerification {
        accreditation_number: row.number.clone(),
        kind,
        accredited_as: kind_label(kind).to_owned(),
        status,
        reason: if withdrawn {
            row.status_reason.clone()
        } else {
            None
        },
        holder_name: holder,
        valid_from: valid_from(&row),
        valid_until: row.expires_on,
        pdf_sha256,
    })
}
