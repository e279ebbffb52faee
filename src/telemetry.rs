//! Structured logging with `tracing`. Every request runs in a span carrying its
//! `request_id` (tracing-actix-web), so every line logged during a request has it.
//! Format: JSON when `ACCREDIT_LOG_FORMAT=json`, human-readable otherwise; level from
//! `RUST_LOG` (default `info`). Secrets, card data and mail bodies are never logged;
//! path segments that are secrets (voucher codes) are redacted from the logged
//! request target ([`RedactingRootSpan`]).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::HttpMessage;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls are no-ops (tests spawn many apps).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("ACCREDIT_LOG_FORMAT").is_ok_and(|v| v == "json");
    let result = if json {
        fmt()
            .with_env_filter(filter)
            .json()
            .with_current_span(true)
            .try_init()
    } else {
        fmt().with_env_filter(filter).try_init()
    };
    // Already installed (e.g. a second app in the same test process): keep the first.
    let _ = result;
}

/// Route parameters whose values are bearer secrets: whoever knows a voucher code
/// can redeem it, so it must not reach logs or metrics.
pub const SECRET_PATH_PARAMS: [&str; 1] = ["code"];

/// Placeholder written instead of a secret path segment.
pub const REDACTED: &str = "[redacted]";

/// The request path with secret segments replaced by [`REDACTED`], given the
/// matched route `pattern` (e.g. `/v1/vouchers/{code}/redemptions`). Routes whose
/// pattern names no secret keep their path; the query string is never logged (it
/// may carry anything); an unmatched path is logged as its first segment only, since
/// it may be a mistyped secret route.
pub fn redacted_target(pattern: Option<&str>, path: &str) -> String {
    let Some(pattern) = pattern else {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        return if path.trim_start_matches('/').contains('/') {
            format!("/{first}/{REDACTED}")
        } else {
            path.to_owned()
        };
    };
    if !SECRET_PATH_PARAMS
        .iter()
        .any(|p| pattern.contains(&format!("{{{p}}}")))
    {
        return path.to_owned();
    }
    let pattern_segments: Vec<&str> = pattern.split('/').collect();
    path.split('/')
        .enumerate()
        .map(|(i, seg)| match pattern_segments.get(i) {
            Some(p)
                if SECRET_PATH_PARAMS
                    .iter()
                    .any(|name| *p == format!("{{{name}}}")) =>
            {
                REDACTED
            }
            _ => seg,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// tracing-actix-web's root span with the same fields as its default, but with
/// `http.target` redacted by [`redacted_target`].
pub struct RedactingRootSpan;

impl RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let pattern = request.match_pattern();
        let route = pattern.clone().unwrap_or_else(|| "default".to_owned());
        let target = redacted_target(pattern.as_deref(), request.path());
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let client_ip = request
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.flavor = ?request.version(),
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.target = %target,
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{} {}", request.method(), route),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voucher_codes_are_redacted_and_ids_kept() {
        assert_eq!(
            redacted_target(
                Some("/v1/vouchers/{code}/redemptions"),
                "/v1/vouchers/PCEP-SECRET-123/redemptions"
            ),
            "/v1/vouchers/[redacted]/redemptions"
        );
        let id = "/v1/providers/0190e0c2-0000-7000-8000-000000000000";
        assert_eq!(redacted_target(Some("/v1/providers/{id}"), id), id);
        assert_eq!(
            redacted_target(None, "/v1/vouchers/PCEP-SECRET-123"),
            "/v1/[redacted]"
        );
        assert_eq!(redacted_target(None, "/favicon.ico"), "/favicon.ico");
    }

    /// The span actually written to the log carries the redacted target.
    #[actix_web::test]
    async fn the_logged_root_span_has_no_voucher_code() {
        use actix_web::{test, web, App, HttpResponse};
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = fmt()
            .with_writer(move || writer.clone())
            .with_span_events(fmt::format::FmtSpan::CLOSE)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(tracing_actix_web::TracingLogger::<RedactingRootSpan>::new())
                .route(
                    "/v1/vouchers/{code}/redemptions",
                    web::post().to(HttpResponse::Created),
                ),
        )
        .await;
        let req = test::TestRequest::post()
            .uri("/v1/vouchers/SECRET-VOUCHER-42/redemptions")
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), 201);
        drop(res);
        let logged = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(
            logged.contains("/v1/vouchers/[redacted]/redemptions"),
            "{logged}"
        );
        assert!(!logged.contains("SECRET-VOUCHER-42"), "{logged}");
    }
}
