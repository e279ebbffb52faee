//! Operational endpoints: liveness, readiness, the JWK set, Prometheus metrics
//! (`metrics` role only; or unauthenticated on the optional `metrics_bind` address),
//! and the ReDoc page. (`/openapi.json` is the document of [`super::openapi`].)

use actix_web::{get, web, HttpResponse};
use prometheus::{Encoder, TextEncoder};

use crate::services::{AppContext, ServiceError};

use super::extract::{Caller, MetricsReaders};
use super::problem::ApiError;

/// The Prometheus registry the request metrics are recorded in.
#[derive(Clone)]
pub struct MetricsRegistry(pub prometheus::Registry);

impl MetricsRegistry {
    /// The registry in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> Result<HttpResponse, ApiError> {
        let mut buffer = Vec::new();
        let encoder = TextEncoder::new();
        encoder
            .encode(&self.0.gather(), &mut buffer)
            .map_err(|e| ApiError::from(ServiceError::Internal(anyhow::Error::new(e))))?;
        Ok(HttpResponse::Ok()
            .content_type(encoder.format_type())
            .insert_header(("Cache-Control", "no-store"))
            .body(buffer))
    }
}

/// Request metrics for Prometheus; needs a token of the `metrics` role.
pub async fn metrics(
    _who: Caller<MetricsReaders>,
    registry: web::Data<MetricsRegistry>,
) -> Result<HttpResponse, ApiError> {
    registry.render()
}

/// Request metrics without a token: only registered on the separate `metrics_bind`
/// listener, which is meant to be reachable from the monitoring network alone.
pub async fn metrics_open(registry: web::Data<MetricsRegistry>) -> Result<HttpResponse, ApiError> {
    registry.render()
}

/// The ReDoc page. It loads the spec from `/openapi.json` through the `<redoc>`
/// element, so the page has no inline script and its Content-Security-Policy
/// ([`DOCS_CSP`]) can forbid inline scripts.
pub const DOCS_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <title>Accredit API — ReDoc</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"></script>
  </body>
</html>
"#;

/// The Content-Security-Policy of HTML pages (ReDoc): its script from the ReDoc CDN
/// only, the spec from this origin, inline styles (ReDoc renders them), a blob
/// worker (its search), and no framing.
pub const DOCS_CSP: &str = "default-src 'none'; script-src https://cdn.redoc.ly; \
style-src 'unsafe-inline'; img-src 'self' data: https://cdn.redoc.ly; font-src data:; \
connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The API reference (ReDoc) over `/openapi.json`.
pub async fn docs() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(DOCS_HTML)
}

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
    let result = ctx.ready().await;
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
