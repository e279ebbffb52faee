//! The public register of accredited providers (`GET /v1/register/providers`):
//! no authentication, rate limited like `GET /v1/verify/{number}`, JSON by
//! default and an HTML page when the client prefers `text/html` (a browser).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::domain::accreditation::lifecycle::AccreditationKind;
use crate::services::accreditation::register::{self, RegisterEntry, RegisterFilter};
use crate::services::pagination::{Page, PageRequest};
use crate::services::AppContext;

use super::extract::rate_limit;
use super::pages;
use super::problem::{ApiError, ProblemDetails};

/// Filters and page of `GET /v1/register/providers`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegisterQuery {
    /// Country of the provider's address, ISO 3166-1 alpha-2, e.g. `DE` (lower
    /// case is accepted too).
    #[param(pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// `trainer` (Authorized Trainer) or `education_center` (Authorized Education Center).
    pub kind: Option<AccreditationKind>,
    /// Filters on accredited training materials: only providers with an
    /// accredited (approved or re-accreditation due) material for this Python
    /// version, e.g. `3.12`.
    #[param(pattern = "^[0-9A-Za-z.]{1,20}$")]
    pub python_version: Option<String>,
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor` (see the other lists).
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

impl RegisterQuery {
    /// The filters as readable phrases for the page.
    fn phrases(&self, f: &RegisterFilter) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(c) = &f.country {
            out.push(format!("country {c}"));
        }
        if let Some(k) = f.kind {
            out.push(register::kind_label(k).to_owned() + "s");
        }
        if let Some(v) = &self.python_version {
            out.push(format!("accredited materials for Python {v}"));
        }
        out
    }

    /// Link to the page after `cursor`, keeping the filters and limit.
    fn next_href(&self, cursor: &str) -> Option<String> {
        let pairs: Vec<(&str, String)> = [
            ("country", self.country.clone()),
            ("kind", self.kind.map(|k| k.as_str().to_owned())),
            ("python_version", self.python_version.clone()),
            ("limit", self.limit.map(|l| l.to_string())),
            ("cursor", Some(cursor.to_owned())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs)
            .ok()
            .map(|q| format!("/v1/register/providers?{q}"))
    }
}

/// The public register: Authorized Trainers and Education Centers whose
/// accreditation is in force (`active` or `renewal_due`; suspended, lapsed,
/// non-compliant and revoked ones are absent), cursor-paginated in order of
/// accreditation. Each entry carries the provider's name, city and country (never
/// its email, tax id or street), the kind, the accreditation number (verifiable at
/// `GET /v1/verify/{number}`), its validity and its accredited training materials.
/// A browser preferring `text/html` gets the same page as HTML.
#[utoipa::path(tag = "accreditations", params(RegisterQuery),
    responses((status = 200, description = "A page of the register; `text/html` when the client prefers it (a browser)",
            content((Page<RegisterEntry> = "application/json"), (String = "text/html"))),
        (status = 422, description = "Bad country, python_version, limit or cursor", content((ProblemDetails = "application/problem+json"), (String = "text/html"))),
        (status = 429, description = "Rate limited", content((ProblemDetails = "application/problem+json"), (String = "text/html")))))]
#[get("/v1/register/providers")]
pub async fn providers(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<RegisterQuery>,
) -> Result<HttpResponse, ApiError> {
    let html = pages::wants_html(&req);
    let org = &ctx.settings.seller.legal_name;
    let q = q.into_inner();
    let filter = RegisterFilter {
        country: q.country.clone(),
        kind: q.kind,
        python_version: q.python_version.clone(),
    };
    let found = match rate_limit(&req) {
        Ok(()) => match filter.parse() {
            Ok(filter) => {
                let page = PageRequest {
                    limit: q.limit,
                    cursor: q.cursor.clone(),
                };
                let f = filter.clone();
                ctx.db(move |c| register::list(c, &f, &page))
                    .await
                    .map(|p| (p, filter))
                    .map_err(ApiError::from)
            }
            Err(e) => Err(ApiError::from(e)),
        },
        Err(e) => Err(e),
    };
    match (found, html) {
        (Ok((p, filter)), true) => Ok(pages::register_page(
            org,
            &p.data,
            &q.phrases(&filter),
            p.next_cursor.as_deref().and_then(|c| q.next_href(c)),
            ctx.clock.today(),
        )),
        (Ok((p, _)), false) => Ok(HttpResponse::Ok()
            .insert_header((actix_web::http::header::VARY, "Accept"))
            .json(p)),
        (Err(e), true) => Ok(pages::error_page(&e, org)),
        (Err(e), false) => Err(e),
    }
}
