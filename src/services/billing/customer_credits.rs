//! Customer credit (DESIGN.md, "Customer credit"): money received that no open
//! invoice could take — a card payment after a bank transfer already settled the
//! invoice, a PaymentIntent for more than what was still due. It is never refused
//! or lost: [`crate::services::billing::payments::apply`] records the payment, books the excess on the
//! `customer_credit` ledger account (a liability), writes one [`CustomerCredit`]
//! row per payment here and tells finance by email. Refunding or applying it is
//! done by credit notes (a later use case); this module only records and lists it.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::{CustomerCreditRow, InvoiceHeaderRow};
use crate::db::schema::customer_credits as cc;
use crate::db::DbConn;
use crate::domain::billing::invoice::InvoiceStatus;
use crate::domain::ids::{CandidateId, InvoiceId, PaymentId, ProviderId};
use crate::domain::money::{Currency, Money};

use crate::services::billing::invoicing::PartySnapshot;
use crate::services::billing::payment_input::PaymentMethod;
use crate::services::mails::{self, CustomerCreditReceivedMail};
use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, ServiceError};

crate::stored_enum! {
    /// Why (part of) a payment became customer credit.
    pub enum CreditReason {
        /// The invoice was open but the payment exceeded the amount due.
        Overpayment = "overpayment",
        /// The invoice no longer accepted payments (already paid, void, …).
        InvoiceNotOpen = "invoice_not_open",
        /// The payment is in another currency than the invoice.
        CurrencyMismatch = "currency_mismatch",
    }
}

impl CreditReason {
    /// A sentence for the finance email.
    fn explain(self, status_before: InvoiceStatus) -> String {
        match self {
            CreditReason::Overpayment => "the payment exceeded the amount due".to_owned(),
            CreditReason::InvoiceNotOpen => format!(
                "the invoice was already {} and accepted no payment",
                status_before.as_str()
            ),
            CreditReason::CurrencyMismatch => {
                "the payment is in another currency than the invoice".to_owned()
            }
        }
    }
}

/// Customer credit held from one payment, as returned by `GET /v1/customer-credits`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CustomerCredit {
    /// Id (UUID).
    pub id: String,
    /// The payment it comes from (its `unapplied` part).
    pub payment_id: PaymentId,
    /// The invoice the payment was made for.
    pub invoice_id: InvoiceId,
    /// The party the credit belongs to when the invoice was a provider's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<ProviderId>,
    /// The party the credit belongs to when the invoice was a candidate's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<CandidateId>,
    /// Amount held, minor units, in the payment's currency (> 0).
    pub amount: Money,
    /// Why it is held.
    pub reason: CreditReason,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// What [`record`] needs to know about the payment that left credit behind.
#[derive(Debug, Clone)]
pub struct CreditSource<'a> {
    /// The payment row's id.
    pub payment_id: &'a str,
    /// The whole payment.
    pub payment: Money,
    /// The part applied to the invoice (same currency as `payment`, possibly 0).
    pub applied: Money,
    /// How it arrived.
    pub method: PaymentMethod,
    /// Bank reference or PaymentIntent id.
    pub reference: &'a str,
    /// Value date.
    pub received_on: NaiveDate,
    /// Why the rest could not be applied.
    pub reason: CreditReason,
    /// Invoice status before the payment.
    pub status_before: InvoiceStatus,
    /// Invoice status after the payment.
    pub status_after: InvoiceStatus,
}

/// Records `amount` (> 0) of `source` as customer credit of the invoice's party
/// and enqueues the `customer_credit_received` email to `settings.finance_email`,
/// in the caller's transaction. Returns the credit id.
///
/// Errors: [`ServiceError::Internal`] on database failures (the unique payment id
/// guarantees one credit per payment).
pub fn record(
    conn: &mut DbConn,
    settings: &Settings,
    invoice: &InvoiceHeaderRow,
    source: &CreditSource<'_>,
    amount: Money,
    now: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(cc::table)
        .values(&CustomerCreditRow {
            id: id.clone(),
            payment_id: source.payment_id.to_owned(),
            invoice_id: invoice.id.clone(),
            provider_id: invoice.provider_id.clone(),
            candidate_id: invoice.candidate_id.clone(),
            amount_minor: amount.amount_minor,
            currency: amount.currency.code().to_owned(),
            reason: source.reason.as_str().to_owned(),
            created_at: naive(now),
        })
        .execute(conn)?;
    let buyer_name = serde_json::from_str::<PartySnapshot>(&invoice.buyer)
        .map(|b| b.name)
        .unwrap_or_else(|_| "the buyer".to_owned());
    mails::send(
        conn,
        &CustomerCreditReceivedMail {
            to: settings.finance_email.clone(),
            attachments: vec![],
            org_name: settings.seller.legal_name.clone(),
            buyer_name,
            invoice_number: invoice.number.clone(),
            invoice_status: source.status_after.as_str().to_owned(),
            payment_amount: source.payment.to_string(),
            applied_amount: source.applied.to_string(),
            credit_amount: amount.to_string(),
            credit_reason: source.reason.explain(source.status_before).to_string(),
            payment_method: match source.method {
                PaymentMethod::BankTransfer => "Bank transfer",
                PaymentMethod::Card => "Card (Stripe)",
            }
            .to_owned(),
            payment_reference: source.reference.to_string(),
            paid_on: source.received_on.to_string(),
            credit_id: id.to_string(),
        },
        now,
    )?;
    Ok(id)
}

/// Lists customer credits in the order they were recorded (cursor-paginated).
///
/// Errors: [`ServiceError::Validation`] for a bad cursor.
pub fn list(conn: &mut DbConn, page: &PageRequest) -> Result<Page<CustomerCredit>, ServiceError> {
    let mut q = cc::table
        .order(cc::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(after) = page.after()? {
        q = q.filter(cc::id.gt(after));
    }
    let rows = q.select(CustomerCreditRow::as_select()).load(conn)?;
    let credits = rows
        .into_iter()
        .map(view)
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(page.page(credits, |c| c.id.clone()))
}

fn view(r: CustomerCreditRow) -> Result<CustomerCredit, ServiceError> {
    let parse_err = |what: &str| anyhow::anyhow!("stored customer credit {}: bad {what}", r.id);
    Ok(CustomerCredit {
        payment_id: r.payment_id.parse().map_err(|_| parse_err("payment id"))?,
        invoice_id: r.invoice_id.parse().map_err(|_| parse_err("invoice id"))?,
        provider_id: r
            .provider_id
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| parse_err("provider id"))?,
        candidate_id: r
            .candidate_id
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|_| parse_err("candidate id"))?,
        amount: Money::new(
            r.amount_minor,
            Currency::parse(&r.currency).map_err(|_| parse_err("currency"))?,
        ),
        reason: CreditReason::parse(&r.reason).ok_or_else(|| parse_err("reason"))?,
        created_at: r.created_at.and_utc(),
        id: r.id,
    })
}
