//! Placing orders that are paid through an invoice — licence purchases and
//! renewals, exam orders — end to end: the idempotent business transaction, then
//! (with Stripe) the PaymentIntent, then the stored response. A retry with the same
//! key after a failure between the two phases resumes at the Stripe step, whose own
//! idempotency keys make it safe. The stored response never holds the
//! PaymentIntent's `client_secret`; a replay reads it back from Stripe.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::db::DbConn;
use crate::domain::ids::{CandidateId, InvoiceId, LicenceId, ProviderId};

use crate::services::billing::invoicing;
use crate::services::billing::stripe_payments::{
    bank_details, client_secret_for, payment_details, PaymentDetails,
};
use crate::services::exams::orders::{self, ExamOrder, NewExamOrder};
use crate::services::idempotency::{
    claim, complete, set_resource, Claim, IdempotencyScope, StoredResponse,
};
use crate::services::licensing::licences::{self, Licence, PurchaseLicence};
use crate::services::{AppContext, ServiceError};

/// What to order.
#[derive(Debug, Clone)]
pub enum LicenceOrder {
    /// A new licence.
    Purchase(PurchaseLicence),
    /// The next term of an existing licence.
    Renewal(LicenceId),
}

/// The response to a purchase or renewal: the licence and how to pay its invoice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LicenceOrderResponse {
    /// The licence.
    #[serde(flatten)]
    pub licence: Licence,
    /// How to pay the new term's invoice.
    pub payment: PaymentDetails,
}

/// The response to an exam order: the order and how to pay its invoice.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExamOrderResponse {
    /// The order.
    #[serde(flatten)]
    pub order: ExamOrder,
    /// How to pay the fee's invoice.
    pub payment: PaymentDetails,
}

enum Phase {
    Done(StoredResponse),
    Pay(String),
}

fn with_payment(
    view: serde_json::Value,
    payment: PaymentDetails,
) -> Result<StoredResponse, ServiceError> {
    let mut body = view;
    if let Some(o) = body.as_object_mut() {
        o.insert(
            "payment".into(),
            serde_json::to_value(payment).map_err(anyhow::Error::new)?,
        );
    }
    Ok(StoredResponse { status: 201, body })
}

/// A resource sold through an invoice: its id, its invoice, and its API view.
type Sold = (String, InvoiceId, serde_json::Value);

/// Runs an order idempotently: `fresh` creates it inside the claiming transaction;
/// `reload` reads it back by resource id when resuming after the Stripe step.
async fn place_paid<F, R>(
    ctx: &AppContext,
    scope: IdempotencyScope,
    fresh: F,
    reload: R,
) -> Result<StoredResponse, ServiceError>
where
    F: Fn(&mut DbConn, DateTime<Utc>) -> Result<Sold, ServiceError> + Send + Sync + Clone + 'static,
    R: Fn(&mut DbConn, &str) -> Result<Sold, ServiceError> + Send + Sync + 'static,
{
    let stripe = ctx.stripe.is_some();
    let mut phase = None;
    for _ in 0..2 {
        let (scope, fresh, now) = (scope.clone(), fresh.clone(), ctx.clock.now());
        // Sales are group-committed: one transaction (one flush) for the sales
        // queued together, each in its own savepoint (services::group_commit).
        let result = ctx
            .group_commit
            .run(&ctx.pool, move |c| match claim(c, &scope, now)? {
                Claim::Replay(r) => Ok(Phase::Done(r)),
                Claim::Resume(id) => Ok(Phase::Pay(id)),
                Claim::Fresh => {
                    let (id, invoice_id, view) = fresh(c, now)?;
                    set_resource(c, &scope, &id)?;
                    if stripe {
                        return Ok(Phase::Pay(id));
                    }
                    let h = invoicing::find_header(c, invoice_id, Scope::All)?;
                    let response = with_payment(view, bank_details(&h)?)?;
                    complete(c, &scope, &response, now)?;
                    Ok(Phase::Done(response))
                }
            })
            .await;
        match result {
            Err(ServiceError::IdempotencyInProgress) => continue,
            other => {
                phase = Some(other?);
                break;
            }
        }
    }
    let resource = match phase.ok_or(ServiceError::IdempotencyInProgress)? {
        Phase::Done(r) => return with_client_secret(ctx, r).await,
        Phase::Pay(id) => id,
    };
    let (_, invoice_id, view) = ctx.db(move |c| reload(c, &resource)).await?;
    let details = payment_details(ctx, invoice_id).await?;
    let response = with_payment(view, details)?;
    let (stored, now) = (without_client_secret(&response), ctx.clock.now());
    ctx.db(move |c| c.transaction(|c| complete(c, &scope, &stored, now)))
        .await?;
    Ok(response)
}

/// The copy of a response kept for replays: `payment.client_secret` removed. The
/// secret lets its holder confirm a card payment, so it is not kept at rest;
/// [`with_client_secret`] puts it back from Stripe on replay.
fn without_client_secret(response: &StoredResponse) -> StoredResponse {
    let mut body = response.body.clone();
    if let Some(payment) = body.get_mut("payment").and_then(|p| p.as_object_mut()) {
        payment.remove("client_secret");
    }
    StoredResponse {
        status: response.status,
        body,
    }
}

/// A replayed response with its card payment's `client_secret` read back from
/// Stripe (by the stored `payment.payment_intent_id`). Bank-transfer responses,
/// and responses when Stripe is no longer configured, are returned as stored.
///
/// Errors: [`ServiceError::PaymentProcessor`] when Stripe cannot be read.
async fn with_client_secret(
    ctx: &AppContext,
    mut response: StoredResponse,
) -> Result<StoredResponse, ServiceError> {
    let intent = response
        .body
        .pointer("/payment/payment_intent_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let Some(intent) = intent else {
        return Ok(response);
    };
    if let Some(secret) = client_secret_for(ctx, &intent).await? {
        if let Some(payment) = response
            .body
            .get_mut("payment")
            .and_then(|p| p.as_object_mut())
        {
            payment.insert("client_secret".into(), serde_json::Value::String(secret));
        }
    }
    Ok(response)
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(v).map_err(|e| ServiceError::Internal(anyhow::Error::new(e)))
}

/// Places a licence `order` for a caller whose provider scope is `caller` (`None` for staff).
pub async fn place(
    ctx: &AppContext,
    scope: IdempotencyScope,
    caller: Option<ProviderId>,
    order: LicenceOrder,
) -> Result<StoredResponse, ServiceError> {
    let (settings, stripe) = (ctx.settings.clone(), ctx.stripe.is_some());
    let reload_settings = ctx.settings.clone();
    let today = ctx.clock.today();
    place_paid(
        ctx,
        scope,
        move |c, now| {
            let ordered = match &order {
                LicenceOrder::Purchase(p) => {
                    licences::purchase(c, &settings, stripe, caller, p, now)?
                }
                LicenceOrder::Renewal(id) => {
                    licences::renew(c, &settings, stripe, caller, *id, now)?
                }
            };
            Ok((
                ordered.licence.id.to_string(),
                ordered.invoice.id,
                json(&ordered.licence)?,
            ))
        },
        move |c, id| {
            let licence = licences::get(
                c,
                &reload_settings,
                id.parse().map_err(anyhow::Error::new)?,
                None,
                today,
            )?;
            Ok((id.to_owned(), licence.invoice_id, json(&licence)?))
        },
    )
    .await
}

/// Places an exam order for `candidate`.
pub async fn place_exam(
    ctx: &AppContext,
    scope: IdempotencyScope,
    candidate: CandidateId,
    order: NewExamOrder,
) -> Result<StoredResponse, ServiceError> {
    let (settings, stripe) = (ctx.settings.clone(), ctx.stripe.is_some());
    place_paid(
        ctx,
        scope,
        move |c, now| {
            let o = orders::place_order(c, &settings, stripe, candidate, &order, now)?;
            Ok((o.id.to_string(), o.invoice_id, json(&o)?))
        },
        move |c, id| {
            let o = orders::get_order(c, id.parse().map_err(anyhow::Error::new)?, Scope::All)?;
            Ok((id.to_owned(), o.invoice_id, json(&o)?))
        },
    )
    .await
}
