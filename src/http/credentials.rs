//! Certifications: bootstrap grants, listings, certificate PDFs, suspension and
//! revocation, the public verification endpoint, and the credential catalogue as
//! admin-edited data.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::domain::ids::{CandidateId, CertificationId};
use crate::services::credentials::certifications::{
    self, Certification, NewBootstrapCertification, StatusChange,
};
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::{Page, PageRequest};
use crate::services::AppContext;

use crate::services::billing::catalogue_events::CatalogueEvent;
use crate::services::credentials::catalogue_admin::{
    self, CredentialChange, CredentialRecord, NewCredential,
};
use crate::services::credentials::document::{self, CredentialDocument, VerifiedDocument};

use super::billing::products;
use super::extract::{rate_limit, AdminOnly, Caller, CandidateReaders, IdempotencyKey, MoneyStaff};
use super::problem::{ApiError, ProblemDetails};
use super::{pages, respond};

/// Grants a certification after a formal review (admin): no exam, no fee.
#[utoipa::path(tag = "certifications", security(("bearer" = [])), params(("Idempotency-Key" = String, Header)), request_body = NewBootstrapCertification,
    responses((status = 201, body = Certification), (status = 409, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/certifications")]
pub async fn bootstrap(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    body: web::Json<NewBootstrapCertification>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/certifications", &body);
    let settings = ctx.settings.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &certifications::bootstrap(c, &settings, &body, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Filters and page of `GET /v1/certifications`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CertificationFilter {
    /// Staff only: one candidate's certifications.
    pub candidate_id: Option<CandidateId>,
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`: the key of the last item seen (any value
    /// of this form is a position; see `PageRequest`).
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

/// The caller's certifications (candidates), or any (staff, filter by candidate),
/// cursor-paginated in award order; expired and revoked ones included.
#[utoipa::path(tag = "certifications", security(("bearer" = [])), params(CertificationFilter),
    responses((status = 200, body = Page<Certification>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/certifications")]
pub async fn list(
    ctx: web::Data<AppContext>,
    who: Caller<CandidateReaders>,
    q: web::Query<CertificationFilter>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let (scope, filter, today) = (who.scope(), q.candidate_id, ctx.clock.today());
    let page = PageRequest {
        limit: q.limit,
        cursor: q.cursor,
    };
    let data = ctx
        .db(move |c| certifications::list(c, scope, filter, &page, today))
        .await?;
    Ok(HttpResponse::Ok().json(data))
}

/// The certificate PDF as issued.
#[utoipa::path(tag = "certifications", security(("bearer" = [])), params(("id" = CertificationId, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/certifications/{id}/certificate")]
pub async fn certificate(
    ctx: web::Data<AppContext>,
    who: Caller<CandidateReaders>,
    id: web::Path<CertificationId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.scope());
    let (number, pdf) = ctx
        .db(move |c| certifications::certificate_pdf(c, id, scope))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"certificate-{number}.pdf\""),
        ))
        .body(pdf))
}

async fn change(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: CertificationId,
    body: StatusChange,
    revocation: bool,
) -> Result<HttpResponse, ApiError> {
    let path = format!(
        "/v1/certifications/{id}/{}",
        if revocation {
            "revocation"
        } else {
            "suspension"
        }
    );
    let scope = respond::scope(&who, key, &path, &body);
    let settings = ctx.settings.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            200,
            &certifications::change_status(c, &settings, id, revocation, &body, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Suspends a certification with a reason (admin).
#[utoipa::path(tag = "certifications", security(("bearer" = [])), params(("id" = CertificationId, Path), ("Idempotency-Key" = String, Header)), request_body = StatusChange,
    responses((status = 200, body = Certification), (status = 409, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/certifications/{id}/suspension")]
pub async fn suspend(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<CertificationId>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    change(ctx, who, key, id.into_inner(), body.into_inner(), false).await
}

/// Revokes a certification with a reason (admin); final. Composites relying on it are flagged.
#[utoipa::path(tag = "certifications", security(("bearer" = [])), params(("id" = CertificationId, Path), ("Idempotency-Key" = String, Header)), request_body = StatusChange,
    responses((status = 200, body = Certification), (status = 409, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/certifications/{id}/revocation")]
pub async fn revoke(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<CertificationId>,
    body: web::Json<StatusChange>,
) -> Result<HttpResponse, ApiError> {
    change(ctx, who, key, id.into_inner(), body.into_inner(), true).await
}

/// Public verification of a certificate number (no auth, rate limited): status,
/// holder, credential, dates and the SHA-256 of the issued PDF. The number is a
/// certification's certificate number or an accreditation number (AT/AEC
/// accreditation certificate; `accreditation_number` in the JSON record). The URL
/// is the one printed in the certificate's QR code: a browser preferring `text/html` (by
/// `Accept` q-values) gets the same facts as a page, errors included; any other
/// client gets JSON.
#[utoipa::path(tag = "certifications", params(("number" = String, Path)),
    responses((status = 200, description = "The verification record; `text/html` when the client prefers it (a browser)",
            content((VerifiedDocument = "application/json"), (String = "text/html"))),
        (status = 404, description = "Unknown number", content((ProblemDetails = "application/problem+json"), (String = "text/html"))),
        (status = 429, description = "Rate limited", content((ProblemDetails = "application/problem+json"), (String = "text/html")))))]
#[get("/v1/verify/{number}")]
pub async fn verify(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    number: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let html = pages::wants_html(&req);
    let org = &ctx.settings.seller.legal_name;
    let found = match rate_limit(&req) {
        Ok(()) => {
            let (number, today) = (number.into_inner(), ctx.clock.today());
            ctx.db(move |c| document::verify(c, &number, today))
                .await
                .map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match (found, html) {
        (Ok(v), true) => Ok(pages::credential_page(
            &CredentialDocument::of(v, org),
            ctx.clock.today(),
        )),
        (Ok(v), false) => Ok(HttpResponse::Ok()
            .insert_header((actix_web::http::header::VARY, "Accept"))
            .json(v)),
        (Err(e), true) => Ok(pages::error_page(&e, org)),
        (Err(e), false) => Err(e),
    }
}

/// Creates a credential of the catalogue (admin): tier, prerequisites (existing
/// codes, no cycles), retake wait, voucher and certification validity, and the
/// `exam_fee` product its exam is sold as; or a composite with `components`.
/// Audited (`GET /v1/credentials/{code}/events`).
#[utoipa::path(tag = "certifications", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewCredential,
    responses((status = 201, body = CredentialRecord),
        (status = 409, description = "`credential-exists` or `prerequisite-cycle`", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/credentials")]
pub async fn create_credential(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    body: web::Json<NewCredential>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/credentials", &body);
    let actor = products::actor(&who);
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &catalogue_admin::create(c, &body, &actor, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Edits a credential (admin): name, tier, prerequisites (replaced as a set; a
/// cycle is 409 `prerequisite-cycle`), retake wait, voucher and certification
/// validity (`null` = lifetime), exam fee product; `"active": false` with a
/// `reason` deactivates it (held certifications stay; exam orders are refused with
/// 409 `credential-inactive`), `true` reactivates it. Audited.
#[utoipa::path(tag = "certifications", security(("bearer" = [])),
    params(("code" = String, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = CredentialChange,
    responses((status = 200, body = CredentialRecord),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "`prerequisite-cycle`", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[patch("/v1/credentials/{code}")]
pub async fn update_credential(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    code: web::Path<String>,
    body: web::Json<CredentialChange>,
) -> Result<HttpResponse, ApiError> {
    let (code, body) = (code.into_inner(), body.into_inner());
    let scope = products::patch_scope(&who, key, &format!("/v1/credentials/{code}"), &body);
    let actor = products::actor(&who);
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(200, &catalogue_admin::update(c, &code, &body, &actor, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// A credential's audit trail (admin, finance), oldest first: who, when, why,
/// before and after.
#[utoipa::path(tag = "certifications", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Vec<CatalogueEvent>),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/credentials/{code}/events")]
pub async fn credential_events(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let e = ctx.db(move |c| catalogue_admin::events(c, &code)).await?;
    Ok(HttpResponse::Ok().json(e))
}
