//! `POST /v1/auth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
//! Credentials come in the form body (or JSON), or as HTTP Basic (RFC 6749 §2.3.1).

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::services::clients::{self, AccessToken};
use crate::services::AppContext;

use super::problem::ApiError;

/// Token request (form-encoded per RFC 6749, JSON also accepted).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: String,
    /// Client id (or use HTTP Basic).
    pub client_id: Option<String>,
    /// Client secret (or use HTTP Basic).
    pub client_secret: Option<String>,
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Exchanges client credentials for a bearer access token (≤ 15 minutes).
#[utoipa::path(
    tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Token issued", body = AccessToken),
        (status = 400, description = "Unsupported grant type or malformed body", body = super::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Invalid client", body = super::problem::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/token")]
pub async fn token(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed: TokenRequest = if is_json {
        serde_json::from_slice(&body).map_err(|e| ApiError::malformed(e.to_string()))?
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::malformed(e.to_string()))?
    };
    if parsed.grant_type != "client_credentials" {
        return Err(ApiError::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "unsupported-grant-type",
            "Unsupported grant type",
            "only grant_type=client_credentials is supported (RFC 6749 §4.4)",
        ));
    }
    let (id, secret) = match (
        parsed.client_id,
        parsed.client_secret,
        basic_credentials(&req),
    ) {
        (Some(id), Some(secret), _) => (id, secret),
        (_, _, Some(basic)) => basic,
        _ => return Err(ApiError::from(crate::services::ServiceError::InvalidClient)),
    };
    let principal = ctx
        .db(move |c| clients::authenticate(c, &id, &secret))
        .await?;
    // Token lifetimes are checked against real time by every verifier, so they are
    // issued on the wall clock, not the injected business clock.
    let token = clients::issue_token(
        &ctx.keys,
        &principal,
        chrono::Utc::now(),
        ctx.settings.jwt_ttl_seconds,
    )?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(token))
}
