//! Invoices, their archived PDFs, and payments against them.

use actix_web::{get, post, web, HttpResponse};

use crate::domain::ids::InvoiceId;
use crate::services::billing::customer_credits::{self, CustomerCredit};
use crate::services::billing::hosted_invoice::attach_links;
use crate::services::billing::hosted_links::HostedLinks;
use crate::services::billing::invoicing::{self, Invoice, InvoiceFilter};
use crate::services::billing::payments::{self, NewManualPayment, Payment};
use crate::services::billing::stripe_payments::{self, CardPayment};
use crate::services::fulfilment;
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::{Page, PageRequest};
use crate::services::AppContext;

use crate::http::extract::{Caller, IdempotencyKey, InvoiceReaders, MoneyStaff};
use crate::http::problem::{ApiError, ProblemDetails};
use crate::http::respond;

/// One invoice (a provider sees only its own).
#[utoipa::path(tag = "invoices", security(("bearer" = [])), params(("id" = InvoiceId, Path)),
    responses((status = 200, body = Invoice), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/invoices/{id}")]
pub async fn get(
    ctx: web::Data<AppContext>,
    who: Caller<InvoiceReaders>,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.scope());
    let mut inv = ctx.db(move |c| invoicing::get(c, id, scope)).await?;
    let links = HostedLinks::from_settings(&ctx.settings)?;
    attach_links(&links, std::slice::from_mut(&mut inv), ctx.clock.now());
    Ok(HttpResponse::Ok().json(inv))
}

/// The invoice PDF exactly as issued (the same bytes on every read).
#[utoipa::path(tag = "invoices", security(("bearer" = [])), params(("id" = InvoiceId, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/invoices/{id}/pdf")]
pub async fn pdf(
    ctx: web::Data<AppContext>,
    who: Caller<InvoiceReaders>,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.scope());
    let (number, bytes) = ctx.db(move |c| invoicing::pdf(c, id, scope)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"{number}.pdf\""),
        ))
        .insert_header(("Cache-Control", "private, max-age=31536000, immutable"))
        .body(bytes))
}

/// Lists invoices (finance and admin see all; a provider sees its own),
/// cursor-paginated in issue order.
#[utoipa::path(tag = "invoices", security(("bearer" = [])), params(InvoiceFilter),
    responses((status = 200, body = Page<Invoice>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/invoices")]
pub async fn list(
    ctx: web::Data<AppContext>,
    who: Caller<InvoiceReaders>,
    q: web::Query<InvoiceFilter>,
) -> Result<HttpResponse, ApiError> {
    let (q, scope) = (q.into_inner(), who.scope());
    let mut page = ctx.db(move |c| invoicing::list(c, &q, scope)).await?;
    let links = HostedLinks::from_settings(&ctx.settings)?;
    attach_links(&links, &mut page.data, ctx.clock.now());
    Ok(HttpResponse::Ok().json(page))
}

/// Records a bank transfer against an invoice (finance, admin). Paying the invoice
/// in full marks it paid and fulfils it (e.g. activates the licence term). The
/// amount is typed in by hand, so a transfer above the amount due is refused (422)
/// and one on an invoice that is no longer open is refused (409), rather than held
/// as customer credit; card payments confirmed by Stripe are never refused.
#[utoipa::path(tag = "invoices", security(("bearer" = [])),
    params(("id" = InvoiceId, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewManualPayment,
    responses(
        (status = 201, body = Payment),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Invoice not open", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Wrong currency, amount over the amount due, future date", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/invoices/{id}/payments")]
pub async fn record_payment(
    ctx: web::Data<AppContext>,
    who: Caller<MoneyStaff>,
    key: IdempotencyKey,
    id: web::Path<InvoiceId>,
    body: web::Json<NewManualPayment>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let scope = respond::scope(&who, key, &format!("/v1/invoices/{id}/payments"), &body);
    let (settings, recorder) = (ctx.settings.clone(), who.subject.clone());
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            201,
            &fulfilment::record_manual_payment(c, &settings, id, body.clone(), &recorder, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Pays an open invoice by card: creates the invoice's Stripe PaymentIntent for
/// the amount currently due, or returns the existing one while it can still be
/// paid, with its `client_secret` for Stripe.js. For any invoice — a licence term,
/// an exam order, an accreditation fee (approval or maintenance renewal). The
/// buyer (the provider or candidate owning the invoice), finance or admin may
/// call it; the invoice becomes paid when Stripe's `payment_intent.succeeded`
/// webhook arrives. Every call for the same amount due returns the same
/// PaymentIntent, so a retry (same or new `Idempotency-Key`) never creates a
/// second one; the secret is read from Stripe each time and never stored.
#[utoipa::path(tag = "invoices", security(("bearer" = [])),
    params(("id" = InvoiceId, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    responses(
        (status = 200, body = CardPayment),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Invoice not open (paid, void) — `invoice-not-open`", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Card payments are off — `stripe-not-configured`", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 502, description = "Stripe failed", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/invoices/{id}/payment-intent")]
pub async fn payment_intent(
    ctx: web::Data<AppContext>,
    who: Caller<InvoiceReaders>,
    _key: IdempotencyKey,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.scope());
    let card = stripe_payments::card_payment(&ctx, id, scope).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(card))
}

/// Payments applied to an invoice, cursor-paginated in the order received.
#[utoipa::path(tag = "invoices", security(("bearer" = [])), params(("id" = InvoiceId, Path), PageRequest),
    responses((status = 200, body = Page<Payment>), (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/invoices/{id}/payments")]
pub async fn list_payments(
    ctx: web::Data<AppContext>,
    who: Caller<InvoiceReaders>,
    id: web::Path<InvoiceId>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope, q) = (id.into_inner(), who.scope(), q.into_inner());
    // An invoice has few payments: the page is cut from the whole list.
    let applied = ctx
        .db(move |c| {
            q.page_in_memory(payments::list_for_invoice(c, id, scope)?, |p| {
                p.id.to_string()
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(applied))
}

/// Customer credits (finance, admin): money received that no open invoice could
/// take, held until refunded or applied by a credit note; oldest first.
#[utoipa::path(tag = "invoices", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<CustomerCredit>), (status = 422, description = "Bad cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/customer-credits")]
pub async fn list_customer_credits(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let page = ctx.db(move |c| customer_credits::list(c, &q)).await?;
    Ok(HttpResponse::Ok().json(page))
}
