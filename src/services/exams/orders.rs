//! Exam orders and their payment.
//!
//! An exam order is an invoice to the candidate for the exam's fee product. When
//! that invoice is paid in full ([`fulfil_order`]) a voucher is issued and
//! emailed, and the fee is split by the policy in force on the payment date
//! (per exam, with an optional per-vendor override): the vendor's and the
//! referring provider's parts move from exam-fee revenue to partner payables.
//!
//! A candidate has at most one unpaid order per exam. The rule is checked with the
//! other eligibility rules (so a refusal lists every reason) and enforced by the
//! partial unique index `exam_orders_one_unpaid` (migration
//! `2026-11-22-000003_orders_and_recertification`), which decides races between
//! concurrent orders: the loser's transaction, invoice included, rolls back.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::models::{ExamOrderRow, PayableRow, SplitPolicyRow, VoucherRow};
use crate::db::schema::{
    equivalent_experiences as ee, exam_attempts as ea, exam_orders as eo, payables as pb,
    split_policies as sp, vouchers as vo,
};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::billing::invoice::InvoiceSubject;
use crate::domain::codes::VoucherCode;
use crate::domain::credentials::catalogue::{missing_prerequisites, CertStatus};
use crate::domain::exams::orders::{ExamOrderStatus, VoucherStatus};
use crate::domain::exams::payout::PartnerType;
use crate::domain::exams::schedule;
use crate::domain::exams::split::fee_split_entry;
use crate::domain::exams::split::{policy_in_force, split_fee, SplitParts, SplitPolicy};
use crate::domain::ids::{CandidateId, ExamOrderId, InvoiceId, ProviderId, VendorId, VoucherId};
use crate::domain::money::Money;

use crate::services::billing::catalogue;
use crate::services::billing::invoicing::{self, Buyer, LineInput, PaymentChannel};
use crate::services::billing::ledger;
use crate::services::billing::payments::PaymentInput;
use crate::services::lookups::{self, catalogue_rules, find_credential, find_vendor, held};
use crate::services::mails::{self, VoucherIssuedMail};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, FieldError, ServiceError};

/// `POST /v1/exam-orders` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExamOrder {
    /// Exam code, e.g. `PCEP`.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
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
/// counts), that the credential is not held (valid and unexpired) or suspended, the
/// retake wait, unused vouchers and unpaid orders, then issues the fee invoice. An
/// expired certification does not stand in the way: that is recertification.
/// Errors: [`ServiceError::Refused`] `exam-not-allowed` (422) listing every reason,
/// also when a concurrent order for the same exam won the race.
/// [`ServiceError::Conflict`] `credential-inactive` or `product-inactive` (409) when
/// an admin deactivated the credential or its fee product.
pub fn place_order(
    conn: &mut DbConn,
    settings: &Settings,
    stripe_enabled: bool,
    candidate: CandidateId,
    input: &NewExamOrder,
    now: DateTime<Utc>,
) -> Result<ExamOrder, ServiceError> {
    let today = now.date_naive();
    let cand = lookups::find_candidate(conn, candidate)?;
    let rules = catalogue_rules(conn)?;
    let rule = rules
        .iter()
        .find(|r| r.code == input.exam_code && r.exam)
        .ok_or_else(|| ServiceError::invalid("exam_code", "not an exam of the catalogue"))?
        .clone();
    crate::services::credentials::catalogue_admin::require_active(conn, &rule.code)?;
    find_vendor(conn, input.testing_vendor_id)
        .map_err(|_| ServiceError::invalid("testing_vendor_id", "unknown testing vendor"))?;
    if let Some(p) = input.referring_provider_id {
        crate::services::parties::providers::find_row(conn, p, None)
            .map_err(|_| ServiceError::invalid("referring_provider_id", "unknown provider"))?;
        crate::services::accreditation::gates::require_referring_centre(conn, p)?;
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
    if held
        .iter()
        .any(|h| h.code == rule.code && h.status == CertStatus::Suspended)
    {
        reasons.push(FieldError::new(
            "exam_code",
            format!(
                "{} is suspended; it cannot be earned again while suspended",
                rule.code
            ),
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
        .filter(vo::status.eq(VoucherStatus::Issued.as_str()))
        .filter(vo::expires_on.gt(today))
        .count()
        .get_result(conn)?;
    let pending: i64 = eo::table
        .filter(eo::candidate_id.eq(candidate.to_string()))
        .filter(eo::exam_code.eq(&rule.code))
        .filter(eo::status.eq(ExamOrderStatus::PendingPayment.as_str()))
        .count()
        .get_result(conn)?;
    if unused > 0 {
        reasons.push(FieldError::new(
            "voucher",
            format!("an unused {} voucher exists; use it first", rule.code),
        ));
    } else if pending > 0 {
        reasons.push(unpaid_order_exists(&rule.code));
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
        status: ExamOrderStatus::PendingPayment.as_str().to_owned(),
        created_at: naive(now),
        paid_at: None,
    };
    match diesel::insert_into(eo::table).values(&row).execute(conn) {
        Ok(_) => {}
        // A concurrent order for the same exam committed first (exam_orders_one_unpaid):
        // the same refusal as the check above; the caller's transaction rolls back.
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Refused {
                kind: "exam-not-allowed",
                reasons: vec![unpaid_order_exists(&rule.code)],
            })
        }
        Err(e) => return Err(e.into()),
    }
    order_view(conn, row)
}

fn unpaid_order_exists(code: &str) -> FieldError {
    FieldError::new(
        "order",
        format!("an unpaid {code} order exists; pay it first"),
    )
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
/// (the `fulfilment` module above the areas); an order already paid is left alone.
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
        .set((
            eo::status.eq(ExamOrderStatus::Paid.as_str()),
            eo::paid_at.eq(Some(naive(now))),
        ))
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
            status: VoucherStatus::Issued.as_str().to_owned(),
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
                .context("stored policy invalid")?,
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
        PartnerType::TestingVendor.as_str(),
        &order.testing_vendor_id,
        split.testing_vendor,
        conn,
    )?;
    if let Some(referrer) = &order.referring_provider_id {
        payable(
            PartnerType::ReferringProvider.as_str(),
            referrer,
            split.referring_provider,
            conn,
        )?;
    }
    if let Some(entry) = fee_split_entry(&split).context("split entry")? {
        ledger::post(
            conn,
            &entry,
            now,
            &format!("Exam fee split for invoice {}", h.number),
            "exam_order",
            &order.id,
        )?;
    }

    let cand = lookups::find_candidate(
        conn,
        order.candidate_id.parse().map_err(anyhow::Error::new)?,
    )?;
    mails::send(
        conn,
        &VoucherIssuedMail {
            to: cand.email.clone(),
            attachments: vec![],
            org_name: settings.seller.legal_name.clone(),
            candidate_name: format!("{} {}", cand.given_name, cand.family_name),
            exam_code: rule.code.clone(),
            exam_name: rule.name.clone(),
            voucher_code: code.to_string(),
            voucher_expires_on: expires_on.to_string(),
            invoice_number: h.number.clone(),
        },
        now,
    )?;
    Ok(())
}

/// Lists exam orders in creation order, one page at a time: a candidate's own
/// (`candidate` set) or all (staff). Errors: [`ServiceError::Validation`] on a bad
/// page request.
pub fn list_orders(
    conn: &mut DbConn,
    candidate: Option<CandidateId>,
    page: &PageRequest,
) -> Result<Page<ExamOrder>, ServiceError> {
    let after = page.after()?;
    let mut q = eo::table
        .order(eo::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(c) = candidate {
        q = q.filter(eo::candidate_id.eq(c.to_string()));
    }
    if let Some(after) = after {
        q = q.filter(eo::id.gt(after));
    }
    let rows = q.select(ExamOrderRow::as_select()).load(conn)?;
    let data = rows
        .into_iter()
        .map(|r| order_view(conn, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(data, |o| o.id.to_string()))
}
