//! Providers (ATs and AECs) and their API clients.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::ids::ProviderId;
use crate::domain::role::Role;
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::{Page, PageRequest};
use crate::services::parties::clients::{self, ClientCredentials};
use crate::services::parties::providers::{self, NewProvider, Provider};
use crate::services::AppContext;

use crate::http::extract::{AdminOnly, Caller, IdempotencyKey, MoneyStaff, Readers};
use crate::http::problem::{ApiError, ProblemDetails};
use crate::http::respond;

/// Registers a provider (admin).
#[utoipa::path(tag = "providers", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewProvider,
    responses(
        (status = 201, description = "Created", body = Provider, headers(("Location" = String))),
        (status = 422, description = "Invalid fields", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/providers")]
pub async fn create(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    body: web::Json<NewProvider>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/providers", &body);
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &providers::create(c, body.clone(), now)?)
    })
    .await?;
    Ok(respond::stored(r, Some("/v1/providers")))
}

/// One provider (staff; a provider sees only itself).
#[utoipa::path(tag = "providers", security(("bearer" = [])), params(("id" = ProviderId, Path)),
    responses((status = 200, body = Provider), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/providers/{id}")]
pub async fn get(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    id: web::Path<ProviderId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.provider_scope());
    let p = ctx
        .db(move |c| Provider::from_row(providers::find_row(c, id, scope)?))
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Lists providers (admin, finance), cursor-paginated.
#[utoipa::path(tag = "providers", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<Provider>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/providers")]
pub async fn list(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let page = ctx.db(move |c| providers::list(c, &q)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `POST /v1/providers/{id}/clients` body.
#[derive(Debug, Clone, serde::Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// A label for the credentials, e.g. "booking system".
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

/// Creates provider-role API credentials (admin). The secret is in this response
/// only; a replay of the same request returns the client id without the secret.
#[utoipa::path(tag = "providers", security(("bearer" = [])),
    params(("id" = ProviderId, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewClient,
    responses((status = 201, body = ClientCredentials), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/providers/{id}/clients")]
pub async fn create_client(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<ProviderId>,
    body: web::Json<NewClient>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let scope = respond::scope(&who, key, &format!("/v1/providers/{id}/clients"), &body);
    let r = idempotency::run(&ctx, scope, without_secret, move |c, now| {
        respond::created(
            201,
            &clients::create(
                c,
                Role::Provider,
                clients::ClientOwner::Provider(id),
                &body.name,
                now,
            )?,
        )
    })
    .await?;
    Ok(respond::stored(r, None))
}

pub(crate) fn without_secret(body: &serde_json::Value) -> serde_json::Value {
    let mut b = body.clone();
    if let Some(o) = b.as_object_mut() {
        o.insert("client_secret".into(), serde_json::Value::Null);
    }
    b
}
