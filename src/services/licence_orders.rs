//! Placing licence orders (purchase and renewal) end to end: the idempotent
//! business transaction, then — with Stripe — the PaymentIntent, then the stored
//! response. A retry with the same key after a failure between the two phases
//! resumes at the Stripe step (whose own idempotency keys make it safe).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::write_transaction;
use crate::domain::ids::{LicenceId, ProviderId};

use super::idempotency::{claim, complete, set_resource, Claim, IdempotencyScope, StoredResponse};
use super::licences::{self, Licence, PurchaseLicence};
use super::stripe_payments::{bank_details, payment_details, PaymentDetails};
use super::{invoicing, AppContext, ServiceError};

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

enum Phase {
    Done(StoredResponse),
    Pay(LicenceId),
}

fn respond(licence: Licence, payment: PaymentDetails) -> Result<StoredResponse, ServiceError> {
    Ok(StoredResponse {
        status: 201,
        body: serde_json::to_value(LicenceOrderResponse { licence, payment })
            .map_err(anyhow::Error::new)?,
    })
}

/// Places `order` for a caller whose provider scope is `caller` (`None` for staff).
pub async fn place(
    ctx: &AppContext,
    scope: IdempotencyScope,
    caller: Option<ProviderId>,
    order: LicenceOrder,
) -> Result<StoredResponse, ServiceError> {
    let stripe = ctx.stripe.is_some();
    let mut phase = None;
    for _ in 0..2 {
        let (scope, order, settings, now) = (
            scope.clone(),
            order.clone(),
            ctx.settings.clone(),
            ctx.clock.now(),
        );
        let result = ctx
            .db(move |c| {
                write_transaction(c, |c| match claim(c, &scope, now)? {
                    Claim::Replay(r) => Ok(Phase::Done(r)),
                    Claim::Resume(id) => Ok(Phase::Pay(id.parse().map_err(anyhow::Error::new)?)),
                    Claim::Fresh => {
                        let ordered = match &order {
                            LicenceOrder::Purchase(p) => {
                                licences::purchase(c, &settings, stripe, caller, p, now)?
                            }
                            LicenceOrder::Renewal(id) => {
                                licences::renew(c, &settings, stripe, caller, *id, now)?
                            }
                        };
                        set_resource(c, &scope, &ordered.licence.id.to_string())?;
                        if stripe {
                            return Ok(Phase::Pay(ordered.licence.id));
                        }
                        let h = invoicing::find_header(c, ordered.invoice.id, None)?;
                        let response = respond(ordered.licence, bank_details(&h)?)?;
                        complete(c, &scope, &response, now)?;
                        Ok(Phase::Done(response))
                    }
                })
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
    let licence_id = match phase.ok_or(ServiceError::IdempotencyInProgress)? {
        Phase::Done(r) => return Ok(r),
        Phase::Pay(id) => id,
    };
    let (settings, today) = (ctx.settings.clone(), ctx.clock.today());
    let licence = ctx
        .db(move |c| licences::get(c, &settings, licence_id, None, today))
        .await?;
    let details = payment_details(ctx, licence.invoice_id).await?;
    let response = respond(licence, details)?;
    let (stored, now) = (response.clone(), ctx.clock.now());
    ctx.db(move |c| c.transaction(|c| complete(c, &scope, &stored, now)))
        .await?;
    Ok(response)
}
