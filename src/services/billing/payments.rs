//! Applying payments to invoices: manual bank transfers recorded by finance and card
//! payments confirmed by Stripe both end in [`apply`], which books cash against the
//! receivable and, once the invoice is paid in full, runs the one [`Fulfilment`]
//! its subject chooses (billing knows nothing of what is sold: the fulfilment is
//! given by the caller, see `services::fulfilment`). A card
//! payment the invoice cannot take (already paid, more than due) is still recorded:
//! the excess becomes customer credit ([`crate::services::billing::customer_credits`]).

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::models::{InvoiceHeaderRow, PaymentRow};
use crate::db::schema::{invoices as inv, payments as pay};
use crate::db::DbConn;
use crate::domain::billing::invoice::{InvoiceStatus, InvoiceSubject};
use crate::domain::billing::ledger::{JournalEntry, LedgerAccount, Posting, Side};
use crate::domain::ids::{InvoiceId, PaymentId};
use crate::domain::money::{Currency, Money, MoneyError};
use crate::domain::parties::provider::required_text;

use crate::services::billing::customer_credits::{self, CreditReason, CreditSource};
use crate::services::billing::invoicing;
use crate::services::billing::ledger;
pub use crate::services::billing::payment_input::{PaymentInput, PaymentMethod};
use crate::services::{naive, FieldError, ServiceError};

/// `POST /v1/invoices/{id}/payments` body: a bank transfer received.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewManualPayment {
    /// Amount received; same currency as the invoice, at most the amount due. A
    /// transfer above the amount due is refused (422) rather than held as credit:
    /// the amount is typed in by hand, so finance corrects it (and records any
    /// real excess once credit notes exist).
    pub amount: Money,
    /// Only `bank_transfer` can be recorded by hand.
    #[schema(schema_with = crate::services::request_schema::manual_payment_method)]
    pub method: PaymentMethod,
    /// Bank reference of the transfer.
    #[schema(
        min_length = 1,
        max_length = 140,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
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
    /// Amount received.
    pub amount: Money,
    /// Part of `amount` applied to the invoice.
    pub applied: Money,
    /// Part of `amount` the invoice could not take, held as customer credit
    /// (`GET /v1/customer-credits`); zero in the usual case.
    pub unapplied: Money,
    /// Method.
    pub method: PaymentMethod,
    /// Bank reference or PaymentIntent id.
    pub reference: String,
    /// Value date.
    pub received_on: NaiveDate,
    /// The invoice's status after this payment.
    pub invoice_status: InvoiceStatus,
}

/// What [`apply`] does with the part of a payment the invoice cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excess {
    /// Refuse the whole payment: a bank transfer typed in by finance that exceeds
    /// the amount due (422), or arrives for an invoice that is not open (409), is
    /// a human error to correct, not money to hold.
    Refuse,
    /// Record the payment anyway and hold what the invoice cannot take as customer
    /// credit: money that already moved (a card payment confirmed by Stripe).
    Credit,
}

/// Locks the invoice row until commit (PostgreSQL `SELECT … FOR UPDATE`); SQLite
/// write transactions (`BEGIN IMMEDIATE`, see [`crate::db::write_transaction`]) are
/// already exclusive. Callers read the header only AFTER this, in the same
/// transaction, so concurrent payments see each other's `amount_paid`.
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

/// How a payment splits between the invoice and customer credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Split {
    applied: i64,
    reason: Option<CreditReason>,
}

/// Splits `amount` of `currency` against an invoice in `status` with `due` left
/// in `invoice_currency`: everything the invoice can take is applied, the rest is
/// credit. Assumes `amount > 0`.
fn split(status: InvoiceStatus, invoice_currency: Currency, due: i64, amount: Money) -> Split {
    if !status.accepts_payment() {
        return Split {
            applied: 0,
            reason: Some(CreditReason::InvoiceNotOpen),
        };
    }
    if amount.currency != invoice_currency {
        return Split {
            applied: 0,
            reason: Some(CreditReason::CurrencyMismatch),
        };
    }
    let applied = amount.amount_minor.min(due.max(0));
    Split {
        applied,
        reason: (applied < amount.amount_minor).then_some(CreditReason::Overpayment),
    }
}

/// The journal entry of a payment of `amount` of which `applied` settles the
/// receivable: Dr `cash` amount; Cr receivables applied; Cr customer credit the
/// rest. Zero lines are dropped, so a fully applied payment is the usual
/// cash/receivables pair and a fully unapplied one is cash/customer credit.
/// Errors: [`crate::domain::billing::ledger::LedgerError`] for a non-positive amount or
/// `applied` outside `0..=amount`.
fn payment_entry(
    cash: LedgerAccount,
    amount: Money,
    applied: i64,
) -> Result<JournalEntry, crate::domain::billing::ledger::LedgerError> {
    let applied = Money::new(applied, amount.currency);
    let credit = amount.checked_sub(applied)?;
    JournalEntry::new(vec![
        Posting {
            account: cash,
            side: Side::Debit,
            amount,
        },
        Posting {
            account: LedgerAccount::Receivables,
            side: Side::Credit,
            amount: applied,
        },
        Posting {
            account: LedgerAccount::CustomerCredit,
            side: Side::Credit,
            amount: credit,
        },
    ])
}

/// What runs, once, when an invoice is paid in full: the fulfilment of its subject
/// (docs/domain.md, "Invoice subject"). Implemented above billing, by the module
/// that knows every kind of thing sold, so a new kind adds a variant there and
/// reuses this one payment path.
pub trait Fulfilment {
    /// Fulfils `subject`, whose invoice `invoice_id` was just paid in full by
    /// `payment`, in the caller's transaction. Errors roll the payment back.
    fn fulfil(
        &self,
        conn: &mut DbConn,
        subject: &InvoiceSubject,
        invoice_id: InvoiceId,
        payment: &PaymentInput,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError>;
}

/// Applies a payment to an invoice in the caller's transaction (locking the
/// invoice first). What the invoice can take (up to the amount due, if it is
/// open and in the same currency) is applied; with [`Excess::Credit`] the rest is
/// recorded as customer credit ([`crate::services::billing::customer_credits`]) and finance is
/// emailed; with [`Excess::Refuse`] any rest refuses the whole payment. Paying the
/// invoice in full runs `fulfilment` once, for the invoice's subject.
///
/// Errors: [`ServiceError::NotFound`]; [`ServiceError::Validation`] for a
/// non-positive amount; with [`Excess::Refuse`] also [`ServiceError::Conflict`]
/// `invoice-not-open` and [`ServiceError::Validation`] for a currency mismatch
/// or more than the amount due.
pub fn apply(
    conn: &mut DbConn,
    settings: &Settings,
    invoice_id: InvoiceId,
    input: PaymentInput,
    excess: Excess,
    fulfilment: &dyn Fulfilment,
    now: DateTime<Utc>,
) -> Result<Payment, ServiceError> {
    lock_invoice(conn, &invoice_id.to_string())?;
    let h: InvoiceHeaderRow = invoicing::find_header(conn, invoice_id, Scope::All)?;
    let status = InvoiceStatus::parse(&h.status)
        .ok_or_else(|| anyhow::anyhow!("invoice {} has a bad stored status", h.id))?;
    let currency = Currency::parse(&h.currency).context("stored invoice currency")?;
    let not_open = || ServiceError::Conflict {
        kind: "invoice-not-open",
        detail: format!(
            "invoice {} is {}, it accepts no payment",
            h.number,
            status.as_str()
        ),
    };
    if excess == Excess::Refuse && !status.accepts_payment() {
        return Err(not_open());
    }
    if input.amount.amount_minor <= 0 {
        return Err(ServiceError::invalid(
            "amount.amount_minor",
            "must be positive",
        ));
    }
    let due = h
        .total_minor
        .checked_sub(h.amount_paid_minor)
        .ok_or(MoneyError::Overflow)?;
    let Split { applied, reason } = split(status, currency, due, input.amount);
    if let (Excess::Refuse, Some(reason)) = (excess, reason) {
        return Err(match reason {
            CreditReason::InvoiceNotOpen => not_open(),
            CreditReason::CurrencyMismatch => {
                ServiceError::invalid("amount.currency", format!("the invoice is in {currency}"))
            }
            CreditReason::Overpayment => ServiceError::invalid(
                "amount.amount_minor",
                format!("exceeds the amount due ({})", Money::new(due, currency)),
            ),
        });
    }
    let paid = h
        .amount_paid_minor
        .checked_add(applied)
        .ok_or(MoneyError::Overflow)?;
    let fully_paid = applied > 0 && paid == h.total_minor;
    let new_status = if fully_paid {
        InvoiceStatus::Paid
    } else {
        status
    };
    let id = PaymentId::new();
    diesel::insert_into(pay::table)
        .values(&PaymentRow {
            id: id.to_string(),
            invoice_id: h.id.clone(),
            amount_minor: input.amount.amount_minor,
            currency: input.amount.currency.code().to_owned(),
            method: input.method.as_str().to_owned(),
            reference: input.reference.clone(),
            received_on: input.received_on,
            stripe_payment_intent_id: input.stripe_payment_intent_id.clone(),
            recorded_by: input.recorded_by.clone(),
            created_at: naive(now),
            applied_minor: applied,
            invoice_status_after: new_status.as_str().to_owned(),
        })
        .execute(conn)?;
    if applied > 0 {
        diesel::update(inv::table.find(&h.id))
            .set((
                inv::amount_paid_minor.eq(paid),
                inv::status.eq(new_status.as_str()),
                inv::paid_at.eq(fully_paid.then(|| naive(now))),
            ))
            .execute(conn)?;
    }
    let entry = payment_entry(input.method.cash_account(), input.amount, applied)
        .context("payment ledger entry")?;
    ledger::post(
        conn,
        &entry,
        now,
        &format!("Payment {} on invoice {}", input.reference, h.number),
        "payment",
        &id.to_string(),
    )?;
    let applied = Money::new(applied, input.amount.currency);
    let unapplied = input.amount.checked_sub(applied)?;
    if let Some(reason) = reason {
        customer_credits::record(
            conn,
            settings,
            &h,
            &CreditSource {
                payment_id: &id.to_string(),
                payment: input.amount,
                applied,
                method: input.method,
                reference: &input.reference,
                received_on: input.received_on,
                reason,
                status_before: status,
                status_after: new_status,
            },
            unapplied,
            now,
        )?;
    }
    if fully_paid {
        let subject = InvoiceSubject::from_stored(&h.subject_kind, &h.subject_id)
            .with_context(|| format!("subject of invoice {}", h.id))?;
        fulfilment.fulfil(conn, &subject, invoice_id, &input, now)?;
    }
    Ok(Payment {
        id,
        invoice_id,
        amount: input.amount,
        applied,
        unapplied,
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
    fulfilment: &dyn Fulfilment,
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
        Excess::Refuse,
        fulfilment,
        now,
    )
}

/// Payments of an invoice, oldest first, each with the invoice status stored
/// right after it; `scope` as in [`invoicing::find_header`].
pub fn list_for_invoice(
    conn: &mut DbConn,
    invoice_id: InvoiceId,
    scope: Scope,
) -> Result<Vec<Payment>, ServiceError> {
    let h = invoicing::find_header(conn, invoice_id, scope)?;
    let rows = pay::table
        .filter(pay::invoice_id.eq(&h.id))
        .order((pay::created_at.asc(), pay::id.asc()))
        .select(PaymentRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|r| view(invoice_id, r)).collect()
}

fn view(invoice_id: InvoiceId, r: PaymentRow) -> Result<Payment, ServiceError> {
    let currency = Currency::parse(&r.currency).context("stored payment currency")?;
    let amount = Money::new(r.amount_minor, currency);
    let applied = Money::new(r.applied_minor, currency);
    Ok(Payment {
        id: r.id.parse().context("stored payment id")?,
        invoice_id,
        amount,
        applied,
        unapplied: amount.checked_sub(applied)?,
        method: if r.method == PaymentMethod::Card.as_str() {
            PaymentMethod::Card
        } else {
            PaymentMethod::BankTransfer
        },
        reference: r.reference,
        received_on: r.received_on,
        invoice_status: InvoiceStatus::parse(&r.invoice_status_after)
            .ok_or_else(|| anyhow::anyhow!("payment {} has a bad stored status", r.id))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(m: i64) -> Money {
        Money::new(m, Currency::Usd)
    }

    fn lines(e: &JournalEntry) -> Vec<(String, Side, i64)> {
        e.postings()
            .iter()
            .map(|p| (p.account.code(), p.side, p.amount.amount_minor))
            .collect()
    }

    #[test]
    fn an_open_invoice_takes_up_to_the_amount_due() {
        let open = InvoiceStatus::Open;
        assert_eq!(
            split(open, Currency::Usd, 500, usd(200)),
            Split {
                applied: 200,
                reason: None
            }
        );
        assert_eq!(
            split(open, Currency::Usd, 500, usd(800)),
            Split {
                applied: 500,
                reason: Some(CreditReason::Overpayment)
            }
        );
        assert_eq!(
            split(open, Currency::Eur, 500, usd(500)).reason,
            Some(CreditReason::CurrencyMismatch)
        );
        for closed in [InvoiceStatus::Paid, InvoiceStatus::Void] {
            assert_eq!(
                split(closed, Currency::Usd, 0, usd(500)),
                Split {
                    applied: 0,
                    reason: Some(CreditReason::InvoiceNotOpen)
                }
            );
        }
    }

    #[test]
    fn payment_entries_split_receivables_and_customer_credit() {
        let cash = LedgerAccount::StripeClearing;
        assert_eq!(
            lines(&payment_entry(cash, usd(800), 500).unwrap()),
            vec![
                ("cash:stripe_clearing".into(), Side::Debit, 800),
                ("receivables".into(), Side::Credit, 500),
                ("customer_credit".into(), Side::Credit, 300),
            ]
        );
        assert_eq!(
            lines(&payment_entry(cash, usd(800), 800).unwrap()),
            vec![
                ("cash:stripe_clearing".into(), Side::Debit, 800),
                ("receivables".into(), Side::Credit, 800),
            ]
        );
        assert_eq!(
            lines(&payment_entry(LedgerAccount::CashBank, usd(800), 0).unwrap()),
            vec![
                ("cash:bank".into(), Side::Debit, 800),
                ("customer_credit".into(), Side::Credit, 800),
            ]
        );
        assert!(payment_entry(cash, usd(800), 900).is_err());
    }
}
