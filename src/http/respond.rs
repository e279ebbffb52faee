//! Small helpers shared by handlers.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use crate::auth::Principal;
use crate::services::idempotency::{IdempotencyScope, StoredResponse};

use super::extract::IdempotencyKey;

/// Renders a (possibly replayed) stored response, with `Location: {prefix}/{id}`
/// when the body has an `id`.
pub fn stored(r: StoredResponse, location_prefix: Option<&str>) -> HttpResponse {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    if let (Some(prefix), Some(id)) = (location_prefix, r.body.get("id").and_then(|v| v.as_str())) {
        res.insert_header(("Location", format!("{prefix}/{id}")));
    }
    res.json(r.body)
}

/// The idempotency scope of a request by `who` with `key` to `path` with `body`.
pub fn scope<T: serde::Serialize>(
    who: &Principal,
    key: IdempotencyKey,
    path: &str,
    body: &T,
) -> IdempotencyScope {
    let value = serde_json::to_value(body).unwrap_or(serde_json::Value::Null);
    IdempotencyScope::new(who.idempotency_scope(), key.0, "POST", path, &value)
}

/// A stored response body from any serialisable value.
pub fn created<T: serde::Serialize>(
    status: u16,
    body: &T,
) -> Result<StoredResponse, crate::services::ServiceError> {
    Ok(StoredResponse {
        status,
        body: serde_json::to_value(body).map_err(anyhow::Error::new)?,
    })
}
