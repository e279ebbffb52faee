//! RFC 9457 problem details: the one error type of the HTTP edge.
//!
//! Every error response is `application/problem+json` with a stable `type` URI per
//! kind of problem (`https://accredit.example/problems/<slug>`), a short `title`,
//! the HTTP `status`, a human `detail`, and for validation problems an `errors` list
//! of `{field, detail}`. Extractor failures (bad JSON, unknown fields, oversized
//! bodies, bad paths and queries) are routed here too. A 500 says nothing about its
//! cause to the client; the cause is logged with the request id.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::services::{FieldError, ServiceError};

/// Base of every problem `type` URI.
pub const PROBLEM_BASE: &str = "https://accredit.example/problems/";

/// The JSON body of an error (RFC 9457 §3).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// URI identifying the problem type (stable).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Invalid fields, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// An HTTP error rendered as problem+json.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
    errors: Option<Vec<FieldError>>,
    /// Response headers some problems carry (boxed: most errors have none, and
    /// `Result<_, ApiError>` stays small).
    headers: Option<Box<ProblemHeaders>>,
}

/// Headers that belong to a problem response.
#[derive(Debug, Clone, Default)]
struct ProblemHeaders {
    /// `Retry-After` seconds (429, 503).
    retry_after: Option<u64>,
    /// `Allow` (405).
    allow: Option<String>,
}

impl ApiError {
    /// A problem of kind `slug` with `status`, `title` and `detail`.
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            slug,
            title,
            detail: detail.into(),
            errors: None,
            headers: None,
        }
    }

    /// Adds `Retry-After: seconds` (RFC 9110 §10.2.3), for 429 and 503.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.headers
            .get_or_insert_with(Default::default)
            .retry_after = Some(seconds);
        self
    }

    /// 405 for a known path with another method, with `Allow: methods`
    /// (RFC 9110 §15.5.6 requires the header).
    pub fn method_not_allowed(methods: &[&str]) -> Self {
        let allow = methods.join(", ");
        ApiError {
            headers: Some(Box::new(ProblemHeaders {
                retry_after: None,
                allow: Some(allow.clone()),
            })),
            ..ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                format!("this resource allows {allow}"),
            )
        }
    }

    /// 400 malformed request (bad JSON syntax, wrong types, missing fields).
    pub fn malformed(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            detail,
        )
    }

    /// 401: no, bad or expired bearer token.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    /// 403: authenticated, but the role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    /// 404 for an entity (also for objects outside the caller's scope).
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("{what} not found"),
        )
    }

    /// The problem's `type` URI.
    pub fn type_uri(&self) -> String {
        format!("{PROBLEM_BASE}{}", self.slug)
    }

    /// The body.
    pub fn body(&self) -> ProblemDetails {
        ProblemDetails {
            problem_type: self.type_uri(),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.slug, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        let extra = self.headers.as_deref();
        if let Some(seconds) = extra.and_then(|h| h.retry_after) {
            res.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(allow) = extra.and_then(|h| h.allow.as_ref()) {
            if let Ok(v) = HeaderValue::from_str(allow) {
                res.insert_header((header::ALLOW, v));
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"accredit\""),
            ));
        }
        res.body(serde_json::to_string(&self.body()).unwrap_or_default())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use StatusCode as S;
        match e {
            ServiceError::NotFound(what) => ApiError::not_found(what),
            ServiceError::Validation(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                ApiError {
                    errors: Some(errors),
                    ..ApiError::new(
                        S::UNPROCESSABLE_ENTITY,
                        "validation-error",
                        "Invalid request",
                        detail,
                    )
                }
            }
            ServiceError::Refused { kind, reasons } => {
                let detail = reasons
                    .iter()
                    .map(|e| e.detail.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                ApiError {
                    errors: Some(reasons),
                    ..ApiError::new(S::UNPROCESSABLE_ENTITY, kind, "Not allowed", detail)
                }
            }
            ServiceError::UnknownProduct(code) => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "unknown-product",
                "Unknown product",
                format!("`{code}` is not a product that can be bought here; see GET /v1/products"),
            ),
            ServiceError::Conflict { kind, detail } => {
                ApiError::new(S::CONFLICT, kind, "Conflict", detail)
            }
            ServiceError::IdempotencyKeyReused => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                "this Idempotency-Key was already used with a different request; use a new key",
            ),
            ServiceError::IdempotencyInProgress => ApiError::new(
                S::CONFLICT,
                "idempotency-request-in-progress",
                "Request in progress",
                "a request with this Idempotency-Key is still being processed; retry later",
            ),
            ServiceError::InvalidClient => ApiError::new(
                S::UNAUTHORIZED,
                "invalid-client",
                "Invalid client",
                "client authentication failed (RFC 6749 §5.2 invalid_client)",
            ),
            ServiceError::PaymentProcessor(msg) => {
                tracing::error!(error = %msg, "payment processor error");
                ApiError::new(
                    S::BAD_GATEWAY,
                    "payment-processor-error",
                    "Payment processor error",
                    "the payment processor could not be reached or refused the request; retry with the same Idempotency-Key",
                )
            }
            ServiceError::Internal(err) => {
                tracing::error!(error = ?err, "internal error");
                ApiError::new(
                    S::INTERNAL_SERVER_ERROR,
                    "internal-error",
                    "Internal error",
                    "an unexpected error occurred; it has been logged",
                )
            }
        }
    }
}

/// Maps JSON body extractor errors: 413 for oversized bodies, 415 for a wrong
/// content type, 400 `unknown-field` and `malformed-json`/`malformed-request` otherwise.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let api = match &err {
        J::OverflowKnownLength { .. } | J::Overflow { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            "JSON bodies are limited to 1 MiB",
        ),
        J::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as application/json",
        ),
        J::Deserialize(de) => {
            let msg = de.to_string();
            if msg.contains("unknown field") {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown-field",
                    "Unknown field",
                    msg,
                )
            } else if de.is_syntax() || de.is_eof() {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-json",
                    "Malformed JSON",
                    msg,
                )
            } else {
                ApiError::malformed(msg)
            }
        }
        other => ApiError::malformed(other.to_string()),
    };
    api.into()
}

/// Maps query-string extractor errors to 400 `invalid-query`.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-query",
        "Invalid query",
        err.to_string(),
    )
    .into()
}

/// Maps path extractor errors (e.g. a malformed id) to 404: no such object.
pub fn path_error(
    _err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::not_found("resource").into()
}

/// Maps form body errors (token endpoint) to 400.
pub fn form_error(
    err: actix_web::error::UrlencodedError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError as U;
    match err {
        U::Overflow { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            "form bodies are limited to 16 KiB",
        ),
        other => ApiError::malformed(other.to_string()),
    }
    .into()
}
