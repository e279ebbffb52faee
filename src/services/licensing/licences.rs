//! Course-content licences: purchase, renewal, activation on payment, and reads.
//!
//! A purchase creates the licence (no dates yet), its initial term awaiting payment
//! and the term's invoice, in one transaction. Paying the invoice in full activates
//! the term: the first term starts on the payment date; a renewal continues from the
//! old expiry while the licence is valid or in grace, else from the payment date
//! (see [`crate::domain::licensing::licence::next_term`]).

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::{LicenceRow, LicenceTermRow, ProviderRow};
use crate::db::schema::{licence_terms as lt, licences as lic, products as pr};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::billing::invoice::InvoiceSubject;
use crate::domain::billing::product::ProductKind;
use crate::domain::ids::{InvoiceId, LicenceId, LicenceTermId, ProviderId};
use crate::domain::licensing::licence::{
    grace_end, next_term, LicenceStatus, LicenceTermKind, LicenceTermState,
};
use crate::domain::parties::provider::ProviderKind;

use crate::services::accreditation::gates;
use crate::services::billing::catalogue;
use crate::services::billing::invoicing::{self, IssuedInvoice, LineInput, PaymentChannel};
use crate::services::billing::payments::PaymentInput;
use crate::services::mails::{self, LicenceActiveMail};
use crate::services::pagination::{Page, PageRequest};
use crate::services::parties::providers;
use crate::services::{naive, ServiceError};

/// `POST /v1/licences` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseLicence {
    /// A `course_licence` product code, e.g. `base_text_syllabus_licence`.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub product_code: String,
    /// The buying provider: required for admins, implied (or must match) for providers.
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    /// Seats (trainers or classrooms) for AECs; default 1; trainers have exactly 1.
    /// At most `licence.max_seats` (500 by default).
    #[serde(default, deserialize_with = "crate::domain::integral::option_i32")]
    #[schema(minimum = 1)]
    pub seats: Option<i32>,
}

/// One term of a licence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LicenceTerm {
    /// Id.
    pub id: LicenceTermId,
    /// `initial` or `renewal`.
    pub kind: LicenceTermKind,
    /// `awaiting_payment` or `paid`.
    pub state: LicenceTermState,
    /// The term's invoice.
    pub invoice_id: InvoiceId,
    /// First valid day (set on payment).
    pub starts_on: Option<NaiveDate>,
    /// First day no longer valid (set on payment).
    pub expires_on: Option<NaiveDate>,
}

/// A licence as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Licence {
    /// Id.
    pub id: LicenceId,
    /// Derived status (`pending_payment`, `active`, `in_grace`, `lapsed`).
    pub status: LicenceStatus,
    /// Product code.
    pub product_code: String,
    /// Owner.
    pub provider_id: ProviderId,
    /// Seats.
    pub seats: i32,
    /// First day of the first paid term.
    pub starts_on: Option<NaiveDate>,
    /// First day no longer valid (end of the last paid term, exclusive).
    pub expires_on: Option<NaiveDate>,
    /// Last day of the grace period (exclusive), once the licence has dates.
    pub grace_ends_on: Option<NaiveDate>,
    /// The latest term's invoice.
    pub invoice_id: InvoiceId,
    /// Terms, oldest first.
    pub terms: Vec<LicenceTerm>,
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, ServiceError>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse::<T>()
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e)))
}

fn view(
    conn: &mut DbConn,
    row: LicenceRow,
    settings: &Settings,
    today: NaiveDate,
) -> Result<Licence, ServiceError> {
    let terms = lt::table
        .filter(lt::licence_id.eq(&row.id))
        .order(lt::id.asc())
        .select(LicenceTermRow::as_select())
        .load(conn)?;
    let terms = terms
        .into_iter()
        .map(|t| {
            Ok(LicenceTerm {
                id: parse(&t.id)?,
                kind: LicenceTermKind::from_stored(&t.kind).context("licence term kind")?,
                state: LicenceTermState::from_stored(&t.state).context("licence term state")?,
                invoice_id: parse(&t.invoice_id)?,
                starts_on: t.starts_on,
                expires_on: t.expires_on,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    let invoice_id = terms
        .last()
        .map(|t| t.invoice_id)
        .ok_or_else(|| anyhow::anyhow!("licence {} has no term", row.id))?;
    Ok(Licence {
        id: parse(&row.id)?,
        status: LicenceStatus::derive(row.expires_on, today, settings.licence.grace_days),
        product_code: row.product_code,
        provider_id: parse(&row.provider_id)?,
        seats: row.seats,
        starts_on: row.starts_on,
        expires_on: row.expires_on,
        grace_ends_on: row
            .expires_on
            .map(|e| grace_end(e, settings.licence.grace_days)),
        invoice_id,
        terms,
    })
}

/// The result of a purchase or renewal: the licence and the invoice to pay.
#[derive(Debug, Clone)]
pub struct Ordered {
    /// The licence.
    pub licence: Licence,
    /// The new term's invoice.
    pub invoice: invoicing::IssuedInvoice,
}

fn channel(settings_has_stripe: bool) -> PaymentChannel {
    if settings_has_stripe {
        PaymentChannel::Card
    } else {
        PaymentChannel::BankTransfer
    }
}

fn term_description(name: &str, seats: i32, term_months: i32) -> String {
    let seats = if seats == 1 {
        String::new()
    } else {
        format!(", {seats} seats")
    };
    format!("{name} — {term_months}-month term{seats}")
}

/// Buys a licence (see the module doc). `scope` is the caller's provider for
/// provider tokens, `None` for staff.
///
/// Errors: [`ServiceError::UnknownProduct`] for a code that is not an active course
/// licence; [`ServiceError::NotFound`] for an unknown or foreign provider;
/// [`ServiceError::Validation`] for bad seats or a missing `provider_id`;
/// [`ServiceError::Refused`] `provider-not-accredited` (422) without an
/// accreditation in force (docs/domain.md, "What accreditation gates").
pub fn purchase(
    conn: &mut DbConn,
    settings: &Settings,
    stripe_enabled: bool,
    scope: Option<ProviderId>,
    req: &PurchaseLicence,
    now: DateTime<Utc>,
) -> Result<Ordered, ServiceError> {
    let provider_id = match (scope, req.provider_id) {
        (Some(own), None) => own,
        (Some(own), Some(asked)) if asked == own => own,
        (Some(_), Some(_)) => return Err(ServiceError::NotFound("provider")),
        (None, Some(asked)) => asked,
        (None, None) => {
            return Err(ServiceError::invalid(
                "provider_id",
                "required when buying on behalf of a provider",
            ))
        }
    };
    let product = catalogue::find(conn, &req.product_code, now)?;
    let term_months = match (
        product.kind,
        product.product.term_months,
        product.product.active,
    ) {
        (ProductKind::CourseLicence, Some(m), true) => m,
        _ => return Err(ServiceError::UnknownProduct(req.product_code.clone())),
    };
    let provider: ProviderRow = providers::find_row(conn, provider_id, None)?;
    gates::require_accredited(conn, provider_id)?;
    let seats = req.seats.unwrap_or(1);
    if seats < 1 || i64::from(seats) > i64::from(settings.licence.max_seats) {
        return Err(ServiceError::invalid(
            "seats",
            format!("must be between 1 and {}", settings.licence.max_seats),
        ));
    }
    if seats > 1 && (!product.product.seat_based || provider.kind == ProviderKind::Trainer.as_str())
    {
        return Err(ServiceError::invalid(
            "seats",
            "only education centres buy more than one seat of a seat-based licence",
        ));
    }
    let licence_id = LicenceId::new();
    diesel::insert_into(lic::table)
        .values(&LicenceRow {
            id: licence_id.to_string(),
            provider_id: provider.id.clone(),
            product_code: product.product.code.clone(),
            seats,
            starts_on: None,
            expires_on: None,
            created_at: naive(now),
            updated_at: naive(now),
        })
        .execute(conn)?;
    let description = term_description(&product.product.name, seats, term_months);
    let invoice = invoice_term(
        conn,
        settings,
        stripe_enabled,
        &provider,
        licence_id,
        LicenceTermKind::Initial,
        LineInput {
            product,
            quantity: i64::from(seats),
            description,
            period: None,
        },
        now,
    )?;
    let row = find_row(conn, licence_id, None)?;
    let licence = view(conn, row, settings, now.date_naive())?;
    Ok(Ordered { licence, invoice })
}

/// Issues the invoice of a new licence term to `provider` and records the term,
/// awaiting payment, as the invoice's subject. Errors: as [`invoicing::issue`];
/// [`ServiceError::Conflict`] `term-awaiting-payment` when the licence already has
/// an unpaid term.
#[allow(clippy::too_many_arguments)]
fn invoice_term(
    conn: &mut DbConn,
    settings: &Settings,
    stripe_enabled: bool,
    provider: &ProviderRow,
    licence_id: LicenceId,
    kind: LicenceTermKind,
    line: LineInput,
    now: DateTime<Utc>,
) -> Result<IssuedInvoice, ServiceError> {
    let term_id = LicenceTermId::new();
    let invoice = invoicing::issue(
        conn,
        settings,
        &InvoiceSubject::licence_term(term_id),
        &invoicing::Buyer::provider(provider),
        vec![line],
        channel(stripe_enabled),
        now,
    )?;
    insert_term(conn, term_id, licence_id, invoice.id, kind, now)?;
    Ok(invoice)
}

fn insert_term(
    conn: &mut DbConn,
    id: LicenceTermId,
    licence_id: LicenceId,
    invoice_id: InvoiceId,
    kind: LicenceTermKind,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let res = diesel::insert_into(lt::table)
        .values(&LicenceTermRow {
            id: id.to_string(),
            licence_id: licence_id.to_string(),
            invoice_id: invoice_id.to_string(),
            kind: kind.as_str().to_owned(),
            state: LicenceTermState::AwaitingPayment.as_str().to_owned(),
            starts_on: None,
            expires_on: None,
            created_at: naive(now),
            paid_at: None,
        })
        .execute(conn);
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(ServiceError::Conflict {
            kind: "term-awaiting-payment",
            detail:
                "this licence already has a term awaiting payment; pay or wait for that invoice"
                    .into(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Issues the next term's invoice of a licence (renewal). The price is the version
/// in force now. Errors: [`ServiceError::NotFound`]; [`ServiceError::Conflict`]
/// `licence-not-active` before the first payment, `term-awaiting-payment` when a
/// term is already unpaid; [`ServiceError::Refused`] `provider-not-accredited`.
pub fn renew(
    conn: &mut DbConn,
    settings: &Settings,
    stripe_enabled: bool,
    scope: Option<ProviderId>,
    licence_id: LicenceId,
    now: DateTime<Utc>,
) -> Result<Ordered, ServiceError> {
    let row = find_row(conn, licence_id, scope)?;
    if row.expires_on.is_none() {
        return Err(ServiceError::Conflict {
            kind: "licence-not-active",
            detail: "the licence's first term is not paid yet; pay its invoice instead of renewing"
                .into(),
        });
    }
    let open: Option<String> = lt::table
        .filter(lt::licence_id.eq(&row.id))
        .filter(lt::state.eq(LicenceTermState::AwaitingPayment.as_str()))
        .select(lt::invoice_id)
        .first(conn)
        .optional()?;
    if let Some(invoice_id) = open {
        return Err(ServiceError::Conflict {
            kind: "term-awaiting-payment",
            detail: format!("invoice {invoice_id} for the next term is already awaiting payment"),
        });
    }
    gates::require_accredited(conn, parse(&row.provider_id)?)?;
    let product = catalogue::find(conn, &row.product_code, now)?;
    let term_months = product.product.term_months.unwrap_or(12);
    let provider = providers::find_row(conn, parse(&row.provider_id)?, None)?;
    let description = term_description(&product.product.name, row.seats, term_months);
    let invoice = invoice_term(
        conn,
        settings,
        stripe_enabled,
        &provider,
        licence_id,
        LicenceTermKind::Renewal,
        LineInput {
            product,
            quantity: i64::from(row.seats),
            description: format!("Renewal: {description}"),
            period: None,
        },
        now,
    )?;
    diesel::update(lic::table.find(&row.id))
        .set(lic::updated_at.eq(naive(now)))
        .execute(conn)?;
    let row = find_row(conn, licence_id, None)?;
    let licence = view(conn, row, settings, now.date_naive())?;
    Ok(Ordered { licence, invoice })
}

/// Fulfils licence term `term_id`, whose invoice was just paid in full by
/// `payment`: sets the term's dates (renewal from the old expiry while valid or in
/// grace, from the payment date once lapsed), extends the licence and queues the
/// "licence active" receipt. Called once per invoice by the payment path
/// (the `fulfilment` module above the areas); a term already paid is left alone.
/// Errors: a term that does not exist or has a bad stored state (a bug).
pub fn fulfil_term(
    conn: &mut DbConn,
    settings: &Settings,
    term_id: LicenceTermId,
    invoice_id: InvoiceId,
    payment: &PaymentInput,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let term: LicenceTermRow = lt::table
        .find(term_id.to_string())
        .select(LicenceTermRow::as_select())
        .first(conn)
        .with_context(|| format!("licence term {term_id} of invoice {invoice_id}"))?;
    if LicenceTermState::from_stored(&term.state).context("licence term state")?
        == LicenceTermState::Paid
    {
        return Ok(());
    }
    let licence = lic::table
        .find(&term.licence_id)
        .select(LicenceRow::as_select())
        .first(conn)?;
    let term_months: Option<i32> = pr::table
        .find(&licence.product_code)
        .select(pr::term_months)
        .first(conn)?;
    let months = term_months
        .and_then(|m| u32::try_from(m).ok())
        .with_context(|| format!("product {} has no valid term length", licence.product_code))?;
    let paid_on = payment.received_on;
    let dates = next_term(
        licence.expires_on,
        paid_on,
        months,
        settings.licence.grace_days,
    )
    .context("next licence term")?;
    diesel::update(lt::table.find(&term.id))
        .set((
            lt::state.eq(LicenceTermState::Paid.as_str()),
            lt::starts_on.eq(Some(dates.starts_on)),
            lt::expires_on.eq(Some(dates.expires_on)),
            lt::paid_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    diesel::update(lic::table.find(&licence.id))
        .set((
            lic::starts_on.eq(Some(licence.starts_on.unwrap_or(dates.starts_on))),
            lic::expires_on.eq(Some(dates.expires_on)),
            lic::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    let provider = providers::find_row(conn, parse(&licence.provider_id)?, None)?;
    let h = invoicing::find_header(conn, invoice_id, crate::auth::Scope::All)?;
    let product_name: String = pr::table
        .find(&licence.product_code)
        .select(pr::name)
        .first(conn)?;
    mails::send(
        conn,
        &LicenceActiveMail {
            to: provider.email.clone(),
            attachments: vec![],
            org_name: settings.seller.legal_name.clone(),
            buyer_name: provider.legal_name.clone(),
            product_name,
            invoice_number: h.number.clone(),
            amount_paid: crate::domain::money::Money::new(h.total_minor, payment.amount.currency)
                .to_string(),
            paid_on: paid_on.to_string(),
            payment_method: match payment.method {
                crate::services::billing::payments::PaymentMethod::BankTransfer => "Bank transfer",
                crate::services::billing::payments::PaymentMethod::Card => "Card",
            }
            .to_owned(),
            starts_on: dates.starts_on.to_string(),
            expires_on: dates.expires_on.to_string(),
            licence_id: licence.id.clone(),
        },
        now,
    )?;
    Ok(())
}

fn find_row(
    conn: &mut DbConn,
    id: LicenceId,
    scope: Option<ProviderId>,
) -> Result<LicenceRow, ServiceError> {
    let mut q = lic::table.find(id.to_string()).into_boxed();
    if let Some(p) = scope {
        q = q.filter(lic::provider_id.eq(p.to_string()));
    }
    q.select(LicenceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("licence"))
}

/// One licence; `scope` limits provider callers to their own.
pub fn get(
    conn: &mut DbConn,
    settings: &Settings,
    id: LicenceId,
    scope: Option<ProviderId>,
    today: NaiveDate,
) -> Result<Licence, ServiceError> {
    let row = find_row(conn, id, scope)?;
    view(conn, row, settings, today)
}

/// Filters of `GET /v1/licences`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LicenceFilter {
    /// Only this provider's licences (providers always see only their own).
    pub provider_id: Option<ProviderId>,
    /// Only licences in this derived status.
    pub status: Option<LicenceStatus>,
    /// Only licences whose `expires_on` is before this date (renewal planning).
    pub expires_before: Option<NaiveDate>,
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`: the key of the last item seen (any value
    /// of this form is a position; see `PageRequest`).
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

/// Lists licences in creation order. Status filters are translated into date
/// conditions, so they agree exactly with the derived `status` of each item.
pub fn list(
    conn: &mut DbConn,
    settings: &Settings,
    filter: &LicenceFilter,
    scope: Option<ProviderId>,
    today: NaiveDate,
) -> Result<Page<Licence>, ServiceError> {
    let page = PageRequest {
        limit: filter.limit,
        cursor: filter.cursor.clone(),
    };
    if scope.is_some() && filter.provider_id.is_some_and(|p| Some(p) != scope) {
        return Ok(Page {
            data: vec![],
            next_cursor: None,
        });
    }
    let mut q = lic::table
        .order(lic::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(p) = scope.or(filter.provider_id) {
        q = q.filter(lic::provider_id.eq(p.to_string()));
    }
    let grace = chrono::Duration::days(i64::from(settings.licence.grace_days));
    match filter.status {
        None => {}
        Some(LicenceStatus::PendingPayment) => q = q.filter(lic::expires_on.is_null()),
        Some(LicenceStatus::Active) => q = q.filter(lic::expires_on.gt(today)),
        Some(LicenceStatus::InGrace) => {
            q = q
                .filter(lic::expires_on.le(today))
                .filter(lic::expires_on.gt(today - grace))
        }
        Some(LicenceStatus::Lapsed) => q = q.filter(lic::expires_on.le(today - grace)),
    }
    if let Some(before) = filter.expires_before {
        q = q.filter(lic::expires_on.lt(before));
    }
    if let Some(after) = page.after()? {
        q = q.filter(lic::id.gt(after));
    }
    let rows = q.select(LicenceRow::as_select()).load(conn)?;
    let items = rows
        .into_iter()
        .map(|r| view(conn, r, settings, today))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, |l| l.id.to_string()))
}
