//! Training materials submitted by Authorized Trainers for accreditation, their
//! admin decisions, and the admin-editable end-of-life table of Python versions.

use actix_web::{get, post, put, web, HttpResponse};

use crate::domain::ids::TrainingMaterialId;
use crate::services::accreditation::materials::{
    self, MaterialDecision, MaterialFilter, NewTrainingMaterial, TrainingMaterial,
};
use crate::services::accreditation::python_versions::{self, PythonVersion, PythonVersionInput};
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::Page;
use crate::services::AppContext;

use super::extract::{AdminOnly, Buyers, Caller, IdempotencyKey, Readers};
use super::problem::{ApiError, ProblemDetails};
use super::respond;

/// Submits training materials for accreditation (an active AT provider, or an
/// admin on its behalf) and issues the submission-fee invoice; paying it puts the
/// materials under review.
#[utoipa::path(tag = "training-materials", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewTrainingMaterial,
    responses(
        (status = 201, description = "Submitted; the fee invoice is `invoice_id`", body = TrainingMaterial, headers(("Location" = String))),
        (status = 404, description = "Unknown or foreign provider", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields; not an active AT; unknown or end-of-life Python version", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/training-materials")]
pub async fn submit(
    ctx: web::Data<AppContext>,
    who: Caller<Buyers>,
    key: IdempotencyKey,
    body: web::Json<NewTrainingMaterial>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/training-materials", &body);
    let (settings, stripe, provider) = (
        ctx.settings.clone(),
        ctx.stripe.is_some(),
        who.provider_scope(),
    );
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            201,
            &materials::submit(c, &settings, stripe, provider, &body, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, Some("/v1/training-materials")))
}

/// Lists training materials (a provider sees its own), cursor-paginated in
/// creation order.
#[utoipa::path(tag = "training-materials", security(("bearer" = [])), params(MaterialFilter),
    responses((status = 200, body = Page<TrainingMaterial>)))]
#[get("/v1/training-materials")]
pub async fn list(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    q: web::Query<MaterialFilter>,
) -> Result<HttpResponse, ApiError> {
    let (q, scope) = (q.into_inner(), who.provider_scope());
    let page = ctx.db(move |c| materials::list(c, &q, scope)).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One submission (`accredited` is false while the AT is suspended or lapsed).
#[utoipa::path(tag = "training-materials", security(("bearer" = [])), params(("id" = TrainingMaterialId, Path)),
    responses(
        (status = 200, body = TrainingMaterial),
        (status = 404, description = "Unknown or foreign", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[get("/v1/training-materials/{id}")]
pub async fn get(
    ctx: web::Data<AppContext>,
    who: Caller<Readers>,
    id: web::Path<TrainingMaterialId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.provider_scope());
    let m = ctx.db(move |c| materials::get(c, id, scope)).await?;
    Ok(HttpResponse::Ok().json(m))
}

/// An admin decision on materials under review: `approve` (until the earlier of
/// the configured period and the Python version's end of life) or `reject`.
#[utoipa::path(tag = "training-materials", security(("bearer" = [])),
    params(("id" = TrainingMaterialId, Path), ("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = MaterialDecision,
    responses(
        (status = 200, body = TrainingMaterial),
        (status = 404, description = "Unknown", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not under review", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action or reason; the Python version's end of life has passed", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[post("/v1/training-materials/{id}/decisions")]
pub async fn decide(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<TrainingMaterialId>,
    body: web::Json<MaterialDecision>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let path = format!("/v1/training-materials/{id}/decisions");
    let scope = respond::scope(&who, key, &path, &body);
    let settings = ctx.settings.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(200, &materials::decide(c, &settings, id, &body, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// The end-of-life table of Python feature versions (admin), by version.
#[utoipa::path(tag = "training-materials", security(("bearer" = [])),
    responses((status = 200, body = Vec<PythonVersion>)))]
#[get("/v1/python-versions")]
pub async fn list_versions(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
) -> Result<HttpResponse, ApiError> {
    let rows = ctx.db(python_versions::list).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// One Python version's end of life (admin).
#[utoipa::path(tag = "training-materials", security(("bearer" = [])), params(("version" = String, Path)),
    responses(
        (status = 200, body = PythonVersion),
        (status = 404, description = "Not in the table", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[get("/v1/python-versions/{version}")]
pub async fn get_version(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
    version: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let version = version.into_inner();
    let row = ctx.db(move |c| python_versions::get(c, &version)).await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Sets a Python version's end of life (admin), adding the version if new (201).
/// Approvals already given keep their dates.
#[utoipa::path(tag = "training-materials", security(("bearer" = [])), params(("version" = String, Path)),
    request_body = PythonVersionInput,
    responses(
        (status = 200, description = "Changed", body = PythonVersion),
        (status = 201, description = "Added", body = PythonVersion),
        (status = 422, description = "Malformed version or date", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
#[put("/v1/python-versions/{version}")]
pub async fn put_version(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
    version: web::Path<String>,
    body: web::Json<PythonVersionInput>,
) -> Result<HttpResponse, ApiError> {
    let (version, body, now) = (version.into_inner(), body.into_inner(), ctx.clock.now());
    let (row, created) = ctx
        .db(move |c| python_versions::put(c, &version, &body, now))
        .await?;
    Ok(if created {
        HttpResponse::Created().json(row)
    } else {
        HttpResponse::Ok().json(row)
    })
}
