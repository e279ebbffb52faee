//! Rules applied to every request and response at the edge, outside any handler:
//!
//! - the query string is at most [`MAX_QUERY_LENGTH`] bytes (414), parses as
//!   `application/x-www-form-urlencoded` (400 `invalid-query`), and names only the
//!   query parameters the route documents in the OpenAPI document (400
//!   `unknown-query-parameter`); the [`RouteTable`] is built from that document, so
//!   the check and the documentation cannot disagree;
//! - a known path with another method is 405 with `Allow`, an unknown path 404,
//!   both problem+json ([`not_routed`]);
//! - any error response not already problem+json (an actix extractor or payload
//!   error) is rewritten as problem+json ([`problem_for_plain_errors`]);
//! - security headers on every response ([`security_headers`]): `nosniff`,
//!   `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`, and a
//!   Content-Security-Policy (the strict API one, or [`super::ops::DOCS_CSP`] for HTML).

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

use super::problem::ApiError;

/// Longest accepted query string, in bytes (after `?`).
pub const MAX_QUERY_LENGTH: usize = 2048;

/// Content-Security-Policy of non-HTML responses: nothing may load or frame them.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Routes served outside the OpenAPI document, with their one method.
const UNDOCUMENTED_ROUTES: [(&str, &str); 3] = [
    ("/openapi.json", "GET"),
    ("/docs", "GET"),
    ("/metrics", "GET"),
];

/// Methods of every route pattern and the query parameters each method documents.
#[derive(Debug, Default)]
pub struct RouteTable {
    /// pattern → method → documented query parameter names.
    routes: HashMap<String, BTreeMap<&'static str, HashSet<String>>>,
}

impl RouteTable {
    /// Reads the routes from the OpenAPI document (plus the undocumented ones).
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        use utoipa::openapi::path::{Parameter, ParameterIn};
        let query = |ps: &Option<Vec<Parameter>>| -> Vec<String> {
            ps.iter()
                .flatten()
                .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
                .map(|p| p.name.clone())
                .collect()
        };
        let mut routes: HashMap<String, BTreeMap<&'static str, HashSet<String>>> = HashMap::new();
        for (pattern, item) in &doc.paths.paths {
            let shared = query(&item.parameters);
            let ops = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ];
            let entry = routes.entry(pattern.clone()).or_default();
            for (method, op) in ops {
                if let Some(op) = op {
                    let mut names: HashSet<String> = shared.iter().cloned().collect();
                    names.extend(query(&op.parameters));
                    entry.insert(method, names);
                }
            }
        }
        for (pattern, method) in UNDOCUMENTED_ROUTES {
            routes
                .entry(pattern.to_owned())
                .or_default()
                .insert(method, HashSet::new());
        }
        RouteTable { routes }
    }

    /// The methods `pattern` answers, e.g. `["GET", "POST"]`.
    pub fn methods(&self, pattern: &str) -> Option<Vec<&'static str>> {
        self.routes
            .get(pattern)
            .map(|m| m.keys().copied().collect())
    }

    /// The query parameters `method` on `pattern` documents; `None` for an
    /// unknown route (routing then answers 404 or 405).
    pub fn query_params(&self, pattern: &str, method: &str) -> Option<&HashSet<String>> {
        self.routes.get(pattern)?.get(method)
    }
}

fn query_problem(req: &HttpRequest, table: &RouteTable) -> Option<ApiError> {
    let qs = req.query_string();
    if qs.is_empty() {
        return None;
    }
    if qs.len() > MAX_QUERY_LENGTH {
        return Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "query-too-long",
            "Query string too long",
            format!("query strings are limited to {MAX_QUERY_LENGTH} bytes"),
        ));
    }
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_str(qs) {
        Ok(p) => p,
        Err(e) => {
            return Some(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid-query",
                "Invalid query",
                format!("the query string is not form-urlencoded: {e}"),
            ))
        }
    };
    let pattern = req.match_pattern()?;
    let known = table.query_params(&pattern, req.method().as_str())?;
    let mut unknown: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !known.contains(*k))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    unknown.sort_unstable();
    unknown.dedup();
    let mut allowed: Vec<&str> = known.iter().map(String::as_str).collect();
    allowed.sort_unstable();
    Some(ApiError::new(
        StatusCode::BAD_REQUEST,
        "unknown-query-parameter",
        "Unknown query parameter",
        format!(
            "unknown query parameter(s): {}; this endpoint accepts: {}",
            unknown.join(", "),
            if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            }
        ),
    ))
}

/// Middleware refusing oversized, malformed or undocumented query strings.
pub async fn check_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let problem = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|table| query_problem(req.request(), table));
    if let Some(problem) = problem {
        let res = problem.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The default service: 405 with `Allow` for a known path, 404 otherwise.
pub async fn not_routed(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(
        match req
            .match_pattern()
            .and_then(|pattern| table.methods(&pattern))
        {
            Some(methods) if !methods.is_empty() => ApiError::method_not_allowed(&methods),
            _ => ApiError::not_found("route"),
        },
    )
}

/// An `ErrorHandlers` default handler: turns an error response that is not yet
/// problem+json (actix extractor, payload and routing errors) into one, keeping
/// its status. Its slug is derived from the status (`payload-too-large`, …).
pub fn problem_for_plain_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        // Pages (`super::pages`) answer their errors as HTML on purpose.
        .is_some_and(|v| v.starts_with("application/problem+json") || v.starts_with("text/html"));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (slug, title) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "Payload too large"),
        StatusCode::URI_TOO_LONG => ("query-too-long", "Query string too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "Unsupported media type"),
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        s if s.is_server_error() => ("internal-error", "Internal error"),
        _ => ("malformed-request", "Malformed request"),
    };
    let detail = if status.is_server_error() {
        "an unexpected error occurred; it has been logged".to_owned()
    } else {
        status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_owned()
    };
    let problem = ApiError::new(status, slug, title, detail).error_response();
    let (req, old) = res.into_parts();
    let mut new: HttpResponse<BoxBody> = problem;
    // Keep headers the original response set for the client (e.g. Allow).
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

/// Middleware adding the security headers to every response (OWASP REST Security
/// Cheat Sheet, "Security headers").
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A handler's own policy (the pages' stricter one) is kept.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(if is_html {
                super::ops::DOCS_CSP
            } else {
                API_CSP
            }),
        );
    }
    Ok(res)
}
