//! Candidates: public sign-up and login, their record, equivalent experience and
//! community contributions.

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use crate::auth::Scope;
use crate::domain::ids::{CandidateId, ContributionId};
use crate::services::idempotency::{self, keep_all, IdempotencyScope};
use crate::services::parties::candidates::{
    self, Candidate, Contribution, ContributionReview, NewCandidate, NewContribution,
    NewEquivalentExperience,
};
use crate::services::parties::clients::{self, AccessToken};
use crate::services::standing;
use crate::services::AppContext;

use crate::http::extract::{
    rate_limit, AdminOnly, Caller, CandidateOnly, CandidateReaders, IdempotencyKey,
};
use crate::http::problem::{ApiError, ProblemDetails};
use crate::http::respond;

/// The idempotency scope of anonymous sign-ups (there is no caller identity yet).
const SIGN_UP_CALLER: &str = "anonymous:sign-up";

/// Signs up a candidate (public, rate limited). The email must not be registered.
/// Takes an `Idempotency-Key` like every mutating POST: a retry with the same key
/// and body returns the first response. The request fingerprint leaves the password
/// out, so nothing derived from it is stored beside the argon2 hash; a retry that
/// changes only the password replays the first response.
#[utoipa::path(tag = "candidates", request_body = NewCandidate,
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    responses((status = 201, body = Candidate, headers(("Location" = String))),
        (status = 400, description = "Missing Idempotency-Key", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/candidates")]
pub async fn sign_up(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: web::Json<NewCandidate>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&req)?;
    let (body, settings) = (body.into_inner(), ctx.settings.clone());
    let fingerprint = NewCandidate {
        password: String::new(),
        ..body.clone()
    };
    let scope = IdempotencyScope::new(
        SIGN_UP_CALLER.to_owned(),
        key.0,
        "POST",
        "/v1/candidates",
        &serde_json::to_value(&fingerprint).map_err(|e| {
            ApiError::from(crate::services::ServiceError::Internal(anyhow::Error::new(
                e,
            )))
        })?,
    );
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        let id = candidates::sign_up(c, body.clone(), now)?;
        respond::created(201, &candidates::get(c, &settings, id, now.date_naive())?)
    })
    .await?;
    Ok(respond::stored(r, Some("/v1/candidates")))
}

/// `POST /v1/auth/login` body.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Candidate login: a `candidate` access token. Unknown email and wrong password
/// answer alike (401 `invalid-client`). Rate limited.
#[utoipa::path(tag = "auth", request_body = Login,
    responses((status = 200, body = AccessToken), (status = 401, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/auth/login")]
pub async fn login(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Json<Login>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&req)?;
    let body = body.into_inner();
    let who = ctx
        .db(move |c| candidates::login(c, &body.email, &body.password))
        .await?;
    let token = clients::issue_token(
        &ctx.keys,
        &who,
        chrono::Utc::now(),
        ctx.settings.jwt_ttl_seconds,
    )?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(token))
}

fn own(who: &crate::auth::Principal, id: CandidateId) -> Result<(), ApiError> {
    match who.scope() {
        Scope::All => Ok(()),
        Scope::Candidate(c) if c == id => Ok(()),
        _ => Err(ApiError::not_found("candidate")),
    }
}

/// A candidate's record with its derived level (the candidate itself, staff).
#[utoipa::path(tag = "candidates", security(("bearer" = [])), params(("id" = CandidateId, Path)),
    responses((status = 200, body = Candidate), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/candidates/{id}")]
pub async fn get(
    ctx: web::Data<AppContext>,
    who: Caller<CandidateReaders>,
    id: web::Path<CandidateId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    own(&who, id)?;
    let (settings, today) = (ctx.settings.clone(), ctx.clock.today());
    Ok(HttpResponse::Ok().json(
        ctx.db(move |c| candidates::get(c, &settings, id, today))
            .await?,
    ))
}

/// Records equivalent experience standing in for one prerequisite (admin).
#[utoipa::path(tag = "candidates", security(("bearer" = [])),
    params(("id" = CandidateId, Path), ("Idempotency-Key" = String, Header)), request_body = NewEquivalentExperience,
    responses((status = 201, body = serde_json::Value), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/candidates/{id}/equivalent-experience")]
pub async fn grant_equivalent(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<CandidateId>,
    body: web::Json<NewEquivalentExperience>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/candidates/{id}/equivalent-experience"),
        &body,
    );
    let by = who.subject.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &candidates::grant_equivalent(c, id, &body, &by, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Submits a community contribution for verification (the candidate).
#[utoipa::path(tag = "candidates", security(("bearer" = [])),
    params(("id" = CandidateId, Path), ("Idempotency-Key" = String, Header)), request_body = NewContribution,
    responses((status = 201, body = Contribution), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/candidates/{id}/contributions")]
pub async fn submit_contribution(
    ctx: web::Data<AppContext>,
    who: Caller<CandidateOnly>,
    key: IdempotencyKey,
    id: web::Path<CandidateId>,
    body: web::Json<NewContribution>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    own(&who, id)?;
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/candidates/{id}/contributions"),
        &body,
    );
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &candidates::submit_contribution(c, id, &body, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Verifies (granting credits) or rejects a contribution (admin).
#[utoipa::path(tag = "candidates", security(("bearer" = [])),
    params(("id" = ContributionId, Path), ("Idempotency-Key" = String, Header)), request_body = ContributionReview,
    responses((status = 200, body = Contribution), (status = 409, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/contributions/{id}/review")]
pub async fn review_contribution(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<ContributionId>,
    body: web::Json<ContributionReview>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let scope = respond::scope(&who, key, &format!("/v1/contributions/{id}/review"), &body);
    let by = who.subject.clone();
    let settings = ctx.settings.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            200,
            &standing::review_contribution(c, &settings, id, &body, &by, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, None))
}
