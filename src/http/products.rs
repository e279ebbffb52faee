//! The product catalogue.

use actix_web::{get, post, web, HttpResponse};

use crate::services::catalogue::{self, NewPrice, PriceVersion, Product};
use crate::services::idempotency::{self, keep_all};
use crate::services::AppContext;

use super::extract::{AdminOnly, AnyRole, Caller, IdempotencyKey};
use super::problem::{ApiError, ProblemDetails};
use super::respond;

/// The catalogue with prices in force (any authenticated caller).
#[utoipa::path(tag = "catalogue", security(("bearer" = [])), responses((status = 200, body = Vec<Product>)))]
#[get("/v1/products")]
pub async fn list(
    ctx: web::Data<AppContext>,
    _who: Caller<AnyRole>,
) -> Result<HttpResponse, ApiError> {
    let now = ctx.clock.now();
    let products = ctx.db(move |c| catalogue::list(c, now)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": products })))
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
