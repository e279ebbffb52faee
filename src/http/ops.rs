//! Operational endpoints: liveness, readiness, the JWK set. (`/metrics` is served by
//! the Prometheus middleware, `/openapi.json` and `/docs` by [`super::openapi`].)

use actix_web::{get, web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::services::{AppContext, ServiceError};

use super::problem::ApiError;

/// Liveness: the process answers.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Alive", body = serde_json::Value)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Readiness: the database answers a query.
#[utoipa::path(tag = "ops", responses(
    (status = 200, description = "Ready", body = serde_json::Value),
    (status = 503, description = "Database unavailable", body = super::problem::ProblemDetails, content_type = "application/problem+json"),
))]
#[get("/readyz")]
pub async fn readyz(ctx: web::Data<AppContext>) -> Result<HttpResponse, ApiError> {
    let result = ctx
        .db(|c| {
            c.batch_execute("SELECT 1")?;
            Ok::<_, ServiceError>(())
        })
        .await;
    match result {
        Ok(()) => {
            Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready", "database": "ok"})))
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "not-ready",
                "Not ready",
                "the database is not reachable",
            ))
        }
    }
}

/// The public keys that verify access tokens (RFC 7517 JWK set).
#[utoipa::path(tag = "auth", responses((status = 200, description = "JWK set", body = serde_json::Value)))]
#[get("/.well-known/jwks.json")]
pub async fn jwks(ctx: web::Data<AppContext>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(ctx.keys.jwks())
}
