//! Outgoing email for admins: the delivery state of every email, the retry of
//! one that failed for good, and template previews (issue 11, "Delivery").

use actix_web::{get, post, web, HttpResponse};

use crate::domain::ids::OutboxId;
use crate::services::emails::{self, Email, EmailFilter, EmailPreview};
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::Page;
use crate::services::AppContext;

use crate::http::extract::{AdminOnly, Caller, IdempotencyKey};
use crate::http::problem::{ApiError, ProblemDetails};
use crate::http::respond;

/// Outgoing emails, oldest first, with their delivery state: `pending` (queued or
/// waiting for a retry; `next_attempt_at` says when), `done`, or `failed` after the
/// last attempt (`last_error` says why). `?status=failed` is what needs an admin.
#[utoipa::path(tag = "emails", security(("bearer" = [])), params(EmailFilter),
    responses((status = 200, body = Page<Email>),
        (status = 422, description = "Bad cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/emails")]
pub async fn list(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
    q: web::Query<EmailFilter>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    Ok(HttpResponse::Ok().json(ctx.db(move |c| emails::list(c, &q)).await?))
}

/// Puts a failed email back in the queue, due now, with a fresh count of
/// attempts; it keeps its `Message-ID`. 409 `email-not-failed` for one that is
/// pending or delivered.
#[utoipa::path(tag = "emails", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The email's id (`GET /v1/emails`)"), ("Idempotency-Key" = String, Header)),
    responses((status = 200, body = Email),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/emails/{id}/retry")]
pub async fn retry(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<OutboxId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let path = format!("/v1/emails/{id}/retry");
    let scope = respond::scope(&who, key, &path, &serde_json::Value::Null);
    let admin = who.subject.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(200, &emails::retry(c, &id, &admin, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// The names of the email templates.
#[utoipa::path(tag = "emails", security(("bearer" = [])),
    responses((status = 200, body = Vec<String>)))]
#[get("/v1/email-templates")]
pub async fn templates(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(emails::template_names(&ctx.email_templates)))
}

/// A template rendered with its sample context: subject, text and HTML as a
/// mail client would get them.
#[utoipa::path(tag = "emails", security(("bearer" = [])),
    params(("name" = String, Path, pattern = "^[a-z0-9_]{1,64}$")),
    responses((status = 200, body = EmailPreview),
        (status = 404, description = "No such template", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/email-templates/{name}/preview")]
pub async fn preview(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(emails::preview(&ctx.email_templates, &name)?))
}
