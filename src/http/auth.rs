//! `POST /v1/auth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).
//! Credentials come in the form body (or JSON), or as HTTP Basic (RFC 6749 §2.3.1).
//!
//! The endpoint is rate limited per caller IP and per presented `client_id` (GCRA,
//! `token_ip_rate_limit_per_minute` / `token_rate_limit_per_minute`), checked before
//! the secret is hashed, so guessing secrets is slow and cheap to refuse. The
//! per-client key is the *presented* id: a flood naming someone else's id delays
//! that client's token requests too (it never locks it out beyond the window).

use actix_web::http::{header, StatusCode};
use actix_web::{post, web, HttpRequest, HttpResponse};
use base64::Engine;
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::services::parties::clients::{self, AccessToken};
use crate::services::AppContext;

use super::extract::{check_limit, peer_ip};
use super::problem::ApiError;

/// Largest token request body accepted (16 KiB); larger bodies get 413.
pub const TOKEN_BODY_LIMIT: usize = 16 * 1024;

/// Limiter entries kept before idle ones are dropped (bounds memory under a flood
/// of made-up client ids).
const LIMITER_KEYS_MAX: usize = 10_000;

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
        "token requests are limited to 16 KiB",
    )
}

/// Reads the body, refusing more than [`TOKEN_BODY_LIMIT`] bytes with 413.
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > TOKEN_BODY_LIMIT) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::malformed(format!("reading the body: {e}")))?;
        if body.len() + chunk.len() > TOKEN_BODY_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The per-client limiter key: the presented id normalised as a UUID, or one shared
/// key for anything that is not one (no client has such an id).
fn client_key(id: &str) -> String {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .unwrap_or_else(|_| "<malformed>".to_owned())
}

/// Token request (form-encoded per RFC 6749, JSON also accepted).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials` (RFC 6749 §4.4); any other is 400
    /// `unsupported-grant-type`.
    #[schema(schema_with = crate::services::request_schema::client_credentials_grant)]
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
        (status = 413, description = "Body over 16 KiB", body = super::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (per IP and per client id); see Retry-After", body = super::problem::ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/v1/auth/token")]
pub async fn token(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    check_limit(
        &ctx.token_ip_limiter,
        &peer_ip(&req),
        "too many token requests from this address; retry after the time in Retry-After",
    )?;
    let body = read_body(&req, payload).await?;
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
    if ctx.token_client_limiter.len() > LIMITER_KEYS_MAX {
        ctx.token_client_limiter.retain_recent();
    }
    check_limit(
        &ctx.token_client_limiter,
        &client_key(&id),
        "too many token requests for this client; retry after the time in Retry-After",
    )?;
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
