//! `POST /v1/webhooks/stripe`: Stripe event delivery.
//!
//! The raw body is verified against `Stripe-Signature` (HMAC-SHA256, any `v1` value,
//! any configured secret, 300 s tolerance — Stripe docs, "Check the webhook
//! signatures") before it is parsed. Bad or stale signatures answer 400 and change
//! nothing; duplicates and unknown event types answer 200. A succeeded payment its
//! invoice cannot take (already paid, more than due) is recorded as customer
//! credit and also answers 200: business rules never make Stripe redeliver.

use actix_web::{post, web, HttpRequest, HttpResponse};

use crate::integrations::stripe::{parse_event, verify_signature};
use crate::services::billing::stripe_payments::WebhookOutcome;
use crate::services::fulfilment;
use crate::services::AppContext;

use crate::http::problem::ApiError;

/// Signature tolerance in seconds (Stripe's default).
pub const TOLERANCE_SECS: i64 = 300;

/// Receives a Stripe event.
#[utoipa::path(tag = "webhooks",
    request_body(content = serde_json::Value, description = "A Stripe Event object"),
    params(("Stripe-Signature" = String, Header)),
    responses(
        (status = 200, description = "Accepted (including duplicates and ignored types)", body = serde_json::Value),
        (status = 400, description = "Missing, bad or stale signature; malformed event", body = crate::http::problem::ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "Stripe is not configured", body = crate::http::problem::ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/webhooks/stripe")]
pub async fn stripe(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let bad = |detail: String| {
        ApiError::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "invalid-webhook",
            "Invalid webhook",
            detail,
        )
    };
    let header = req
        .headers()
        .get("Stripe-Signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| bad("missing Stripe-Signature header".into()))?;
    // A request without a signature is malformed whatever the configuration (400
    // above); a signed one reaches a configured endpoint or none (404).
    let secrets = ctx.settings.stripe_webhook_secrets();
    if ctx.stripe.is_none() || secrets.is_empty() {
        return Err(ApiError::not_found("webhook endpoint"));
    }
    let secret_refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    // Signature freshness is about transport time, so it uses the wall clock, not
    // the injected business clock.
    verify_signature(
        &body,
        header,
        &secret_refs,
        chrono::Utc::now().timestamp(),
        TOLERANCE_SECS,
    )
    .map_err(|e| bad(e.to_string()))?;
    let event = parse_event(&body).map_err(|e| bad(e.to_string()))?;
    let payload = String::from_utf8_lossy(&body).into_owned();
    let (settings, now) = (ctx.settings.clone(), ctx.clock.now());
    let ev = event.clone();
    let outcome = ctx
        .db(move |c| fulfilment::handle_stripe_event(c, &settings, &ev, &payload, now))
        .await?;
    tracing::info!(event_id = %event.id, event_type = %event.event_type, ?outcome, "stripe webhook");
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "received": true,
        "duplicate": outcome == WebhookOutcome::Duplicate,
    })))
}
