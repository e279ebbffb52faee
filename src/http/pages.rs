//! Pages a person opens in a browser: the verification page of a certificate
//! number (the QR code's URL, answered as HTML when the browser prefers it; see
//! [`wants_html`]) and the hosted invoice page behind the signed link in every
//! invoice mail (`/i/{invoice_id}?exp=…&sig=…` and its PDF `/i/{invoice_id}/pdf`).
//!
//! Pages are server-rendered from `page-templates/` (minijinja, embedded at
//! compile time; every page extends `base.html`), HTML-escaped automatically, and
//! carry no script: [`PAGES_CSP`] forbids any. They are sized for a 375 px wide
//! phone screen by the base layout's viewport meta and CSS. Errors a person can
//! meet get a page too (404 unknown number, 403 tampered link, 410 expired link,
//! 429), with the status of the equivalent API problem.
//!
//! The hosted invoice routes are not part of the JSON API and are not in the
//! OpenAPI document; the signature is the authorisation.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use include_dir::{include_dir, Dir};
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Deserialize;

use crate::domain::billing::invoice::InvoiceStatus;
use crate::domain::money::Money;
use crate::services::accreditation::register::RegisterEntry;
use crate::services::billing::hosted_invoice::{self, HostedInvoice};
use crate::services::billing::hosted_links::{HostedLinks, LinkError};
use crate::services::credentials::document::{status_presentation, CredentialDocument, StatusTone};
use crate::services::{AppContext, ServiceError};

use super::problem::ApiError;

/// Content-Security-Policy of the pages: inline styles only; no script, frame,
/// form or external resource.
pub const PAGES_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page templates, embedded into the binary.
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/page-templates");

/// Compiled once; a template that does not parse fails the first render and the
/// `every_page_renders` unit test.
static TEMPLATES: LazyLock<Result<Environment<'static>, minijinja::Error>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for file in EMBEDDED.files() {
        let name = file.path().display().to_string();
        let source = file.contents_utf8().ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("page template {name} is not UTF-8"),
            )
        })?;
        env.add_template_owned(name, source.to_owned())?;
    }
    Ok(env)
});

/// Whether the client prefers HTML to JSON (RFC 9110 §12.5.1): the q-value of
/// `text/html` (its most specific matching range) is above that of
/// `application/json`. No `Accept`, `*/*` alone, or a tie answer JSON, the API's
/// default; a browser's `text/html,…,*/*;q=0.8` answers HTML.
pub fn wants_html(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let range = it.next()?.trim().to_ascii_lowercase();
            if range.is_empty() {
                return None;
            }
            let q = it
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            Some((range, q))
        })
        .collect();
    // The q-value of `mime`: from the most specific range that matches it.
    let q_of = |mime: &str| -> f32 {
        let (kind, _) = mime.split_once('/').unwrap_or((mime, ""));
        let best = |pattern: &str| ranges.iter().find(|(r, _)| r == pattern).map(|(_, q)| *q);
        best(mime)
            .or_else(|| best(&format!("{kind}/*")))
            .or_else(|| best("*/*"))
            .unwrap_or(0.0)
    };
    let html = q_of("text/html");
    html > 0.0 && html > q_of("application/json")
}

/// Renders `template` with `ctx` (plus `org`, the issuer's name) as an HTML
/// response with `status`. A render failure is logged and answered 500 with a
/// plain page (templates are tested; this is a build defect).
fn render(status: StatusCode, template: &str, org: &str, ctx: Value) -> HttpResponse {
    let ctx = context! { org => org, ..ctx };
    let body = TEMPLATES
        .as_ref()
        .map_err(|e| minijinja::Error::new(e.kind(), e.to_string()))
        .and_then(|env| env.get_template(template)?.render(ctx));
    match body {
        Ok(body) => html_response(status, body),
        Err(e) => {
            tracing::error!(error = %e, template, "rendering a page failed");
            html_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<!DOCTYPE html><title>Error</title><p>Something went wrong on our side.</p>"
                    .to_owned(),
            )
        }
    }
}

fn html_response(status: StatusCode, body: String) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGES_CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex, nofollow"));
    res.body(body)
}

/// A page saying `title` and `paragraphs`, with `status`.
pub fn message_page(
    status: StatusCode,
    org: &str,
    title: &str,
    paragraphs: &[&str],
) -> HttpResponse {
    render(
        status,
        "message.html",
        org,
        context! { title => title, paragraphs => paragraphs },
    )
}

/// The page of an API error a person met (unknown number, rate limit, …): the
/// same status and `Retry-After`, a plain explanation instead of problem+json.
pub fn error_page(err: &ApiError, org: &str) -> HttpResponse {
    let status = err.status_code();
    let (title, text): (&str, &str) = match status {
        StatusCode::NOT_FOUND => (
            "Not found",
            "We have no record of this number. Check that it was typed exactly as printed, or scan the QR code on the document again.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "Too many requests",
            "Too many checks came from your network in the last minute. Please wait a minute and try again.",
        ),
        s if s.is_server_error() => (
            "Something went wrong",
            "Something went wrong on our side. It has been logged; please try again later.",
        ),
        _ => ("Request refused", "This request could not be answered."),
    };
    let mut res = message_page(status, org, title, &[text]);
    if let Some(v) = err.error_response().headers().get(header::RETRY_AFTER) {
        res.headers_mut().insert(header::RETRY_AFTER, v.clone());
    }
    res
}

/// The verification page of a credential document, answered 200.
pub fn credential_page(doc: &CredentialDocument, checked_on: chrono::NaiveDate) -> HttpResponse {
    let mut res = render(
        StatusCode::OK,
        "credential.html",
        &doc.issuer,
        context! { doc => doc, checked_on => checked_on.to_string() },
    );
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

/// The public register page: one page of `entries`, the `filters` applied (as
/// readable phrases, e.g. "country DE") and the link to the next page, if any.
pub fn register_page(
    org: &str,
    entries: &[RegisterEntry],
    filters: &[String],
    next_href: Option<String>,
    checked_on: chrono::NaiveDate,
) -> HttpResponse {
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            let (status_label, tone) = status_presentation(e.status.as_str());
            context! { status_label => status_label, tone => tone, ..Value::from_serialize(e) }
        })
        .collect();
    let mut res = render(
        StatusCode::OK,
        "register.html",
        org,
        context! { entries => entries, filters => filters, next_href => next_href,
        checked_on => checked_on.to_string() },
    );
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    res
}

/// Query of a hosted link; both are checked by the signature, so anything
/// missing or malformed is a tampered link (403), never a 400.
#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    /// Expiry, Unix seconds.
    pub exp: Option<String>,
    /// base64url HMAC-SHA256.
    pub sig: Option<String>,
}

fn link_error_page(e: LinkError, org: &str) -> HttpResponse {
    match e {
        LinkError::Tampered => message_page(
            StatusCode::FORBIDDEN,
            org,
            "This link is not valid",
            &[
                "The link may have been cut short or changed. Open it again from the invoice email, or ask us for a new one by replying to that email.",
            ],
        ),
        LinkError::Expired => message_page(
            StatusCode::GONE,
            org,
            "This link has expired",
            &[
                "Invoice links stay valid for a limited time. Ask us for a new link by replying to the invoice email; the PDF attached to that email is still valid.",
            ],
        ),
    }
}

fn service_error_page(e: ServiceError, org: &str) -> HttpResponse {
    match e {
        ServiceError::NotFound(_) => message_page(
            StatusCode::NOT_FOUND,
            org,
            "Invoice not found",
            &["This invoice no longer exists. Please contact us by replying to the invoice email."],
        ),
        other => error_page(&ApiError::from(other), org),
    }
}

/// Why a hosted link is not answered with the invoice.
enum Refusal {
    /// Tampered or expired.
    Link(LinkError),
    /// The key could not be loaded, or the invoice not read.
    Service(ServiceError),
}

impl Refusal {
    fn page(self, org: &str) -> HttpResponse {
        match self {
            Refusal::Link(e) => link_error_page(e, org),
            Refusal::Service(e) => service_error_page(e, org),
        }
    }
}

/// Checks the signed link of `GET /i/{id}…`: its expiry and signature.
fn checked(ctx: &AppContext, id: &str, q: &LinkQuery) -> Result<(i64, String), Refusal> {
    let links = HostedLinks::from_settings(&ctx.settings).map_err(Refusal::Service)?;
    let exp = links
        .check(id, q.exp.as_deref(), q.sig.as_deref(), ctx.clock.now())
        .map_err(Refusal::Link)?;
    Ok((exp, q.sig.clone().unwrap_or_default()))
}

/// `GET /i/{invoice_id}?exp&sig`: the hosted invoice page.
pub async fn invoice_page(
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    q: web::Query<LinkQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let org = ctx.settings.seller.legal_name.clone();
    let (exp, sig) = match checked(&ctx, &id, &q) {
        Ok(v) => v,
        Err(refusal) => return refusal.page(&org),
    };
    let hosted = {
        let id = id.clone();
        ctx.db(move |c| hosted_invoice::page(c, &id, exp, &sig))
            .await
    };
    match hosted {
        Ok(h) => invoice_html(&h, exp, &org),
        Err(e) => service_error_page(e, &org),
    }
}

fn invoice_html(h: &HostedInvoice, exp: i64, org: &str) -> HttpResponse {
    let inv = &h.invoice;
    let (status_label, tone) = match inv.status {
        InvoiceStatus::Open => ("Open, awaiting payment".to_owned(), StatusTone::Warning),
        InvoiceStatus::Paid => ("Paid".to_owned(), StatusTone::Good),
        other => status_presentation(other.as_str()),
    };
    let money = |m: Money| m.to_string();
    let lines: Vec<Value> = inv
        .lines
        .iter()
        .map(|l| {
            let period = match (l.period_start, l.period_end) {
                (Some(s), Some(e)) => Some(format!("{s} to {e}")),
                _ => None,
            };
            context! { description => l.description, quantity => l.quantity, total => money(l.total), period => period }
        })
        .collect();
    let expires_on = chrono::DateTime::from_timestamp(exp, 0)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_default();
    render(
        StatusCode::OK,
        "invoice.html",
        org,
        context! {
            hosted => h,
            inv => inv,
            status_label => status_label,
            tone => tone,
            amount_due => money(inv.amount_due),
            subtotal => money(inv.subtotal),
            tax => money(inv.tax),
            total => money(inv.total),
            amount_paid => money(inv.amount_paid),
            paid_at => inv.paid_at.map(|t| t.date_naive().to_string()),
            lines => lines,
            expires_on => expires_on,
        },
    )
}

/// `GET /i/{invoice_id}/pdf?exp&sig`: the archived invoice PDF.
pub async fn invoice_pdf(
    ctx: web::Data<AppContext>,
    id: web::Path<String>,
    q: web::Query<LinkQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let org = ctx.settings.seller.legal_name.clone();
    if let Err(refusal) = checked(&ctx, &id, &q) {
        return refusal.page(&org);
    }
    match ctx.db(move |c| hosted_invoice::pdf(c, &id)).await {
        Ok((number, bytes)) => HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{number}.pdf\""),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(bytes),
        Err(e) => service_error_page(e, &org),
    }
}

/// Registers the page routes (outside the OpenAPI document).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/i/{id}", web::get().to(invoice_page))
        .route("/i/{id}/pdf", web::get().to(invoice_pdf));
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn accept(v: &str) -> bool {
        wants_html(
            &TestRequest::default()
                .insert_header((header::ACCEPT, v))
                .to_http_request(),
        )
    }

    #[test]
    fn html_only_when_preferred_over_json() {
        assert!(!wants_html(&TestRequest::default().to_http_request()));
        assert!(!accept("*/*"));
        assert!(!accept("application/json"));
        assert!(!accept("application/json, text/html;q=0.9"));
        assert!(!accept("text/html;q=0.5, application/*"));
        assert!(!accept("text/html;q=0"));
        assert!(accept("text/html"));
        assert!(accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
        ));
        assert!(accept("text/*, application/json;q=0.5"));
    }

    #[test]
    fn every_page_renders_and_escapes() {
        let doc = CredentialDocument::new(
            crate::services::credentials::document::DocumentKind::Certification,
            "PCEP-1".into(),
            "valid".into(),
            None,
            "<script>alert(1)</script>".into(),
            "PCEP".into(),
            chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            None,
            "Foundation".into(),
        );
        let res = credential_page(&doc, chrono::NaiveDate::from_ymd_opt(2026, 1, 3).unwrap());
        assert_eq!(res.status(), 200);
        let body = actix_web::body::to_bytes(res.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .unwrap()
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{body}"
        );
        assert!(!body.contains("<script>"));
        for status in [StatusCode::FORBIDDEN, StatusCode::GONE] {
            let e = if status == StatusCode::GONE {
                LinkError::Expired
            } else {
                LinkError::Tampered
            };
            assert_eq!(link_error_page(e, "Org").status(), status);
        }
    }
}
