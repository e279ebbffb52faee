//! API clients, for admins: list them and revoke one. A revoked client gets no
//! new tokens and its outstanding tokens are refused (401) — at once on this
//! instance, within `revocation_cache_ttl_seconds` on the others
//! ([`crate::auth::revocation`]).

use actix_web::{get, post, web, HttpResponse};

use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::{Page, PageRequest};
use crate::services::parties::clients::{self, ApiClient, Revocation};
use crate::services::AppContext;

use crate::http::extract::{AdminOnly, Caller, IdempotencyKey};
use crate::http::problem::{ApiError, ProblemDetails};
use crate::http::respond;

/// Lists API clients with their status (admin), cursor-paginated. Secrets are
/// never shown.
#[utoipa::path(tag = "auth", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<ApiClient>),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/clients")]
pub async fn list(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    Ok(HttpResponse::Ok().json(ctx.db(move |c| clients::list(c, &q)).await?))
}

/// Revokes an API client (admin; final). Revoking a revoked client answers 200
/// with it unchanged.
#[utoipa::path(tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "Client id"),
        ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = Revocation,
    responses((status = 200, body = ApiClient),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "`cannot-revoke-self`: the caller's own client", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/clients/{id}/revocation")]
pub async fn revoke(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: web::Json<Revocation>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let scope = respond::scope(&who, key, &format!("/v1/clients/{id}/revocation"), &body);
    let by = who.subject.clone();
    let client_id = id.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(200, &clients::revoke(c, &client_id, &body, &by, now)?)
    })
    .await?;
    if let Some(revoked) = r.body.get("id").and_then(|v| v.as_str()) {
        ctx.revoked_clients.insert(revoked.to_owned());
    }
    Ok(respond::stored(r, None))
}
