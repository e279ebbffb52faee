//! Accreditation of Authorized Trainers and Education Centers: applications and
//! bootstrap admissions, reads, admin decisions, the audit trail, maintenance-fee
//! renewals, AEC trainer-link confirmations and the certificate PDF.

use actix_web::{get, post, web, HttpResponse};

use crate::auth::Principal;
use crate::domain::ids::{AccreditationId, TrainerLinkId};
use crate::services::accreditation::applications::{
    self, AccreditationFilter, NewAccreditation, Requester,
};
use crate::services::accreditation::fees;
use crate::services::accreditation::review::{self, Decision};
use crate::services::accreditation::store::{self, Accreditation, AccreditationEvent, TrainerLink};
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::Page;
use crate::services::AppContext;

use super::extract::{AdminOnly, Buyers, Caller, IdempotencyKey, Readers};
use super::problem::{ApiError, ProblemDetails};
use super::respond;

fn actor(who: &Principal) -> String {
    format!("{}:{}", who.role, who.subject)
}

/// Applies for accreditation (provider, or admin on its behalf), or — admin only,
/// `"basis": "bootstrap_review"` with the `case` — admits a provider by formal
/// review: in force at once for one term, no prerequisite, no fee. An AT must name
/// a person holding the `professional` level; an AEC its facility and the AT
/// accreditations it employs (each link then confirmed by that AT).
#[utoipa::path(tag = "accreditations", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewAccreditation,
    responses(
        (status = 201, description = "Applied (or admitted)", body = Accreditation, headers(("Location" = String))),
        (status = 404, description = "Unknown or foreign provider", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The provider already has a live accreditation", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or not eligible (what is missing is listed)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/accreditations")]
pub async fn apply(
    ctx: web::Data<AppContext>,
    who: Caller<Buyers>,
    key: IdempotencyKey,
    body: web::Json<NewAccreditation>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/accreditations", &body);
    let requester = Requester {
        scope: who.provider_scope(),
        actor: actor(&who),
    };
    let settings = ctx.settings.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            201,
            &applications::apply(c, &settings, &requester, &body, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, Some("/v1/accreditations")))
}

/// Lists accreditations (a provider sees its own), filtered by provider, kind and
/// status, cursor-paginated in creation order.
#[utoipa::path(tag = "accreditations", security(("bearer" = [])), params(AccreditationFilter),
    responses((status = 200, body = Page<Accreditation>)))]
#[get("/v1/accreditations")]
pub async fn list(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    q: web::Query<AccreditationFilter>,
) -> Result<HttpResponse, ApiError> {
    let (q, scope) = (q.into_inner(), who.provider_scope());
    let page = ctx.db(move |c| applications::list(c, &q, scope)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One accreditation, with its trainer links and the fee invoice awaiting payment.
#[utoipa::path(tag = "accreditations", security(("bearer" = [])), params(("id" = AccreditationId, Path)),
    responses((status = 200, body = Accreditation)))]
#[get("/v1/accreditations/{id}")]
pub async fn get(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    id: web::Path<AccreditationId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.provider_scope());
    let a = ctx.db(move |c| applications::get(c, id, scope)).await?;
    Ok(HttpResponse::Ok().json(a))
}

/// An admin decision with a reason: `start_review`, `approve` (issues the initial
/// fee invoice: Base Text + Syllabus, administrative overhead, accreditation fee),
/// `reject`, `suspend`, `reinstate`, `revoke`. A decision the lifecycle does not
/// allow from the current status is refused with 409 and changes nothing.
#[utoipa::path(tag = "accreditations", security(("bearer" = [])),
    params(("id" = AccreditationId, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = Decision,
    responses(
        (status = 200, body = Accreditation),
        (status = 409, description = "Not allowed from the current status", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action or reason; or not eligible for approval or reinstatement", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/accreditations/{id}/decisions")]
pub async fn decide(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<AccreditationId>,
    body: web::Json<Decision>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/accreditations/{id}/decisions"),
        &body,
    );
    let (settings, stripe, actor) = (ctx.settings.clone(), ctx.stripe.is_some(), actor(&who));
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            200,
            &review::decide(c, &settings, stripe, id, &body, &actor, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// The audit trail, oldest first: every transition (by an admin, a payment, a
/// cascade or the clock) with who, when, from, to and why. Append-only.
#[utoipa::path(tag = "accreditations", security(("bearer" = [])), params(("id" = AccreditationId, Path)),
    responses((status = 200, body = Vec<AccreditationEvent>)))]
#[get("/v1/accreditations/{id}/events")]
pub async fn events(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    id: web::Path<AccreditationId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.provider_scope());
    let e = ctx.db(move |c| store::events(c, id, scope)).await?;
    Ok(HttpResponse::Ok().json(e))
}

/// Issues the yearly maintenance-fee invoice (`fee_invoice_id` in the response).
/// Paying it extends the accreditation from its old expiry (from the payment date
/// if it had lapsed).
#[utoipa::path(tag = "accreditations", security(("bearer" = [])),
    params(("id" = AccreditationId, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    responses(
        (status = 201, body = Accreditation),
        (status = 409, description = "Never paid, rejected or revoked; or a fee invoice already awaits payment", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/accreditations/{id}/renewals")]
pub async fn renew(
    ctx: web::Data<AppContext>,
    who: Caller<Buyers>,
    key: IdempotencyKey,
    id: web::Path<AccreditationId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/accreditations/{id}/renewals"),
        &serde_json::Value::Null,
    );
    let (settings, stripe, owner) = (
        ctx.settings.clone(),
        ctx.stripe.is_some(),
        who.provider_scope(),
    );
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &fees::renew(c, &settings, stripe, owner, id, now)?.0)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Confirms, from the AT's own provider account, that the AEC employs it. A
/// confirmed link to an AT in force may bring a non-compliant AEC back to active.
#[utoipa::path(tag = "accreditations", security(("bearer" = [])),
    params(("id" = AccreditationId, Path, description = "The AEC's accreditation"), ("link_id" = TrainerLinkId, Path),
        ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    responses((status = 200, body = TrainerLink)))]
#[post("/v1/accreditations/{id}/trainer-links/{link_id}/confirmation")]
pub async fn confirm_link(
    ctx: web::Data<AppContext>,
    who: Caller<Buyers>,
    key: IdempotencyKey,
    path: web::Path<(AccreditationId, TrainerLinkId)>,
) -> Result<HttpResponse, ApiError> {
    let (id, link) = path.into_inner();
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/accreditations/{id}/trainer-links/{link}/confirmation"),
        &serde_json::Value::Null,
    );
    let (settings, owner) = (ctx.settings.clone(), who.provider_scope());
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            200,
            &applications::confirm_link(c, &settings, owner, id, link, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// The accreditation certificate PDF (same layout and QR verification as
/// certifications), once a term is paid or a bootstrap admission made.
#[utoipa::path(tag = "accreditations", security(("bearer" = [])), params(("id" = AccreditationId, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>)))]
#[get("/v1/accreditations/{id}/certificate")]
pub async fn certificate(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    id: web::Path<AccreditationId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.provider_scope());
    let (number, pdf) = ctx.db(move |c| fees::certificate_pdf(c, id, scope)).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"accreditation-{number}.pdf\""),
        ))
        .body(pdf))
}
