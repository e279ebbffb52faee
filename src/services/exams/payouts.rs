//! Partner payables (testing vendors' and referring providers' shares of exam
//! fees) and payouts that settle them.
//!
//! A payout settles every open payable of one partner in one currency: it records
//! the payout, links the payables, and posts Dr partner payables / Cr cash.
//! Payables are claimed atomically (locked `FOR UPDATE` on PostgreSQL, a
//! `BEGIN IMMEDIATE` transaction on SQLite), so concurrent payouts of one partner
//! pay each payable once: the first pays, the others find nothing to pay (422).
//! - `bank_transfer`: recorded by finance after the transfer was sent; one
//!   transaction.
//! - `stripe_transfer`: a Stripe Connect transfer to the partner's connected
//!   account. The payout is reserved (payables linked) in one transaction, the
//!   transfer is created with the idempotency key `accredit-payout-<payout id>`,
//!   and a second transaction stores the transfer id and posts the ledger entry
//!   (against Stripe clearing). A failure between the two leaves the payout
//!   `pending`; retrying the request with the same Idempotency-Key resumes it.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::{PayableRow, PayoutRow};
use crate::db::schema::{payables as pb, payouts as po};
use crate::db::{write_transaction, DbConn};
use crate::domain::billing::ledger::{JournalEntry, LedgerAccount};
use crate::domain::exams::payout::{PartnerType, PayoutMethod, PayoutStatus};
use crate::domain::ids::PayoutId;
use crate::domain::money::{Currency, Money};
use crate::domain::parties::provider::required_text;

use crate::services::billing::ledger;
use crate::services::idempotency::{
    claim, complete, set_resource, Claim, IdempotencyScope, StoredResponse,
};
use crate::services::{naive, FieldError, ServiceError};

/// Open (unpaid) payables of one partner in one currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerBalance {
    /// Who is owed.
    pub partner_type: PartnerType,
    /// Vendor or provider id.
    pub partner_id: String,
    /// Total owed.
    pub amount_due: Money,
    /// Number of exam orders it comes from.
    pub payables: usize,
}

/// A partner's total in `i128` as [`Money`]. Errors: [`ServiceError::Conflict`]
/// `amount-out-of-range` when it does not fit `i64` (only possible for payables
/// booked before input amounts were capped; it needs a manual correction).
fn partner_total(
    partner_type: &str,
    partner_id: &str,
    currency: Currency,
    total: i128,
) -> Result<Money, ServiceError> {
    i64::try_from(total)
        .map(|minor| Money::new(minor, currency))
        .map_err(|_| ServiceError::Conflict {
            kind: "amount-out-of-range",
            detail: format!(
                "the open payables of {partner_type} {partner_id} in {currency} add up to {total} minor units, \
                 more than one amount can hold; they need a manual correction"
            ),
        })
}

/// Adds one payable to a running `i128` total (cannot overflow for fewer than
/// 2^64 payables; checked all the same).
fn add_payable(total: i128, amount_minor: i64) -> Result<i128, ServiceError> {
    total
        .checked_add(i128::from(amount_minor))
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("payable total exceeds 128 bits")))
}

/// What finance owes each partner now, per partner and currency, ordered by
/// partner type, partner id and currency. Errors: [`ServiceError::Conflict`]
/// `amount-out-of-range` (see [`partner_total`]).
pub fn balances(conn: &mut DbConn) -> Result<Vec<PartnerBalance>, ServiceError> {
    let rows = pb::table
        .filter(pb::payout_id.is_null())
        .order(pb::id.asc())
        .select(PayableRow::as_select())
        .load(conn)?;
    let mut sums: BTreeMap<(String, String, String), (i128, usize)> = BTreeMap::new();
    for r in rows {
        let e = sums
            .entry((r.partner_type, r.partner_id, r.currency))
            .or_insert((0, 0));
        e.0 = add_payable(e.0, r.amount_minor)?;
        e.1 = e.1.saturating_add(1);
    }
    sums.into_iter()
        .filter(|(_, (amount, _))| *amount > 0)
        .map(|((partner_type, partner_id, currency), (amount, n))| {
            let currency = Currency::parse(&currency).context("payable currency")?;
            Ok(PartnerBalance {
                amount_due: partner_total(&partner_type, &partner_id, currency, amount)?,
                partner_type: PartnerType::from_stored(&partner_type)
                    .context("payable partner type")?,
                partner_id,
                payables: n,
            })
        })
        .collect()
}

/// `POST /v1/payouts` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayout {
    /// Who is paid.
    pub partner_type: PartnerType,
    /// Vendor or provider id.
    #[schema(min_length = 1, max_length = 100)]
    pub partner_id: String,
    /// Currency of the payables to settle.
    pub currency: Currency,
    /// `bank_transfer` (recorded after sending) or `stripe_transfer`.
    pub method: PayoutMethod,
    /// Bank reference of the outgoing transfer: required (1–140 characters) for
    /// `bank_transfer`; may be left out for `stripe_transfer`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 140,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub reference: String,
}

/// A payout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Payout {
    /// Id.
    pub id: PayoutId,
    /// Partner type.
    pub partner_type: PartnerType,
    /// Partner id.
    pub partner_id: String,
    /// Amount paid out.
    pub amount: Money,
    /// Method.
    pub method: PayoutMethod,
    /// Bank reference, or the Stripe transfer id.
    pub reference: String,
    /// `pending` (Stripe transfer not yet confirmed) or `paid`.
    pub status: PayoutStatus,
}

fn validate(
    conn: &mut DbConn,
    input: &NewPayout,
) -> Result<(String, Option<String>), ServiceError> {
    let reference =
        if input.method == PayoutMethod::StripeTransfer && input.reference.trim().is_empty() {
            "stripe".to_owned()
        } else {
            required_text("reference", &input.reference, 140)
                .map_err(|e| ServiceError::invalid("reference", e))?
        };
    let account = match (input.partner_type, input.method) {
        (_, PayoutMethod::BankTransfer) => None,
        (PartnerType::TestingVendor, PayoutMethod::StripeTransfer) => {
            let id = input
                .partner_id
                .parse()
                .map_err(|_| ServiceError::invalid("partner_id", "unknown testing vendor"))?;
            let vendor = crate::services::lookups::find_vendor(conn, id)
                .map_err(|_| ServiceError::invalid("partner_id", "unknown testing vendor"))?;
            Some(vendor.stripe_account_id.ok_or_else(|| {
                ServiceError::invalid(
                    "method",
                    "this vendor has no Stripe Connect account; pay by bank_transfer",
                )
            })?)
        }
        (PartnerType::ReferringProvider, PayoutMethod::StripeTransfer) => {
            return Err(ServiceError::invalid(
                "method",
                "providers have no Stripe Connect account; pay by bank_transfer",
            ))
        }
    };
    Ok((reference, account))
}

/// Locks and loads a partner's open payables in one currency.
///
/// On PostgreSQL the rows are locked `FOR UPDATE` until commit: a concurrent payout
/// of the same partner waits, then re-checks `payout_id IS NULL` on the committed
/// rows and finds them taken. SQLite write transactions are `BEGIN IMMEDIATE`
/// ([`write_transaction`]), so only one runs at a time.
fn lock_open_payables(
    conn: &mut DbConn,
    input: &NewPayout,
) -> Result<Vec<PayableRow>, ServiceError> {
    let open = || {
        pb::table
            .filter(pb::partner_type.eq(input.partner_type.as_str()))
            .filter(pb::partner_id.eq(&input.partner_id))
            .filter(pb::currency.eq(input.currency.code()))
            .filter(pb::payout_id.is_null())
            .order(pb::id.asc())
    };
    // `FOR UPDATE` does not go through the multi-backend connection (STACK.md).
    Ok(match conn {
        DbConn::Pg(c) => open()
            .select(PayableRow::as_select())
            .for_update()
            .load(c)?,
        DbConn::Sqlite(c) => open().select(PayableRow::as_select()).load(c)?,
    })
}

/// Reserves a partner's open payables for a new payout and returns it. Must run in
/// a [`write_transaction`]: the payables are claimed atomically, and the payout
/// pays exactly the rows it claimed.
///
/// Errors: [`ServiceError::Refused`] `nothing-to-pay` (422) when the partner has no
/// open payables in that currency (also for every loser of a concurrent race);
/// [`ServiceError::Conflict`] `amount-out-of-range`; [`ServiceError::Internal`] if
/// fewer rows were claimed than were locked (the transaction rolls back).
fn reserve(
    conn: &mut DbConn,
    input: &NewPayout,
    reference: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Payout, ServiceError> {
    let open = lock_open_payables(conn, input)?;
    let total = open
        .iter()
        .try_fold(0i128, |acc, p| add_payable(acc, p.amount_minor))?;
    if total <= 0 {
        return Err(ServiceError::Refused {
            kind: "nothing-to-pay",
            reasons: vec![FieldError::new(
                "partner_id",
                "this partner has no open payables in that currency (already paid out?)",
            )],
        });
    }
    let amount = partner_total(
        input.partner_type.as_str(),
        &input.partner_id,
        input.currency,
        total,
    )?;
    let id = PayoutId::new();
    diesel::insert_into(po::table)
        .values(&PayoutRow {
            id: id.to_string(),
            partner_type: input.partner_type.as_str().to_owned(),
            partner_id: input.partner_id.clone(),
            amount_minor: amount.amount_minor,
            currency: input.currency.code().to_owned(),
            method: input.method.as_str().to_owned(),
            reference: reference.to_owned(),
            stripe_transfer_id: None,
            created_by: by.to_owned(),
            created_at: naive(now),
        })
        .execute(conn)?;
    let ids: Vec<String> = open.iter().map(|p| p.id.clone()).collect();
    let claimed = diesel::update(
        pb::table
            .filter(pb::id.eq_any(&ids))
            .filter(pb::payout_id.is_null()),
    )
    .set(pb::payout_id.eq(Some(id.to_string())))
    .execute(conn)?;
    if claimed != open.len() {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "payout {id} claimed {claimed} of {} locked payables",
            open.len()
        )));
    }
    Ok(Payout {
        id,
        partner_type: input.partner_type,
        partner_id: input.partner_id.clone(),
        amount,
        method: input.method,
        reference: reference.to_owned(),
        status: PayoutStatus::Pending,
    })
}

/// Posts Dr partner payables / Cr `cash` for a settled payout.
fn settle(
    conn: &mut DbConn,
    payout: &mut Payout,
    cash: LedgerAccount,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let entry = JournalEntry::transfer(LedgerAccount::PartnerPayables, cash, payout.amount)
        .context("payout ledger entry")?;
    ledger::post(
        conn,
        &entry,
        now,
        &format!(
            "Payout {} to {} {}",
            payout.reference, payout.partner_type, payout.partner_id
        ),
        "payout",
        &payout.id.to_string(),
    )?;
    payout.status = PayoutStatus::Paid;
    Ok(())
}

/// Records a bank payout of a partner's open payables (finance), in the caller's
/// write transaction. Errors: [`ServiceError::Validation`]; [`ServiceError::Refused`]
/// `nothing-to-pay`; [`ServiceError::Conflict`] `amount-out-of-range`.
pub fn pay_by_bank(
    conn: &mut DbConn,
    input: &NewPayout,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Payout, ServiceError> {
    if input.method != PayoutMethod::BankTransfer {
        return Err(ServiceError::invalid(
            "method",
            "this path records bank transfers only",
        ));
    }
    let (reference, _) = validate(conn, input)?;
    let mut payout = reserve(conn, input, &reference, by, now)?;
    settle(conn, &mut payout, LedgerAccount::CashBank, now)?;
    Ok(payout)
}

/// Pays a partner (finance): bank payouts in one transaction, Stripe Connect
/// transfers in two phases (see the module doc). Idempotent per `scope`.
pub async fn pay(
    ctx: &crate::services::AppContext,
    scope: IdempotencyScope,
    input: NewPayout,
    by: String,
) -> Result<StoredResponse, ServiceError> {
    if input.method != PayoutMethod::StripeTransfer {
        return crate::services::idempotency::run(
            ctx,
            scope,
            crate::services::idempotency::keep_all,
            move |c, now| {
                let payout = pay_by_bank(c, &input, &by, now)?;
                Ok(StoredResponse {
                    status: 201,
                    body: serde_json::to_value(payout).map_err(anyhow::Error::new)?,
                })
            },
        )
        .await;
    }
    let stripe = ctx.stripe.clone().ok_or_else(|| {
        ServiceError::invalid("method", "Stripe is not configured; pay by bank_transfer")
    })?;
    let (claim_scope, now) = (scope.clone(), ctx.clock.now());
    let first = ctx
        .db(move |c| {
            write_transaction(c, |c| match claim(c, &claim_scope, now)? {
                Claim::Replay(r) => Ok(Err(r)),
                Claim::Resume(id) => {
                    let account = validate(c, &input)?
                        .1
                        .ok_or_else(|| anyhow::anyhow!("no account"))?;
                    Ok(Ok((load(c, &id)?, account)))
                }
                Claim::Fresh => {
                    let (reference, account) = validate(c, &input)?;
                    let account = account.ok_or_else(|| anyhow::anyhow!("no account"))?;
                    let payout = reserve(c, &input, &reference, &by, now)?;
                    set_resource(c, &claim_scope, &payout.id.to_string())?;
                    Ok(Ok((payout, account)))
                }
            })
        })
        .await?;
    let (mut payout, account) = match first {
        Err(replay) => return Ok(replay),
        Ok(p) => p,
    };
    if payout.status != PayoutStatus::Paid {
        let id = payout.id.to_string();
        let transfer = stripe
            .create_transfer(
                payout.amount.amount_minor,
                payout.amount.currency.code(),
                &account,
                Some(&id),
                &[
                    ("payout_id", id.as_str()),
                    ("partner_id", payout.partner_id.as_str()),
                ],
                &format!("accredit-payout-{id}"),
            )
            .await
            .map_err(|e| ServiceError::PaymentProcessor(e.to_string()))?;
        let now = ctx.clock.now();
        payout = ctx
            .db(move |c| {
                write_transaction(c, |c| {
                    diesel::update(po::table.find(&id).filter(po::stripe_transfer_id.is_null()))
                        .set((
                            po::stripe_transfer_id.eq(Some(&transfer)),
                            po::reference.eq(&transfer),
                        ))
                        .execute(c)?;
                    let mut p = load(c, &id)?;
                    if !ledger::postings_for_source(c, "payout", &id)?.is_empty() {
                        return Ok(p);
                    }
                    settle(c, &mut p, LedgerAccount::StripeClearing, now)?;
                    Ok(p)
                })
            })
            .await?;
    }
    let response = StoredResponse {
        status: 201,
        body: serde_json::to_value(&payout).map_err(anyhow::Error::new)?,
    };
    let (stored, now) = (response.clone(), ctx.clock.now());
    ctx.db(move |c| c.transaction(|c| complete(c, &scope, &stored, now)))
        .await?;
    Ok(response)
}

fn load(conn: &mut DbConn, id: &str) -> Result<Payout, ServiceError> {
    let r: PayoutRow = po::table
        .find(id)
        .select(PayoutRow::as_select())
        .first(conn)?;
    let method = PayoutMethod::from_stored(&r.method).context("payout method")?;
    let settled = method == PayoutMethod::BankTransfer || r.stripe_transfer_id.is_some();
    Ok(Payout {
        id: r.id.parse().context("payout id")?,
        partner_type: PartnerType::from_stored(&r.partner_type).context("payout partner type")?,
        partner_id: r.partner_id,
        amount: Money::new(
            r.amount_minor,
            Currency::parse(&r.currency).map_err(anyhow::Error::new)?,
        ),
        method,
        reference: r.reference,
        status: if settled {
            PayoutStatus::Paid
        } else {
            PayoutStatus::Pending
        },
    })
}
