//! Card payments through Stripe: one Customer per provider, one PaymentIntent per
//! invoice, and the webhook events that settle them.
//!
//! Every Stripe call carries an idempotency key derived from our ids
//! (`accredit-customer-<provider>`, `accredit-pi-<invoice>-<amount due minor>`),
//! and the ids Stripe returns are stored, so a retried request reuses the same
//! objects. Purchases and `POST /v1/invoices/{id}/payment-intent` (any open
//! invoice, e.g. an accreditation fee) share one path, [`card_payment`] /
//! [`payment_details`] → `ensure_intent`. A
//! PaymentIntent's `client_secret` is never stored: it is read back from Stripe
//! whenever a payer needs it again. Webhook events
//! are stored by id under a unique constraint before they have any effect; a
//! duplicate is acknowledged and ignored (Stripe docs, "Handle duplicate events").

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::{InvoiceHeaderRow, PaymentIntentRow, StripeEventRow};
use crate::db::schema::{
    payment_intents as pi, payments as pay, providers as pv, stripe_events as se,
};
use crate::db::{is_unique_violation, write_transaction, DbConn};
use crate::domain::billing::invoice::InvoiceStatus;
use crate::domain::ids::InvoiceId;
use crate::domain::money::{Currency, Money};
use crate::integrations::stripe::{CreatedPaymentIntent, StripeError, WebhookEvent};

use crate::services::billing::invoicing;
use crate::services::billing::payments::{self, Excess, PaymentInput, PaymentMethod};
use crate::services::parties::providers;
use crate::services::{naive, AppContext, ServiceError};

/// How to pay an invoice, as returned with a purchase.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentDetails {
    /// `card` (Stripe) or `bank_transfer`.
    pub method: PaymentMethod,
    /// Invoice number to quote.
    pub invoice_number: String,
    /// Amount due.
    pub amount_due: Money,
    /// Due date.
    pub due_on: chrono::NaiveDate,
    /// Stripe PaymentIntent id (card).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent_id: Option<String>,
    /// Stripe client secret for Stripe.js / mobile SDKs to confirm the payment (card).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Bank transfer instructions.
    pub instructions: Vec<String>,
}

/// Builds the payment details of an invoice: with Stripe, ensures the provider's
/// Customer and the invoice's PaymentIntent exist (creating them idempotently).
/// Runs outside any transaction because it calls Stripe.
pub async fn payment_details(
    ctx: &AppContext,
    invoice_id: InvoiceId,
) -> Result<PaymentDetails, ServiceError> {
    let h = ctx
        .db(move |c| invoicing::find_header(c, invoice_id, crate::auth::Scope::All))
        .await?;
    let mut details = bank_details(&h)?;
    let Some(stripe) = ctx.stripe.clone() else {
        return Ok(details);
    };
    let intent = ensure_intent(ctx, &stripe, &h, details.amount_due).await?;
    details.method = PaymentMethod::Card;
    details.payment_intent_id = Some(intent.id);
    details.client_secret = intent.client_secret;
    Ok(details)
}

/// A card payment ready to confirm, as returned by
/// `POST /v1/invoices/{id}/payment-intent`. Not `Debug`: it carries the
/// PaymentIntent's `client_secret`, which must not reach logs.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct CardPayment {
    /// The invoice paid.
    pub invoice_id: InvoiceId,
    /// Stripe PaymentIntent id, `pi_…`; the same one for every call while it
    /// can still be paid.
    pub payment_intent_id: String,
    /// Secret for Stripe.js / mobile SDKs to confirm the payment; read from
    /// Stripe on every call, never stored.
    pub client_secret: Option<String>,
    /// Stripe's status of the PaymentIntent, e.g. `requires_payment_method`.
    pub status: String,
    /// What is still due on the invoice (total minus payments applied).
    pub amount_due: Money,
}

/// The PaymentIntent for paying open invoice `invoice_id` by card: created for
/// the amount currently due, or the existing one returned while it is not
/// `canceled` (a new one replaces a canceled one). This is the one path for every
/// invoice sold through billing (licence terms, exam orders, accreditation fees);
/// purchases reach it through [`payment_details`]. It is idempotent by
/// construction: callers racing on one invoice all get the intent that was stored
/// first (the `payment_intents.invoice_id` unique constraint decides), and Stripe
/// sees one idempotency key per invoice and amount due
/// (`accredit-pi-<invoice>-<amount minor>`), so it creates one object for them.
///
/// `scope` is the caller's: a provider or candidate reaches only invoices it is
/// the buyer of.
///
/// Errors: [`ServiceError::NotFound`] (unknown or someone else's invoice);
/// [`ServiceError::Conflict`] `invoice-not-open` when the invoice is paid, void or
/// uncollectible (or nothing is due); [`ServiceError::Refused`]
/// `stripe-not-configured` (422) when card payments are off;
/// [`ServiceError::PaymentProcessor`] when Stripe fails.
pub async fn card_payment(
    ctx: &AppContext,
    invoice_id: InvoiceId,
    scope: crate::auth::Scope,
) -> Result<CardPayment, ServiceError> {
    let h = ctx
        .db(move |c| invoicing::find_header(c, invoice_id, scope))
        .await?;
    let status = InvoiceStatus::parse(&h.status)
        .ok_or_else(|| anyhow::anyhow!("invoice {} has a bad stored status", h.id))?;
    let due = bank_details(&h)?.amount_due;
    if !status.accepts_payment() || due.amount_minor <= 0 {
        return Err(ServiceError::Conflict {
            kind: "invoice-not-open",
            detail: format!(
                "invoice {} is {}, nothing is due to pay by card",
                h.number, h.status
            ),
        });
    }
    let Some(stripe) = ctx.stripe.clone() else {
        return Err(ServiceError::Refused {
            kind: "stripe-not-configured",
            reasons: vec![crate::services::FieldError::new(
                "payment_method",
                "card payments are not available (Stripe is not configured); \
                 pay by bank transfer as printed on the invoice",
            )],
        });
    };
    let intent = ensure_intent(ctx, &stripe, &h, due).await?;
    Ok(CardPayment {
        invoice_id,
        payment_intent_id: intent.id,
        client_secret: intent.client_secret,
        status: intent.status,
        amount_due: due,
    })
}

/// The invoice's usable PaymentIntent (see [`card_payment`]), created for `due`
/// when there is none or the stored one was canceled. Runs outside any
/// transaction because it calls Stripe; the row in `payment_intents` is what the
/// webhook ([`handle_event`]) finds the invoice by.
async fn ensure_intent(
    ctx: &AppContext,
    stripe: &crate::integrations::stripe::StripeClient,
    h: &InvoiceHeaderRow,
    due: Money,
) -> Result<CreatedPaymentIntent, ServiceError> {
    let invoice_id = h.id.clone();
    let existing = ctx
        .db(move |c| {
            Ok(pi::table
                .filter(pi::invoice_id.eq(invoice_id))
                .select(PaymentIntentRow::as_select())
                .first(c)
                .optional()?)
        })
        .await?;
    let replaced = match existing {
        Some(row) => {
            // The secret is not kept at rest: read it (and the status) from Stripe.
            let read = stripe
                .retrieve_payment_intent(&row.id)
                .await
                .map_err(|e| ServiceError::PaymentProcessor(e.to_string()))?;
            if read.status != "canceled" {
                return Ok(read);
            }
            Some(row.id)
        }
        None => None,
    };
    let customer = match &h.provider_id {
        Some(pid) => {
            Some(provider_customer(ctx, stripe, pid.parse().map_err(anyhow::Error::new)?).await?)
        }
        // Candidates pay as guests: no Customer object is kept for them.
        None => None,
    };
    let mut key = format!("accredit-pi-{}-{}", h.id, due.amount_minor);
    if let Some(old) = &replaced {
        // A fresh key: the old one would return the canceled intent.
        key.push_str(&format!("-after-{old}"));
    }
    let description = format!("Invoice {}", h.number);
    let metadata = [
        ("invoice_id", h.id.as_str()),
        ("invoice_number", h.number.as_str()),
    ];
    let created = retrying(|| {
        stripe.create_payment_intent(
            due.amount_minor,
            due.currency.code(),
            customer.as_deref(),
            &description,
            &metadata,
            &key,
        )
    })
    .await?;
    let now = naive(ctx.clock.now());
    let row = PaymentIntentRow {
        id: created.id.clone(),
        invoice_id: h.id.clone(),
        // Only Stripe keeps the secret (see `client_secret_for`).
        client_secret: None,
        status: created.status.clone(),
        amount_minor: due.amount_minor,
        currency: due.currency.code().to_owned(),
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    let stored = ctx
        .db(move |c| {
            let written = match &replaced {
                // Swap the canceled intent for the new one, unless a concurrent
                // caller already did.
                Some(old) => diesel::update(pi::table.find(old))
                    .set((
                        pi::id.eq(&row.id),
                        pi::status.eq(&row.status),
                        pi::amount_minor.eq(row.amount_minor),
                        pi::currency.eq(&row.currency),
                        pi::last_error.eq(None::<String>),
                        pi::updated_at.eq(row.updated_at),
                    ))
                    .execute(c),
                None => diesel::insert_into(pi::table).values(&row).execute(c),
            };
            match written {
                Ok(n) if n > 0 => return Ok(row.id),
                Ok(_) => {}
                // A concurrent caller stored its intent first: use that one.
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
            Ok(pi::table
                .filter(pi::invoice_id.eq(&row.invoice_id))
                .select(pi::id)
                .first::<String>(c)?)
        })
        .await?;
    if stored == created.id {
        return Ok(created);
    }
    stripe
        .retrieve_payment_intent(&stored)
        .await
        .map_err(|e| ServiceError::PaymentProcessor(e.to_string()))
}

/// Runs an idempotent Stripe call, retrying (same idempotency key) up to five
/// times with a growing pause while [`StripeError::is_retryable`] says so — in
/// particular Stripe's 409 while a concurrent request with the same key is still
/// running: once it finishes, the replay returns its object, so racing callers
/// end up with one.
///
/// Errors: [`ServiceError::PaymentProcessor`] with Stripe's last error.
async fn retrying<T, F, Fut>(mut call: F) -> Result<T, ServiceError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StripeError>>,
{
    let mut attempt = 0u64;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && attempt < 5 => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => return Err(ServiceError::PaymentProcessor(e.to_string())),
        }
    }
}

/// The client secret of PaymentIntent `intent_id`, read from Stripe (we keep no
/// copy at rest: not in `payment_intents`, not in stored idempotent responses).
/// `None` when Stripe is not configured or returns none.
///
/// Errors: [`ServiceError::PaymentProcessor`] when Stripe cannot be read.
pub async fn client_secret_for(
    ctx: &AppContext,
    intent_id: &str,
) -> Result<Option<String>, ServiceError> {
    let Some(stripe) = ctx.stripe.as_ref() else {
        return Ok(None);
    };
    Ok(stripe
        .retrieve_payment_intent(intent_id)
        .await
        .map_err(|e| ServiceError::PaymentProcessor(e.to_string()))?
        .client_secret)
}

/// The provider's Stripe Customer, created once (idempotency key
/// `accredit-customer-<provider>`) and stored; a concurrent creator's id wins.
async fn provider_customer(
    ctx: &AppContext,
    stripe: &crate::integrations::stripe::StripeClient,
    provider_id: crate::domain::ids::ProviderId,
) -> Result<String, ServiceError> {
    let provider = ctx
        .db(move |c| providers::find_row(c, provider_id, None))
        .await?;
    if let Some(c) = provider.stripe_customer_id {
        return Ok(c);
    }
    let key = format!("accredit-customer-{}", provider.id);
    let metadata = [("provider_id", provider.id.as_str())];
    let created =
        retrying(|| stripe.create_customer(&provider.legal_name, &provider.email, &metadata, &key))
            .await?;
    let (pid, stored) = (provider.id.clone(), created.clone());
    Ok(ctx
        .db(move |c| {
            diesel::update(
                pv::table
                    .find(&pid)
                    .filter(pv::stripe_customer_id.is_null()),
            )
            .set(pv::stripe_customer_id.eq(&stored))
            .execute(c)?;
            Ok(pv::table
                .find(&pid)
                .select(pv::stripe_customer_id)
                .first::<Option<String>>(c)?)
        })
        .await?
        .unwrap_or(created))
}

/// Bank-transfer payment details of an invoice (no Stripe involved).
pub fn bank_details(h: &InvoiceHeaderRow) -> Result<PaymentDetails, ServiceError> {
    let currency = Currency::parse(&h.currency).map_err(anyhow::Error::new)?;
    Ok(PaymentDetails {
        method: PaymentMethod::BankTransfer,
        invoice_number: h.number.clone(),
        amount_due: Money::new(h.total_minor - h.amount_paid_minor, currency),
        due_on: h.due_on,
        payment_intent_id: None,
        client_secret: None,
        instructions: h.payment_instructions.lines().map(str::to_owned).collect(),
    })
}

/// What a webhook delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The event id was seen before; nothing done.
    Duplicate,
    /// Stored; its type or object is not one we act on.
    Ignored,
    /// Stored and acted on.
    Applied,
}

/// Stores and handles one verified event, in one transaction. A succeeded
/// PaymentIntent is always recorded as a payment (once per intent); what its
/// invoice cannot take becomes customer credit ([`payments::Excess::Credit`]),
/// so business rules never fail a delivery.
pub fn handle_event(
    conn: &mut DbConn,
    settings: &Settings,
    event: &WebhookEvent,
    payload: &str,
    fulfilment: &dyn payments::Fulfilment,
    now: DateTime<Utc>,
) -> Result<WebhookOutcome, ServiceError> {
    write_transaction(conn, |conn| {
        let inserted = diesel::insert_into(se::table)
            .values(&StripeEventRow {
                id: event.id.clone(),
                event_type: event.event_type.clone(),
                payload: payload.to_owned(),
                received_at: naive(now),
            })
            .execute(conn);
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(WebhookOutcome::Duplicate),
            Err(e) => return Err(e.into()),
        }
        let Some(intent_id) = event.object.get("id").and_then(|v| v.as_str()) else {
            return Ok(WebhookOutcome::Ignored);
        };
        let intent: Option<PaymentIntentRow> = pi::table
            .find(intent_id)
            .select(PaymentIntentRow::as_select())
            .first(conn)
            .optional()?;
        let Some(intent) = intent else {
            return Ok(WebhookOutcome::Ignored);
        };
        let status = event
            .object
            .get("status")
            .and_then(|v| v.as_str())
            .unwrap_or("unknown");
        match event.event_type.as_str() {
            "payment_intent.succeeded" => {
                diesel::update(pi::table.find(&intent.id))
                    .set((pi::status.eq(status), pi::updated_at.eq(naive(now))))
                    .execute(conn)?;
                let already: i64 = pay::table
                    .filter(pay::stripe_payment_intent_id.eq(&intent.id))
                    .count()
                    .get_result(conn)?;
                if already > 0 {
                    return Ok(WebhookOutcome::Ignored);
                }
                let received = event
                    .object
                    .get("amount_received")
                    .and_then(|v| v.as_i64())
                    .filter(|v| *v > 0)
                    .or_else(|| event.object.get("amount").and_then(|v| v.as_i64()))
                    .unwrap_or(intent.amount_minor);
                if received <= 0 {
                    tracing::warn!(event_id = %event.id, intent = %intent.id, received, "succeeded PaymentIntent without a positive amount; nothing to record");
                    return Ok(WebhookOutcome::Ignored);
                }
                let currency = event
                    .object
                    .get("currency")
                    .and_then(|v| v.as_str())
                    .map(|c| c.to_ascii_uppercase())
                    .unwrap_or_else(|| intent.currency.clone());
                let currency = Currency::parse(&currency).map_err(anyhow::Error::new)?;
                let paid_at = Utc.timestamp_opt(event.created, 0).single().unwrap_or(now);
                payments::apply(
                    conn,
                    settings,
                    intent.invoice_id.parse().map_err(anyhow::Error::new)?,
                    PaymentInput {
                        amount: Money::new(received, currency),
                        method: PaymentMethod::Card,
                        reference: intent.id.clone(),
                        received_on: paid_at.date_naive(),
                        stripe_payment_intent_id: Some(intent.id.clone()),
                        recorded_by: "stripe".into(),
                    },
                    // The money has moved: what the invoice cannot take (already
                    // paid by bank transfer, more than due) is customer credit,
                    // never a failed delivery that Stripe would retry forever.
                    Excess::Credit,
                    fulfilment,
                    now,
                )?;
                Ok(WebhookOutcome::Applied)
            }
            "payment_intent.payment_failed" => {
                let message = event
                    .object
                    .pointer("/last_payment_error/message")
                    .and_then(|v| v.as_str())
                    .unwrap_or("payment failed")
                    .to_owned();
                diesel::update(pi::table.find(&intent.id))
                    .set((
                        pi::status.eq(status),
                        pi::last_error.eq(Some(message)),
                        pi::updated_at.eq(naive(now)),
                    ))
                    .execute(conn)?;
                Ok(WebhookOutcome::Applied)
            }
            _ => Ok(WebhookOutcome::Ignored),
        }
    })
}

/// The stored state of an invoice's PaymentIntent (status and last error), if any.
pub fn intent_for_invoice(
    conn: &mut DbConn,
    invoice_id: InvoiceId,
) -> Result<Option<PaymentIntentRow>, ServiceError> {
    Ok(pi::table
        .filter(pi::invoice_id.eq(invoice_id.to_string()))
        .select(PaymentIntentRow::as_select())
        .first(conn)
        .optional()?)
}
