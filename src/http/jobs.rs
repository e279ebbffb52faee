//! Reminder policies (admin) and reminder runs (the `scheduler` service account
//! and admins): issue 11, "Policies" and "Running it".

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::role::Role;
use crate::services::idempotency::{self, keep_all};
use crate::services::mails;
use crate::services::pagination::{Page, PageRequest};
use crate::services::reminders::policies::{self, PolicyInput, PolicyView};
use crate::services::reminders::runs::{self, RunView};
use crate::services::reminders::{self, ApiStart};
use crate::services::AppContext;

use super::extract::{AdminOnly, Allowed, Caller, IdempotencyKey};
use super::problem::{ApiError, ProblemDetails};
use super::respond;

/// Who may start and read reminder runs: the `scheduler` service account and
/// admins. The `scheduler` role may do nothing else.
pub struct RunStarters;
impl Allowed for RunStarters {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Scheduler];
}

/// The reminder policy of every subject kind.
#[utoipa::path(tag = "reminders", security(("bearer" = [])),
    responses((status = 200, body = Vec<PolicyView>),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/reminder-policies")]
pub async fn list_policies(
    ctx: web::Data<AppContext>,
    _who: Caller<AdminOnly>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ctx.db(policies::list).await?))
}

/// Creates or replaces the policy of one subject kind (steps as day offsets from
/// the subject's anchor date, negative = before; each names an email template).
/// 422 for duplicate offsets, an unknown template, no step, or a final action on a
/// kind other than `invoice`.
#[utoipa::path(tag = "reminders", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = PolicyInput,
    responses((status = 200, body = PolicyView),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/reminder-policies")]
pub async fn put_policy(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    body: web::Json<PolicyInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/reminder-policies", &body);
    let (names, actor) = (ctx.email_templates.names(), who.subject.clone());
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        // A step may name only a reminder template: the mail type that carries
        // reminders renders those and nothing else.
        let exists = |t: &str| names.iter().any(|n| n == t) && mails::is_reminder_template(t);
        respond::created(200, &policies::put(c, body.clone(), exists, &actor, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// The body of `POST /v1/jobs/reminder-runs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRun {
    /// Sweep as of this date (default: today, UTC).
    pub as_of: Option<NaiveDate>,
}

/// Runs the reminder sweep now (state changes, then every due reminder once) and
/// answers with the finished run and its summary. A replay with the same
/// `Idempotency-Key` returns the same run without sweeping again. 409
/// `reminder-run-in-progress` on SQLite while another run holds the lease.
#[utoipa::path(tag = "reminders", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "Unique key for this request")),
    request_body = NewRun,
    responses((status = 201, body = RunView, headers(("Location" = String))),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/jobs/reminder-runs")]
pub async fn start_run(
    ctx: web::Data<AppContext>,
    who: Caller<RunStarters>,
    key: IdempotencyKey,
    body: web::Json<NewRun>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/jobs/reminder-runs", &body);
    let as_of = body.as_of.unwrap_or_else(|| ctx.clock.today());
    let (actor, lease, now) = (
        who.subject.clone(),
        ctx.settings.scheduler.lease_seconds,
        ctx.clock.now(),
    );
    // Claim the key and start the run in one transaction; sweep outside it (each
    // page is its own transaction); store the response at the end.
    let claim_scope = scope.clone();
    let started = ctx
        .db(move |c| reminders::start_api_run(c, &claim_scope, &actor, as_of, lease, now))
        .await?;
    let run = match started {
        ApiStart::Answer(stored) => {
            return Ok(respond::stored(stored, Some("/v1/jobs/reminder-runs")))
        }
        ApiStart::Started(run) => run,
    };
    let (settings, clock) = (ctx.settings.clone(), ctx.clock.clone());
    let finished = ctx
        .db(move |c| reminders::finish_api_run(c, &settings, &*clock, &scope, &run))
        .await?;
    Ok(respond::stored(finished, Some("/v1/jobs/reminder-runs")))
}

/// One reminder run with its summary.
#[utoipa::path(tag = "reminders", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = RunView),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/jobs/reminder-runs/{id}")]
pub async fn get_run(
    ctx: web::Data<AppContext>,
    _who: Caller<RunStarters>,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    Ok(HttpResponse::Ok().json(ctx.db(move |c| runs::get(c, &id)).await?))
}

/// Reminder runs in the order they started, cursor-paginated.
#[utoipa::path(tag = "reminders", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<RunView>),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/jobs/reminder-runs")]
pub async fn list_runs(
    ctx: web::Data<AppContext>,
    _who: Caller<RunStarters>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    Ok(HttpResponse::Ok().json(ctx.db(move |c| runs::list(c, &q)).await?))
}
