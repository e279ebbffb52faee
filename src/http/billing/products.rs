//! The product catalogue, and products as data an admin runs.

use actix_web::{get, patch, post, web, HttpResponse};

use crate::auth::Principal;
use crate::services::billing::catalogue::{self, NewPrice, PriceVersion, Product};
use crate::services::billing::catalogue_admin::{self, NewProduct, ProductChange, ProductRecord};
use crate::services::billing::catalogue_events::CatalogueEvent;
use crate::services::idempotency::{self, keep_all, IdempotencyScope};
use crate::services::pagination::{Page, PageRequest};
use crate::services::AppContext;

use crate::http::extract::{AdminOnly, AnyRole, Caller, IdempotencyKey, MoneyStaff};
use crate::http::problem::{ApiError, ProblemDetails};
use crate::http::respond;

/// The catalogue with prices in force (any authenticated caller), cursor-paginated
/// in code order.
#[utoipa::path(tag = "catalogue", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<Product>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/products")]
pub async fn list(
    ctx: web::Data<AppContext>,
    _who: Caller<AnyRole>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let (now, q) = (ctx.clock.now(), q.into_inner());
    // The catalogue is small and read whole; the page is cut in memory.
    let page = ctx
        .db(move |c| q.page_in_memory(catalogue::list(c, now)?, |p| p.code.clone()))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One product.
#[utoipa::path(tag = "catalogue", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Product), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/products/{code}")]
pub async fn get(
    ctx: web::Data<AppContext>,
    _who: Caller<AnyRole>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (code, now) = (code.into_inner(), ctx.clock.now());
    let p = ctx.db(move |c| catalogue::get(c, &code, now)).await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Adds a price version (admin). Issued invoices keep the version they used.
/// The unit price must be between 0 and 10,000,000,000 minor units (100,000,000.00
/// in a 2-decimal currency); anything else is a 422 `validation-error`.
#[utoipa::path(tag = "catalogue", security(("bearer" = [])),
    params(("code" = String, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewPrice,
    responses((status = 201, body = PriceVersion), (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/products/{code}/prices")]
pub async fn add_price(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    code: web::Path<String>,
    body: web::Json<NewPrice>,
) -> Result<HttpResponse, ApiError> {
    let (code, body) = (code.into_inner(), body.into_inner());
    let scope = respond::scope(&who, key, &format!("/v1/products/{code}/prices"), &body);
    let actor = actor(&who);
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        let v = catalogue_admin::add_price(c, &code, body.clone(), &actor, now)?;
        respond::created(201, &v)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// `<role>:<subject>` of the caller, as the audit trail records it.
pub(crate) fn actor(who: &Principal) -> String {
    format!("{}:{}", who.role, who.subject)
}

/// The idempotency scope of a `PATCH` (the same key and body replay the stored
/// response, so a retried change is audited once).
pub(crate) fn patch_scope<T: serde::Serialize>(
    who: &Principal,
    key: IdempotencyKey,
    path: &str,
    body: &T,
) -> IdempotencyScope {
    let value = serde_json::to_value(body).unwrap_or(serde_json::Value::Null);
    IdempotencyScope::new(who.idempotency_scope(), key.0, "PATCH", path, &value)
}

/// Creates a product (admin): code, one of the existing kinds, name, description,
/// term and seat basis, and optionally its first price (in force at once). Without a
/// price it cannot be bought until `POST /v1/products/{code}/prices` adds one.
/// Audited (`GET /v1/products/{code}/events`).
#[utoipa::path(tag = "catalogue", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewProduct,
    responses((status = 201, body = ProductRecord),
        (status = 409, description = "The code is taken (`product-exists`)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/products")]
pub async fn create(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    body: web::Json<NewProduct>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/products", &body);
    let actor = actor(&who);
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &catalogue_admin::create(c, &body, &actor, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Renames, re-describes, deactivates (`"active": false` with a `reason`) or
/// reactivates a product (admin). A deactivated product stays on issued invoices
/// but every sale refuses it with 409 `product-inactive`. Audited.
#[utoipa::path(tag = "catalogue", security(("bearer" = [])),
    params(("code" = String, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = ProductChange,
    responses((status = 200, body = ProductRecord),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[patch("/v1/products/{code}")]
pub async fn update(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    code: web::Path<String>,
    body: web::Json<ProductChange>,
) -> Result<HttpResponse, ApiError> {
    let (code, body) = (code.into_inner(), body.into_inner());
    let scope = patch_scope(&who, key, &format!("/v1/products/{code}"), &body);
    let actor = actor(&who);
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(200, &catalogue_admin::update(c, &code, &body, &actor, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// A product's audit trail (admin, finance), oldest first: creation, edits,
/// deactivation and reactivation, price versions — who, when, why, before and after.
#[utoipa::path(tag = "catalogue", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Vec<CatalogueEvent>),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/products/{code}/events")]
pub async fn events(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let e = ctx.db(move |c| catalogue_admin::events(c, &code)).await?;
    Ok(HttpResponse::Ok().json(e))
}
