//! Shared look-ups the use cases read from: vendors, candidates, the credential
//! catalogue as domain rules, the credentials a candidate holds and the level they
//! give. This module sits below every use case (it imports none of them), so the
//! use cases form a tree; a stored value these readers cannot interpret is an
//! error, never a default.

use anyhow::Context;
use chrono::NaiveDate;
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::models::{CandidateRow, CredentialRow, TestingVendorRow};
use crate::db::schema::{
    candidates as cd, certifications as ce, contributions as co, credential_components as cc,
    credential_prerequisites as cp, credentials as cr, testing_vendors as tv,
};
use crate::db::DbConn;
use crate::domain::credentials::catalogue::{CertStatus, CredentialRule, HeldCredential, Tier};
use crate::domain::credentials::levels::{self, ContributionStatus, Level};
use crate::domain::ids::{CandidateId, VendorId};

use crate::services::ServiceError;

/// Loads a vendor. Errors: [`ServiceError::NotFound`].
pub fn find_vendor(conn: &mut DbConn, id: VendorId) -> Result<TestingVendorRow, ServiceError> {
    tv::table
        .find(id.to_string())
        .select(TestingVendorRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("testing vendor"))
}

/// Loads a candidate row. Errors: [`ServiceError::NotFound`].
pub fn find_candidate(conn: &mut DbConn, id: CandidateId) -> Result<CandidateRow, ServiceError> {
    cd::table
        .find(id.to_string())
        .select(CandidateRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("candidate"))
}

/// Sum of verified contribution credits.
pub fn verified_credits(conn: &mut DbConn, id: CandidateId) -> Result<i64, ServiceError> {
    let credits: Vec<i32> = co::table
        .filter(co::candidate_id.eq(id.to_string()))
        .filter(co::status.eq(ContributionStatus::Verified.as_str()))
        .select(co::credits)
        .load(conn)?;
    Ok(credits.into_iter().map(i64::from).sum())
}

/// Loads a credential row. Errors: [`ServiceError::NotFound`].
pub fn find_credential(conn: &mut DbConn, code: &str) -> Result<CredentialRow, ServiceError> {
    cr::table
        .find(code)
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("credential"))
}

/// The credential catalogue as domain rules.
pub fn catalogue_rules(conn: &mut DbConn) -> Result<Vec<CredentialRule>, ServiceError> {
    Ok(catalogue_with_rows(conn)?
        .into_iter()
        .map(|(_, rule)| rule)
        .collect())
}

/// The stored catalogue rows (for their fee products) paired with their rules.
/// Errors: a stored tier, retake wait or validity that is not valid (a corrupt row).
pub fn catalogue_with_rows(
    conn: &mut DbConn,
) -> Result<Vec<(CredentialRow, CredentialRule)>, ServiceError> {
    let rows = cr::table
        .order(cr::code.asc())
        .select(CredentialRow::as_select())
        .load(conn)?;
    let prereqs: Vec<(String, String)> = cp::table
        .select((cp::credential_code, cp::required_code))
        .load(conn)?;
    let comps: Vec<(String, String)> = cc::table
        .select((cc::composite_code, cc::component_code))
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let rule = CredentialRule {
                prerequisites: prereqs
                    .iter()
                    .filter(|p| p.0 == r.code)
                    .map(|p| p.1.clone())
                    .collect(),
                components: comps
                    .iter()
                    .filter(|p| p.0 == r.code)
                    .map(|p| p.1.clone())
                    .collect(),
                tier: Tier::parse(&r.tier)
                    .with_context(|| format!("credential {} has tier {:?}", r.code, r.tier))?,
                exam: r.is_exam,
                retake_wait_days: u32::try_from(r.retake_wait_days)
                    .with_context(|| format!("credential {} retake wait", r.code))?,
                voucher_validity_months: u32::try_from(r.voucher_validity_months)
                    .with_context(|| format!("credential {} voucher validity", r.code))?,
                validity_months: r.validity_months.and_then(|m| u32::try_from(m).ok()),
                name: r.name.clone(),
                code: r.code.clone(),
            };
            Ok((r, rule))
        })
        .collect()
}

/// Certifications of a candidate as the rules see them.
pub fn held(
    conn: &mut DbConn,
    candidate: CandidateId,
) -> Result<Vec<HeldCredential>, ServiceError> {
    let rows: Vec<(String, String, Option<NaiveDate>)> = ce::table
        .filter(ce::candidate_id.eq(candidate.to_string()))
        .select((ce::credential_code, ce::status, ce::expires_on))
        .load(conn)?;
    rows.into_iter()
        .map(|(code, status, expires_on)| {
            Ok(HeldCredential {
                status: CertStatus::parse(&status)
                    .with_context(|| format!("certification of {code}"))?,
                code,
                expires_on,
            })
        })
        .collect()
}

/// The candidate's derived level on `on`.
pub fn level_of(
    conn: &mut DbConn,
    settings: &Settings,
    candidate: CandidateId,
    on: NaiveDate,
) -> Result<Option<Level>, ServiceError> {
    let held = held(conn, candidate)?;
    level_given(conn, settings, candidate, &held, on)
}

/// The level `candidate` has on `on` if it holds `held` (its verified credits are read).
pub fn level_given(
    conn: &mut DbConn,
    settings: &Settings,
    candidate: CandidateId,
    held: &[HeldCredential],
    on: NaiveDate,
) -> Result<Option<Level>, ServiceError> {
    let rules = catalogue_rules(conn)?;
    let credits = u32::try_from(verified_credits(conn, candidate)?).unwrap_or(u32::MAX);
    Ok(levels::derive_level(
        &rules,
        held,
        credits,
        settings.levels.professional_min_credits,
        settings.levels.expert_min_credits,
        on,
    ))
}
