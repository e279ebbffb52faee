//! Exams: testing vendors, the credential catalogue, fee split policies, exam
//! orders and their payment, vouchers, attempts and results.
//!
//! An exam order is an invoice to the candidate for the exam's fee product. When
//! that invoice is paid in full ([`on_invoice_paid`]) a voucher is issued and
//! emailed, and the fee is split by the policy in force on the payment date
//! (per exam, with an optional per-vendor override): the vendor's and the
//! referring provider's parts move from exam-fee revenue to partner payables.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::models::{
    CertificationRow, CredentialRow, ExamAttemptRow, ExamOrderRow, PayableRow, SplitPolicyRow,
    TestingVendorRow, VoucherRow,
};
use crate::db::schema::{
    certifications as ce, credential_components as cc, credential_prerequisites as cp,
    credentials as cr, equivalent_experiences as ee, exam_attempts as ea, exam_orders as eo,
    payables as pb, split_policies as sp, testing_vendors as tv, vouchers as vo,
};
use crate::db::DbConn;
use crate::domain::billing::invoice::InvoiceSubject;
use crate::domain::codes::VoucherCode;
use crate::domain::credentials::catalogue::{
    missing_prerequisites, CertStatus, CredentialRule, HeldCredential, Tier,
};
use crate::domain::credentials::levels::{self, Level};
use crate::domain::exams::orders::ExamOrderStatus;
use crate::domain::exams::schedule;
use crate::domain::exams::split::fee_split_entry;
use crate::domain::exams::split::{policy_in_force, split_fee, SplitParts, SplitPolicy};
use crate::domain::ids::{
    CandidateId, ExamAttemptId, ExamOrderId, InvoiceId, ProviderId, SplitPolicyId, VendorId,
    VoucherId,
};
use crate::domain::money::Money;
use crate::domain::parties::provider::{required_text, CountryCode};

use super::invoicing::{self, Buyer, LineInput, PaymentChannel};
use super::outbox::{enqueue_email, EmailJob};
use super::payments::PaymentInput;
use super::providers::Page;
use super::{candidates, catalogue, certifications, ledger, naive, FieldError, ServiceError};

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

/// The exam catalogue with current fees.
pub fn list_exams(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<Exam>, ServiceError> {
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
    Ok(out)
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

/// All split policies, newest first.
pub fn list_policies(conn: &mut DbConn) -> Result<Vec<SplitPolicyView>, ServiceError> {
    let rows = sp::table
        .order((sp::exam_code.asc(), sp::effective_from.desc()))
        .select(SplitPolicyRow::as_select())
        .load(conn)?;
    rows.iter().map(policy_view).collect()
}

// ---------------------------------------------------------------- orders

/// `POST /v1/exam-orders` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExamOrder {
    /// Exam code, e.g. `PCEP`.
    pub exam_code: String,
    /// Vendor that will deliver the exam.
    pub testing_vendor_id: VendorId,
    /// The AEC that referred the candidate, which earns a share of the fee.
    #[serde(default)]
    pub referring_provider_id: Option<ProviderId>,
}

/// An exam order as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExamOrder {
    /// Id.
    pub id: ExamOrderId,
    /// `pending_payment` or `paid`.
    pub status: String,
    /// Exam.
    pub exam_code: String,
    /// Candidate.
    pub candidate_id: CandidateId,
    /// Vendor.
    pub testing_vendor_id: VendorId,
    /// Referrer.
    pub referring_provider_id: Option<ProviderId>,
    /// The fee's invoice.
    pub invoice_id: InvoiceId,
    /// Voucher code, once paid.
    pub voucher_code: Option<String>,
    /// Last valid day of the voucher (exclusive end), once paid.
    pub voucher_expires_on: Option<NaiveDate>,
}

fn order_view(conn: &mut DbConn, r: ExamOrderRow) -> Result<ExamOrder, ServiceError> {
    let voucher: Option<(String, NaiveDate)> = vo::table
        .filter(vo::exam_order_id.eq(&r.id))
        .select((vo::code, vo::expires_on))
        .first(conn)
        .optional()?;
    fn p<T: std::str::FromStr<Err = uuid::Error>>(s: &str) -> Result<T, ServiceError> {
        s.parse()
            .map_err(|e: uuid::Error| ServiceError::Internal(anyhow::Error::new(e)))
    }
    Ok(ExamOrder {
        id: p(&r.id)?,
        status: r.status,
        exam_code: r.exam_code,
        candidate_id: p(&r.candidate_id)?,
        testing_vendor_id: p(&r.testing_vendor_id)?,
        referring_provider_id: r.referring_provider_id.as_deref().map(p).transpose()?,
        invoice_id: p(&r.invoice_id)?,
        voucher_code: voucher.as_ref().map(|v| v.0.clone()),
        voucher_expires_on: voucher.map(|v| v.1),
    })
}

/// Places an exam order for `candidate`: checks prerequisites (equivalent experience
/// counts), the retake wait and unused vouchers, then issues the fee invoice.
/// Errors: [`ServiceError::Conflict`] `exam-not-allowed` listing what is missing.
pub fn place_order(
    conn: &mut DbConn,
    settings: &Settings,
    stripe_enabled: bool,
    candidate: CandidateId,
    input: &NewExamOrder,
    now: DateTime<Utc>,
) -> Result<ExamOrder, ServiceError> {
    let today = now.date_naive();
    let cand = candidates::find_row(conn, candidate)?;
    let rules = catalogue_rules(conn)?;
    let rule = rules
        .iter()
        .find(|r| r.code == input.exam_code && r.exam)
        .ok_or_else(|| ServiceError::invalid("exam_code", "not an exam of the catalogue"))?
        .clone();
    find_vendor(conn, input.testing_vendor_id)
        .map_err(|_| ServiceError::invalid("testing_vendor_id", "unknown testing vendor"))?;
    if let Some(p) = input.referring_provider_id {
        super::providers::find_row(conn, p, None)
            .map_err(|_| ServiceError::invalid("referring_provider_id", "unknown provider"))?;
    }
    let held = held(conn, candidate)?;
    let equivalents: Vec<String> = ee::table
        .filter(ee::candidate_id.eq(candidate.to_string()))
        .select(ee::credential_code)
        .load(conn)?;
    let mut reasons = Vec::new();
    for missing in missing_prerequisites(&rule, &held, &equivalents, today) {
        reasons.push(FieldError::new(
            "prerequisites",
            format!("{missing} is required first"),
        ));
    }
    if held.iter().any(|h| {
        h.code == rule.code
            && h.status == CertStatus::Valid
            && h.expires_on.is_none_or(|e| today < e)
    }) {
        reasons.push(FieldError::new(
            "exam_code",
            format!("{} is already held", rule.code),
        ));
    }
    let last_failed: Option<Option<chrono::NaiveDateTime>> = ea::table
        .filter(ea::candidate_id.eq(candidate.to_string()))
        .filter(ea::exam_code.eq(&rule.code))
        .filter(ea::passed.eq(false))
        .order(ea::taken_at.desc())
        .select(ea::taken_at)
        .first(conn)
        .optional()?;
    if let Err(earliest) = schedule::check_retake(
        last_failed.flatten().map(|t| t.date()),
        rule.retake_wait_days,
        today,
    ) {
        reasons.push(FieldError::new(
            "retake",
            format!("a retake is possible from {earliest}"),
        ));
    }
    let unused: i64 = vo::table
        .filter(vo::candidate_id.eq(candidate.to_string()))
        .filter(vo::exam_code.eq(&rule.code))
        .filter(vo::status.eq("issued"))
        .filter(vo::expires_on.gt(today))
        .count()
        .get_result(conn)?;
    let pending: i64 = eo::table
        .filter(eo::candidate_id.eq(candidate.to_string()))
        .filter(eo::exam_code.eq(&rule.code))
        .filter(eo::status.eq("pending_payment"))
        .count()
        .get_result(conn)?;
    if unused > 0 {
        reasons.push(FieldError::new(
            "voucher",
            format!("an unused {} voucher exists; use it first", rule.code),
        ));
    } else if pending > 0 {
        reasons.push(FieldError::new(
            "order",
            format!("an unpaid {} order exists; pay it first", rule.code),
        ));
    }
    if !reasons.is_empty() {
        return Err(ServiceError::Refused {
            kind: "exam-not-allowed",
            reasons,
        });
    }
    let product_code = find_credential(conn, &rule.code)?
        .product_code
        .ok_or_else(|| anyhow::anyhow!("exam without fee product"))?;
    let product = catalogue::find(conn, &product_code, now)?;
    let order_id = ExamOrderId::new();
    let invoice = invoicing::issue(
        conn,
        settings,
        &InvoiceSubject::exam_order(order_id),
        &Buyer::candidate(&cand),
        vec![LineInput {
            description: format!("{} exam voucher", rule.name),
            product,
            quantity: 1,
            period: None,
        }],
        if stripe_enabled {
            PaymentChannel::Card
        } else {
            PaymentChannel::BankTransfer
        },
        now,
    )?;
    let row = ExamOrderRow {
        id: order_id.to_string(),
        candidate_id: candidate.to_string(),
        exam_code: rule.code.clone(),
        testing_vendor_id: input.testing_vendor_id.to_string(),
        referring_provider_id: input.referring_provider_id.map(|p| p.to_string()),
        invoice_id: invoice.id.to_string(),
        status: "pending_payment".into(),
        created_at: naive(now),
        paid_at: None,
    };
    diesel::insert_into(eo::table).values(&row).execute(conn)?;
    order_view(conn, row)
}

/// One order; candidates see only their own.
pub fn get_order(
    conn: &mut DbConn,
    id: ExamOrderId,
    scope: Scope,
) -> Result<ExamOrder, ServiceError> {
    let mut q = eo::table.find(id.to_string()).into_boxed();
    match scope {
        Scope::All => {}
        Scope::Candidate(c) => q = q.filter(eo::candidate_id.eq(c.to_string())),
        _ => return Err(ServiceError::NotFound("exam order")),
    }
    let row = q
        .select(ExamOrderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("exam order"))?;
    order_view(conn, row)
}

/// Fulfils exam order `order_id`, whose fee invoice was just paid in full by
/// `payment`: issues and emails the voucher and splits the fee by the policy in
/// force on the payment date. Called once per invoice by the payment path
/// ([`crate::services::fulfilment`]); an order already paid is left alone.
/// Errors: an order that does not exist or has a bad stored status (a bug).
pub fn fulfil_order(
    conn: &mut DbConn,
    settings: &Settings,
    order_id: ExamOrderId,
    invoice_id: InvoiceId,
    payment: &PaymentInput,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let order: ExamOrderRow = eo::table
        .find(order_id.to_string())
        .select(ExamOrderRow::as_select())
        .first(conn)
        .with_context(|| format!("exam order {order_id} of invoice {invoice_id}"))?;
    if ExamOrderStatus::from_stored(&order.status).context("exam order status")?
        == ExamOrderStatus::Paid
    {
        return Ok(());
    }
    let paid_on = payment.received_on;
    diesel::update(eo::table.find(&order.id))
        .set((eo::status.eq("paid"), eo::paid_at.eq(Some(naive(now)))))
        .execute(conn)?;
    let rule = catalogue_rules(conn)?
        .into_iter()
        .find(|r| r.code == order.exam_code)
        .ok_or_else(|| anyhow::anyhow!("exam {} vanished", order.exam_code))?;
    let code = VoucherCode::generate(&mut rand::rngs::OsRng);
    let expires_on = schedule::voucher_expires_on(paid_on, rule.voucher_validity_months);
    diesel::insert_into(vo::table)
        .values(&VoucherRow {
            id: VoucherId::new().to_string(),
            code: code.clone(),
            exam_order_id: order.id.clone(),
            candidate_id: order.candidate_id.clone(),
            exam_code: order.exam_code.clone(),
            testing_vendor_id: order.testing_vendor_id.clone(),
            status: "issued".into(),
            expires_on,
            created_at: naive(now),
            redeemed_at: None,
        })
        .execute(conn)?;

    // Split the fee actually invoiced by the policy in force on the payment date.
    let h = invoicing::find_header(conn, invoice_id, Scope::All)?;
    let fee = Money::new(h.total_minor - h.tax_minor, payment.amount.currency);
    let policies: Vec<SplitPolicy> = sp::table
        .filter(sp::exam_code.eq(&order.exam_code))
        .select(SplitPolicyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| {
            Ok(SplitPolicy {
                exam_code: r.exam_code,
                vendor_id: r.testing_vendor_id,
                effective_from: r.effective_from,
                parts: SplitParts::parse(
                    r.foundation_bp.into(),
                    r.testing_vendor_bp.into(),
                    r.referring_provider_bp.into(),
                )
                .map_err(|e| anyhow::anyhow!("stored policy invalid: {e}"))?,
            })
        })
        .collect::<Result<_, ServiceError>>()?;
    let parts = policy_in_force(
        &policies,
        &order.exam_code,
        Some(order.testing_vendor_id.as_str()),
        paid_on,
    )
    .map(|p| p.parts)
    .unwrap_or(settings.default_split);
    let split = split_fee(fee, &parts, order.referring_provider_id.is_some())?;
    let payable = |partner_type: &str,
                   partner_id: &str,
                   amount: Money,
                   conn: &mut DbConn|
     -> Result<(), ServiceError> {
        diesel::insert_into(pb::table)
            .values(&PayableRow {
                id: uuid::Uuid::now_v7().to_string(),
                partner_type: partner_type.to_owned(),
                partner_id: partner_id.to_owned(),
                exam_order_id: order.id.clone(),
                amount_minor: amount.amount_minor,
                currency: amount.currency.code().to_owned(),
                payout_id: None,
                created_at: naive(now),
            })
            .execute(conn)?;
        Ok(())
    };
    payable(
        "testing_vendor",
        &order.testing_vendor_id,
        split.testing_vendor,
        conn,
    )?;
    if let Some(referrer) = &order.referring_provider_id {
        payable(
            "referring_provider",
            referrer,
            split.referring_provider,
            conn,
        )?;
    }
    if let Some(entry) = fee_split_entry(&split).map_err(|e| anyhow::anyhow!("split entry: {e}"))? {
        ledger::post(
            conn,
            &entry,
            now,
            &format!("Exam fee split for invoice {}", h.number),
            "exam_order",
            &order.id,
        )?;
    }

    let cand = candidates::find_row(
        conn,
        order.candidate_id.parse().map_err(anyhow::Error::new)?,
    )?;
    enqueue_email(
        conn,
        &EmailJob {
            template: "voucher_issued".into(),
            to: cand.email.clone(),
            context: serde_json::json!({
                "org_name": settings.seller.legal_name,
                "candidate_name": format!("{} {}", cand.given_name, cand.family_name),
                "exam_code": rule.code,
                "exam_name": rule.name,
                "voucher_code": code,
                "voucher_expires_on": expires_on.to_string(),
                "invoice_number": h.number,
            }),
            attachments: vec![],
        },
        now,
    )?;
    Ok(())
}

// ---------------------------------------------------------------- vouchers and attempts

/// An exam attempt as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExamAttempt {
    /// Id.
    pub id: ExamAttemptId,
    /// Exam.
    pub exam_code: String,
    /// Candidate.
    pub candidate_id: CandidateId,
    /// Vendor.
    pub testing_vendor_id: VendorId,
    /// Result, once reported.
    pub passed: Option<bool>,
    /// Score, once reported.
    pub score_percent: Option<i32>,
    /// When the exam was taken.
    pub taken_at: Option<DateTime<Utc>>,
    /// The certification awarded by a pass.
    pub certification_id: Option<String>,
}

fn attempt_view(conn: &mut DbConn, r: ExamAttemptRow) -> Result<ExamAttempt, ServiceError> {
    let cert: Option<String> = ce::table
        .filter(ce::exam_attempt_id.eq(&r.id))
        .select(ce::id)
        .first(conn)
        .optional()?;
    fn p<T: std::str::FromStr<Err = uuid::Error>>(s: &str) -> Result<T, ServiceError> {
        s.parse()
            .map_err(|e: uuid::Error| ServiceError::Internal(anyhow::Error::new(e)))
    }
    Ok(ExamAttempt {
        id: p(&r.id)?,
        exam_code: r.exam_code,
        candidate_id: p(&r.candidate_id)?,
        testing_vendor_id: p(&r.testing_vendor_id)?,
        passed: r.passed,
        score_percent: r.score_percent,
        taken_at: r.taken_at.map(|t| t.and_utc()),
        certification_id: cert,
    })
}

/// Redeems a voucher for `vendor`. Unknown, foreign (another vendor's) and used
/// vouchers are refused as not found / conflict; expired ones as conflict.
pub fn redeem(
    conn: &mut DbConn,
    vendor: VendorId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<ExamAttempt, ServiceError> {
    let code = VoucherCode::normalise(code).ok_or(ServiceError::NotFound("voucher"))?;
    let v: VoucherRow = vo::table
        .filter(vo::code.eq(&code))
        .filter(vo::testing_vendor_id.eq(vendor.to_string()))
        .select(VoucherRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("voucher"))?;
    if v.status != "issued" {
        return Err(ServiceError::Conflict {
            kind: "voucher-used",
            detail: "this voucher has already been redeemed".into(),
        });
    }
    if now.date_naive() >= v.expires_on {
        return Err(ServiceError::Conflict {
            kind: "voucher-expired",
            detail: format!("this voucher expired on {}", v.expires_on),
        });
    }
    let updated = diesel::update(vo::table.find(&v.id).filter(vo::status.eq("issued")))
        .set((
            vo::status.eq("redeemed"),
            vo::redeemed_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    if updated != 1 {
        return Err(ServiceError::Conflict {
            kind: "voucher-used",
            detail: "this voucher has already been redeemed".into(),
        });
    }
    let row = ExamAttemptRow {
        id: ExamAttemptId::new().to_string(),
        voucher_id: v.id,
        candidate_id: v.candidate_id,
        exam_code: v.exam_code,
        testing_vendor_id: v.testing_vendor_id,
        passed: None,
        score_percent: None,
        taken_at: None,
        created_at: naive(now),
        reported_at: None,
    };
    diesel::insert_into(ea::table).values(&row).execute(conn)?;
    attempt_view(conn, row)
}

/// `POST /v1/exam-attempts/{id}/result` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExamResult {
    /// Whether the candidate passed.
    pub passed: bool,
    /// Score, 0–100.
    pub score_percent: i32,
    /// When the exam was taken (not in the future).
    pub taken_at: DateTime<Utc>,
}

fn find_attempt(
    conn: &mut DbConn,
    id: ExamAttemptId,
    scope: Scope,
) -> Result<ExamAttemptRow, ServiceError> {
    let mut q = ea::table.find(id.to_string()).into_boxed();
    match scope {
        Scope::All => {}
        Scope::Vendor(v) => q = q.filter(ea::testing_vendor_id.eq(v.to_string())),
        Scope::Candidate(c) => q = q.filter(ea::candidate_id.eq(c.to_string())),
        Scope::Provider(_) => return Err(ServiceError::NotFound("exam attempt")),
    }
    q.select(ExamAttemptRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("exam attempt"))
}

/// One attempt (vendors and candidates see their own).
pub fn get_attempt(
    conn: &mut DbConn,
    id: ExamAttemptId,
    scope: Scope,
) -> Result<ExamAttempt, ServiceError> {
    let row = find_attempt(conn, id, scope)?;
    attempt_view(conn, row)
}

/// Records a result (the attempt's vendor, once). A pass awards the certification
/// and any composite it completes.
pub fn report_result(
    conn: &mut DbConn,
    settings: &Settings,
    vendor: VendorId,
    id: ExamAttemptId,
    input: &ExamResult,
    now: DateTime<Utc>,
) -> Result<ExamAttempt, ServiceError> {
    let row = find_attempt(conn, id, Scope::Vendor(vendor))?;
    if row.passed.is_some() {
        return Err(ServiceError::Conflict {
            kind: "result-already-reported",
            detail: "this attempt already has a result".into(),
        });
    }
    let mut errors = Vec::new();
    if !(0..=100).contains(&input.score_percent) {
        errors.push(FieldError::new("score_percent", "must be 0 to 100"));
    }
    if input.taken_at > now + chrono::Duration::minutes(5) {
        errors.push(FieldError::new("taken_at", "must not be in the future"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    diesel::update(ea::table.find(&row.id))
        .set((
            ea::passed.eq(Some(input.passed)),
            ea::score_percent.eq(Some(input.score_percent)),
            ea::taken_at.eq(Some(naive(input.taken_at))),
            ea::reported_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    if input.passed {
        let candidate: CandidateId = row.candidate_id.parse().map_err(anyhow::Error::new)?;
        certifications::award(
            conn,
            settings,
            candidate,
            &row.exam_code,
            certifications::Basis::Exam(row.id.clone()),
            now,
        )?;
    }
    let row = find_attempt(conn, id, Scope::All)?;
    attempt_view(conn, row)
}

/// Certifications rows of a candidate (for listings).
pub fn certification_rows(
    conn: &mut DbConn,
    candidate: Option<CandidateId>,
) -> Result<Vec<CertificationRow>, ServiceError> {
    let mut q = ce::table.order(ce::id.asc()).into_boxed();
    if let Some(c) = candidate {
        q = q.filter(ce::candidate_id.eq(c.to_string()));
    }
    Ok(q.select(CertificationRow::as_select()).load(conn)?)
}

/// Lists a candidate's orders.
pub fn list_orders(
    conn: &mut DbConn,
    candidate: Option<CandidateId>,
) -> Result<Page<ExamOrder>, ServiceError> {
    let mut q = eo::table.order(eo::id.asc()).limit(200).into_boxed();
    if let Some(c) = candidate {
        q = q.filter(eo::candidate_id.eq(c.to_string()));
    }
    let rows = q.select(ExamOrderRow::as_select()).load(conn)?;
    let data = rows
        .into_iter()
        .map(|r| order_view(conn, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        data,
        next_cursor: None,
    })
}
