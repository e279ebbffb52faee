//! Applying payments to invoices: manual bank transfers recorded by finance and card
//! payments confirmed by Stripe both end in [`apply`], which books cash against the
//! receivable and, once the invoice is paid in full, fulfils what it sold.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::models::{InvoiceHeaderRow, PaymentRow};
use crate::db::schema::{invoices as inv, payments as pay};
use crate::db::DbConn;
use crate::domain::billing::invoice::InvoiceStatus;
use crate::domain::billing::ledger::{JournalEntry, LedgerAccount};
use crate::domain::ids::{InvoiceId, PaymentId};
use crate::domain::money::{Currency, Money};
use crate::domain::parties::provider::required_text;

use super::{invoicing, ledger, licences, naive, FieldError, ServiceError};

/// How money arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// Bank transfer, recorded by finance.
    BankTransfer,
    /// Card, confirmed by a Stripe webhook.
    Card,
}

impl PaymentMethod {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Card => "card",
        }
    }

    fn cash_account(self) -> LedgerAccount {
        match self {
            PaymentMethod::BankTransfer => LedgerAccount::CashBank,
            PaymentMethod::Card => LedgerAccount::StripeClearing,
        }
    }
}

/// `POST /v1/invoices/{id}/payments` body: a bank transfer received.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewManualPayment {
    /// Amount received; same currency as the invoice, at most the amount due.
    pub amount: Money,
    /// Only `bank_transfer` can be recorded by hand.
    pub method: PaymentMethod,
    /// Bank reference of the transfer.
    pub reference: String,
    /// Value date of the transfer; not in the future.
    pub received_on: NaiveDate,
}

/// A payment as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Payment {
    /// Id.
    pub id: PaymentId,
    /// Invoice paid.
    pub invoice_id: InvoiceId,
    /// Amount.
    pub amount: Money,
    /// Method.
    pub method: PaymentMethod,
    /// Bank reference or PaymentIntent id.
    pub reference: String,
    /// Value date.
    pub received_on: NaiveDate,
    /// The invoice's status after this payment.
    pub invoice_status: InvoiceStatus,
}

/// A payment to apply.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    /// Amount.
    pub amount: Money,
    /// Method.
    pub method: PaymentMethod,
    /// Reference.
    pub reference: String,
    /// Value date.
    pub received_on: NaiveDate,
    /// Stripe PaymentIntent, for card payments (unique: one application each).
    pub stripe_payment_intent_id: Option<String>,
    /// Who recorded it (client id or `stripe`).
    pub recorded_by: String,
}

/// Locks the invoice row until commit (PostgreSQL); SQLite write transactions are
/// already exclusive.
fn lock_invoice(conn: &mut DbConn, id: &str) -> Result<(), ServiceError> {
    if let DbConn::Pg(c) = conn {
        inv::table
            .find(id)
            .select(inv::id)
            .for_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// Applies a payment to an open invoice in the caller's transaction.
///
/// Errors: [`ServiceError::NotFound`]; [`ServiceError::Conflict`] `invoice-not-open`;
/// [`ServiceError::Validation`] for a currency mismatch, a non-positive amount or
/// more than the amount due (overpayments are refused, not held as credit).
pub fn apply(
    conn: &mut DbConn,
    settings: &Settings,
    invoice_id: InvoiceId,
    input: PaymentInput,
    now: DateTime<Utc>,
) -> Result<Payment, ServiceError> {
    lock_invoice(conn, &invoice_id.to_string())?;
    let h: InvoiceHeaderRow = invoicing::find_header(conn, invoice_id, Scope::All)?;
    let status = InvoiceStatus::parse(&h.status).ok_or_else(|| anyhow::anyhow!("bad status"))?;
    if !status.accepts_payment() {
        return Err(ServiceError::Conflict {
            kind: "invoice-not-open",
            detail: format!(
                "invoice {} is {}, it accepts no payment",
                h.number,
                status.as_str()
            ),
        });
    }
    let currency = Currency::parse(&h.currency).map_err(anyhow::Error::new)?;
    let due = Money::new(h.total_minor - h.amount_paid_minor, currency);
    let mut errors = Vec::new();
    if input.amount.currency != currency {
        errors.push(FieldError::new(
            "amount.currency",
            format!("the invoice is in {currency}"),
        ));
    } else if input.amount.amount_minor <= 0 {
        errors.push(FieldError::new("amount.amount_minor", "must be positive"));
    } else if input.amount.amount_minor > due.amount_minor {
        errors.push(FieldError::new(
            "amount.amount_minor",
            format!("exceeds the amount due ({due})"),
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let id = PaymentId::new();
    diesel::insert_into(pay::table)
        .values(&PaymentRow {
            id: id.to_string(),
            invoice_id: h.id.clone(),
            amount_minor: input.amount.amount_minor,
            currency: currency.code().to_owned(),
            method: input.method.as_str().to_owned(),
            reference: input.reference.clone(),
            received_on: input.received_on,
            stripe_payment_intent_id: input.stripe_payment_intent_id.clone(),
            recorded_by: input.recorded_by.clone(),
            created_at: naive(now),
        })
        .execute(conn)?;
    let paid = h.amount_paid_minor + input.amount.amount_minor;
    let fully_paid = paid == h.total_minor;
    let new_status = if fully_paid {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Open
    };
    diesel::update(inv::table.find(&h.id))
        .set((
            inv::amount_paid_minor.eq(paid),
            inv::status.eq(new_status.as_str()),
            inv::paid_at.eq(fully_paid.then(|| naive(now))),
        ))
        .execute(conn)?;
    let entry = JournalEntry::transfer(
        input.method.cash_account(),
        LedgerAccount::Receivables,
        input.amount,
    )
    .map_err(|e| anyhow::anyhow!("payment ledger entry: {e}"))?;
    ledger::post(
        conn,
        &entry,
        now,
        &format!("Payment {} on invoice {}", input.reference, h.number),
        "payment",
        &id.to_string(),
    )?;
    if fully_paid {
        licences::on_invoice_paid(conn, settings, invoice_id, &input, now)?;
        super::exams::on_invoice_paid(conn, settings, invoice_id, &input, now)?;
    }
    Ok(Payment {
        id,
        invoice_id,
        amount: input.amount,
        method: input.method,
        reference: input.reference,
        received_on: input.received_on,
        invoice_status: new_status,
    })
}

/// Records a bank transfer (finance). Validates the request, then [`apply`].
pub fn record_manual(
    conn: &mut DbConn,
    settings: &Settings,
    invoice_id: InvoiceId,
    input: NewManualPayment,
    recorded_by: &str,
    now: DateTime<Utc>,
) -> Result<Payment, ServiceError> {
    let mut errors = Vec::new();
    if input.method != PaymentMethod::BankTransfer {
        errors.push(FieldError::new(
            "method",
            "only bank_transfer can be recorded by hand; card payments arrive from Stripe",
        ));
    }
    let reference = required_text("reference", &input.reference, 140)
        .map_err(|e| errors.push(FieldError::new("reference", e)))
        .unwrap_or_default();
    if input.received_on > now.date_naive() {
        errors.push(FieldError::new("received_on", "must not be in the future"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    apply(
        conn,
        settings,
        invoice_id,
        PaymentInput {
            amount: input.amount,
            method: input.method,
            reference,
            received_on: input.received_on,
            stripe_payment_intent_id: None,
            recorded_by: recorded_by.to_owned(),
        },
        now,
    )
}

/// Payments of an invoice, oldest first; `scope` as in [`invoicing::find_header`].
pub fn list_for_invoice(
    conn: &mut DbConn,
    invoice_id: InvoiceId,
    scope: Scope,
) -> Result<Vec<Payment>, ServiceError> {
    let h = invoicing::find_header(conn, invoice_id, scope)?;
    let status = InvoiceStatus::parse(&h.status).ok_or_else(|| anyhow::anyhow!("bad status"))?;
    let rows = pay::table
        .filter(pay::invoice_id.eq(&h.id))
        .order(pay::id.asc())
        .select(PaymentRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            Ok(Payment {
                id: r.id.parse().map_err(anyhow::Error::new)?,
                invoice_id,
                amount: Money::new(
                    r.amount_minor,
                    Currency::parse(&r.currency).map_err(anyhow::Error::new)?,
                ),
                method: if r.method == "card" {
                    PaymentMethod::Card
                } else {
                    PaymentMethod::BankTransfer
                },
                reference: r.reference,
                received_on: r.received_on,
                invoice_status: status,
            })
        })
        .collect()
}
