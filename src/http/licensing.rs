//! Course-content licences: purchase, renewal, reads.

use actix_web::{get, post, web, HttpResponse};

use crate::domain::ids::LicenceId;
use crate::services::checkout::{self, LicenceOrder, LicenceOrderResponse};
use crate::services::licensing::licences::{self, Licence, LicenceFilter, PurchaseLicence};
use crate::services::pagination::Page;
use crate::services::AppContext;

use super::extract::{Buyers, Caller, IdempotencyKey, Readers};
use super::problem::{ApiError, ProblemDetails};
use super::respond;

/// Buys a yearly course-content licence: issues its invoice and returns how to pay
/// (a Stripe PaymentIntent's client secret, or bank-transfer instructions). The same
/// `Idempotency-Key` and body returns the same response; another body is refused.
#[utoipa::path(tag = "licences", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = PurchaseLicence,
    responses(
        (status = 201, description = "Licence pending payment", body = LicenceOrderResponse, headers(("Location" = String))),
        (status = 404, description = "Unknown or foreign provider", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Unknown product or invalid fields; or idempotency key reused", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Same key still in progress", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/licences")]
pub async fn purchase(
    ctx: web::Data<AppContext>,
    who: Caller<Buyers>,
    key: IdempotencyKey,
    body: web::Json<PurchaseLicence>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/licences", &body);
    let r = checkout::place(
        &ctx,
        scope,
        who.provider_scope(),
        LicenceOrder::Purchase(body),
    )
    .await?;
    Ok(respond::stored(r, Some("/v1/licences")))
}

/// Issues the next term's invoice. Paying it extends the licence from its old
/// expiry (from the payment date if it had lapsed).
#[utoipa::path(tag = "licences", security(("bearer" = [])),
    params(("id" = LicenceId, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    responses(
        (status = 201, body = LicenceOrderResponse),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not yet active, or a term is already awaiting payment", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/licences/{id}/renewals")]
pub async fn renew(
    ctx: web::Data<AppContext>,
    who: Caller<Buyers>,
    key: IdempotencyKey,
    id: web::Path<LicenceId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/licences/{id}/renewals"),
        &serde_json::Value::Null,
    );
    let r = checkout::place(&ctx, scope, who.provider_scope(), LicenceOrder::Renewal(id)).await?;
    Ok(respond::stored(r, None))
}

/// One licence.
#[utoipa::path(tag = "licences", security(("bearer" = [])), params(("id" = LicenceId, Path)),
    responses((status = 200, body = Licence), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/licences/{id}")]
pub async fn get(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    id: web::Path<LicenceId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope, settings, today) = (
        id.into_inner(),
        who.provider_scope(),
        ctx.settings.clone(),
        ctx.clock.today(),
    );
    let l = ctx
        .db(move |c| licences::get(c, &settings, id, scope, today))
        .await?;
    Ok(HttpResponse::Ok().json(l))
}

/// Lists licences (a provider sees its own), filtered by provider, status and expiry,
/// cursor-paginated in creation order.
#[utoipa::path(tag = "licences", security(("bearer" = [])), params(LicenceFilter),
    responses((status = 200, body = Page<Licence>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/licences")]
pub async fn list(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    q: web::Query<LicenceFilter>,
) -> Result<HttpResponse, ApiError> {
    let (q, scope, settings, today) = (
        q.into_inner(),
        who.provider_scope(),
        ctx.settings.clone(),
        ctx.clock.today(),
    );
    let page = ctx
        .db(move |c| licences::list(c, &settings, &q, scope, today))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
