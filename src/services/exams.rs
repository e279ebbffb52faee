//! Exams: testing vendors, the credential catalogue and fee split policies.
//!
//! Exam orders live in [`super::exam_orders`], vouchers, attempts and results in
//! [`super::exam_attempts`]; both are re-exported here, so `exams::place_order` and
//! the like keep their paths.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::{CredentialRow, SplitPolicyRow, TestingVendorRow};
use crate::db::schema::{
    certifications as ce, credential_components as cc, credential_prerequisites as cp,
    credentials as cr, split_policies as sp, testing_vendors as tv,
};
use crate::db::DbConn;
use crate::domain::credentials::catalogue::{CertStatus, CredentialRule, HeldCredential, Tier};
use crate::domain::credentials::levels::{self, Level};
use crate::domain::exams::split::SplitParts;
use crate::domain::ids::{CandidateId, SplitPolicyId, VendorId};
use crate::domain::money::Money;
use crate::domain::parties::provider::{required_text, CountryCode};

use super::pagination::{Page, PageRequest};
use super::{candidates, catalogue, naive, FieldError, ServiceError};

pub use super::exam_attempts::{get_attempt, redeem, report_result, ExamAttempt, ExamResult};
pub use super::exam_orders::{
    fulfil_order, get_order, list_orders, place_order, ExamOrder, NewExamOrder,
};

// ---------------------------------------------------------------- vendors

/// `POST /v1/testing-vendors` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTestingVendor {
    /// Vendor name.
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Stripe Connect account (`acct_…`) for transfers; without it payouts are bank transfers.
    #[serde(default)]
    pub stripe_account_id: Option<String>,
}

/// A testing vendor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TestingVendor {
    /// Id.
    pub id: VendorId,
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Stripe Connect account.
    pub stripe_account_id: Option<String>,
}

fn vendor_view(r: TestingVendorRow) -> Result<TestingVendor, ServiceError> {
    Ok(TestingVendor {
        id: r.id.parse().map_err(anyhow::Error::new)?,
        name: r.name,
        country: r.country,
        stripe_account_id: r.stripe_account_id,
    })
}

/// Registers a testing vendor (admin).
pub fn create_vendor(
    conn: &mut DbConn,
    input: &NewTestingVendor,
    now: DateTime<Utc>,
) -> Result<TestingVendor, ServiceError> {
    let mut errors = Vec::new();
    let name = required_text("name", &input.name, 200)
        .map_err(|e| errors.push(FieldError::new("name", e)))
        .unwrap_or_default();
    let country = CountryCode::parse(&input.country)
        .map_err(|e| errors.push(FieldError::new("country", e)))
        .ok();
    if let Some(acct) = &input.stripe_account_id {
        if !acct.starts_with("acct_") || acct.len() > 64 {
            errors.push(FieldError::new(
                "stripe_account_id",
                "must be a Stripe Connect account id (acct_…)",
            ));
        }
    }
    let (Some(country), true) = (country, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let row = TestingVendorRow {
        id: VendorId::new().to_string(),
        name,
        country: country.as_str().to_owned(),
        stripe_account_id: input.stripe_account_id.clone(),
        created_at: naive(now),
    };
    diesel::insert_into(tv::table).values(&row).execute(conn)?;
    vendor_view(row)
}

/// Loads a vendor. Errors: [`ServiceError::NotFound`].
pub fn find_vendor(conn: &mut DbConn, id: VendorId) -> Result<TestingVendorRow, ServiceError> {
    tv::table
        .find(id.to_string())
        .select(TestingVendorRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("testing vendor"))
}

// ---------------------------------------------------------------- catalogue

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
fn catalogue_with_rows(
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
                tier: Tier::parse(&r.tier).ok_or_else(|| anyhow::anyhow!("bad tier {}", r.tier))?,
                exam: r.is_exam,
                retake_wait_days: u32::try_from(r.retake_wait_days).unwrap_or(14),
                voucher_validity_months: u32::try_from(r.voucher_validity_months).unwrap_or(12),
                validity_months: r.validity_months.and_then(|m| u32::try_from(m).ok()),
                name: r.name.clone(),
                code: r.code.clone(),
            };
            Ok((r, rule))
        })
        .collect()
}

/// A credential of the exam catalogue as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Exam {
    /// Code, e.g. `PCAP`.
    pub code: String,
    /// Name.
    pub name: String,
    /// `entry`, `associate`, `professional` or `expert`.
    pub tier: String,
    /// The candidate level this credential belongs to (`certified` for entry and
    /// associate credentials; reaching `professional` and `expert` also needs
    /// verified community credits).
    pub level: Level,
    /// Whether it is earned by an exam (false: composite such as CEPP).
    pub exam: bool,
    /// Exam fee, for exams.
    pub fee: Option<Money>,
    /// All-of prerequisites.
    pub prerequisites: Vec<String>,
    /// All-of components, for composites.
    pub components: Vec<String>,
    /// Days a candidate waits after a failed attempt.
    pub retake_wait_days: u32,
    /// Months a voucher stays valid.
    pub voucher_validity_months: u32,
    /// Months a certification is valid; absent = lifetime.
    pub validity_months: Option<u32>,
}

/// The exam catalogue with current fees, one page at a time in code order (the
/// catalogue is small and read whole; the page is cut in memory).
/// Errors: [`ServiceError::Validation`] on a bad page request.
pub fn list_exams(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    page: &PageRequest,
) -> Result<Page<Exam>, ServiceError> {
    page.after_key()?;
    let mut out = Vec::new();
    for (row, rule) in catalogue_with_rows(conn)? {
        let fee = match &row.product_code {
            Some(p) => Some(catalogue::find(conn, p, now)?.unit_price),
            None => None,
        };
        out.push(Exam {
            level: match rule.tier {
                Tier::Entry | Tier::Associate => Level::Certified,
                Tier::Professional => Level::Professional,
                Tier::Expert => Level::Expert,
            },
            code: rule.code,
            name: rule.name,
            tier: row.tier,
            exam: rule.exam,
            fee,
            prerequisites: rule.prerequisites,
            components: rule.components,
            retake_wait_days: rule.retake_wait_days,
            voucher_validity_months: rule.voucher_validity_months,
            validity_months: rule.validity_months,
        });
    }
    page.page_in_memory(out, |e| e.code.clone())
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
    Ok(rows
        .into_iter()
        .map(|(code, status, expires_on)| HeldCredential {
            code,
            status: CertStatus::parse(&status).unwrap_or(CertStatus::Revoked),
            expires_on,
        })
        .collect())
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
    let credits = u32::try_from(candidates::verified_credits(conn, candidate)?).unwrap_or(u32::MAX);
    Ok(levels::derive_level(
        &rules,
        held,
        credits,
        settings.levels.professional_min_credits,
        settings.levels.expert_min_credits,
        on,
    ))
}

// ---------------------------------------------------------------- split policies

/// `POST /v1/split-policies` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSplitPolicy {
    /// Exam code.
    pub exam_code: String,
    /// A vendor-specific override; absent = the exam's default.
    #[serde(default)]
    pub testing_vendor_id: Option<VendorId>,
    /// First day it applies (payment date).
    pub effective_from: NaiveDate,
    /// Shares in basis points: `foundation`, `testing_vendor`, `referring_provider`, summing to 10 000.
    pub parts: SplitPartsInput,
}

/// Shares in basis points as sent on the API.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitPartsInput {
    /// Foundation share.
    pub foundation: i64,
    /// Testing vendor share.
    pub testing_vendor: i64,
    /// Referring provider share (goes to the foundation when there is no referrer).
    pub referring_provider: i64,
}

/// A split policy version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SplitPolicyView {
    /// Id.
    pub id: SplitPolicyId,
    /// Exam code.
    pub exam_code: String,
    /// Vendor override.
    pub testing_vendor_id: Option<VendorId>,
    /// First day it applies.
    pub effective_from: NaiveDate,
    /// Shares.
    pub parts: SplitPartsInput,
}

fn policy_view(r: &SplitPolicyRow) -> Result<SplitPolicyView, ServiceError> {
    Ok(SplitPolicyView {
        id: r.id.parse().map_err(anyhow::Error::new)?,
        exam_code: r.exam_code.clone(),
        testing_vendor_id: r
            .testing_vendor_id
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(anyhow::Error::new)?,
        effective_from: r.effective_from,
        parts: SplitPartsInput {
            foundation: r.foundation_bp.into(),
            testing_vendor: r.testing_vendor_bp.into(),
            referring_provider: r.referring_provider_bp.into(),
        },
    })
}

/// Adds a split policy version (admin).
pub fn create_policy(
    conn: &mut DbConn,
    input: &NewSplitPolicy,
    by: &str,
    now: DateTime<Utc>,
) -> Result<SplitPolicyView, ServiceError> {
    let credential = find_credential(conn, &input.exam_code)
        .map_err(|_| ServiceError::invalid("exam_code", "not an exam of the catalogue"))?;
    if !credential.is_exam {
        return Err(ServiceError::invalid(
            "exam_code",
            "composite credentials have no fee to split",
        ));
    }
    if let Some(v) = input.testing_vendor_id {
        find_vendor(conn, v)
            .map_err(|_| ServiceError::invalid("testing_vendor_id", "unknown testing vendor"))?;
    }
    let parts = SplitParts::parse(
        input.parts.foundation,
        input.parts.testing_vendor,
        input.parts.referring_provider,
    )
    .map_err(|e| ServiceError::invalid("parts", e.to_string()))?;
    let bp = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let row = SplitPolicyRow {
        id: SplitPolicyId::new().to_string(),
        exam_code: input.exam_code.clone(),
        testing_vendor_id: input.testing_vendor_id.map(|v| v.to_string()),
        effective_from: input.effective_from,
        foundation_bp: bp(parts.foundation_bp),
        testing_vendor_bp: bp(parts.testing_vendor_bp),
        referring_provider_bp: bp(parts.referring_provider_bp),
        created_by: by.to_owned(),
        created_at: naive(now),
    };
    diesel::insert_into(sp::table).values(&row).execute(conn)?;
    policy_view(&row)
}

/// Split policies in creation order, one page at a time.
/// Errors: [`ServiceError::Validation`] on a bad page request.
pub fn list_policies(
    conn: &mut DbConn,
    page: &PageRequest,
) -> Result<Page<SplitPolicyView>, ServiceError> {
    let after = page.after()?;
    let mut q = sp::table
        .order(sp::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(sp::id.gt(after));
    }
    let rows = q.select(SplitPolicyRow::as_select()).load(conn)?;
    let views = rows
        .iter()
        .map(policy_view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(views, |p| p.id.to_string()))
}
