//! The product catalogue.

use actix_web::{get, post, web, HttpResponse};

use crate::services::billing::catalogue::{self, NewPrice, PriceVersion, Product};
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::{Page, PageRequest};
use crate::services::AppContext;

use crate::http::extract::{AdminOnly, AnyRole, Caller, IdempotencyKey};
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
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &catalogue::add_price(c, &code, body.clone(), now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}
