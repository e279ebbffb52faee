//! Exams: testing vendors, the exam catalogue, split policies, exam orders,
//! vouchers, attempts and results, partner payables and payouts.

use actix_web::{get, post, web, HttpResponse};

use crate::auth::Scope;
use crate::domain::ids::{ExamAttemptId, ExamOrderId, VendorId};
use crate::domain::role::Role;
use crate::services::checkout::{self, ExamOrderResponse};
use crate::services::exams::attempts::{self, ExamAttempt, ExamResult};
use crate::services::exams::catalogue::{self as exam_catalogue, Exam};
use crate::services::exams::orders::{self, ExamOrder, NewExamOrder};
use crate::services::exams::payouts::{self, NewPayout, PartnerBalance, Payout};
use crate::services::exams::split_policies::{self, NewSplitPolicy, SplitPolicyView};
use crate::services::idempotency::{self, keep_all};
use crate::services::pagination::{Page, PageRequest};
use crate::services::parties::clients::{self, ClientCredentials, ClientOwner};
use crate::services::parties::vendors::{self, NewTestingVendor, TestingVendor};
use crate::services::AppContext;

use super::extract::{
    AdminOnly, AnyRole, AttemptReaders, Caller, CandidateOnly, CandidateReaders, IdempotencyKey,
    MoneyStaff, VendorOnly,
};
use super::parties::providers::NewClient;
use super::problem::{ApiError, ProblemDetails};
use super::respond;

/// Registers a testing vendor (admin).
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("Idempotency-Key" = String, Header)), request_body = NewTestingVendor,
    responses((status = 201, body = TestingVendor), (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/testing-vendors")]
pub async fn create_vendor(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    body: web::Json<NewTestingVendor>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/testing-vendors", &body);
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &vendors::create_vendor(c, &body, now)?)
    })
    .await?;
    Ok(respond::stored(r, Some("/v1/testing-vendors")))
}

/// Creates `testing_vendor` credentials (admin); the secret is shown once.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("id" = VendorId, Path), ("Idempotency-Key" = String, Header)), request_body = NewClient,
    responses((status = 201, body = ClientCredentials), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/testing-vendors/{id}/clients")]
pub async fn create_vendor_client(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    id: web::Path<VendorId>,
    body: web::Json<NewClient>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/testing-vendors/{id}/clients"),
        &body,
    );
    let r = idempotency::run(
        &ctx,
        scope,
        super::parties::providers::without_secret,
        move |c, now| {
            respond::created(
                201,
                &clients::create(
                    c,
                    Role::TestingVendor,
                    ClientOwner::Vendor(id),
                    &body.name,
                    now,
                )?,
            )
        },
    )
    .await?;
    Ok(respond::stored(r, None))
}

/// The exam catalogue: fees, prerequisites, retake wait, validity, composites.
/// Cursor-paginated in code order.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<Exam>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/exams")]
pub async fn list_exams(
    ctx: web::Data<AppContext>,
    _who: Caller<AnyRole>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let (now, q) = (ctx.clock.now(), q.into_inner());
    let page = ctx
        .db(move |c| exam_catalogue::list_exams(c, now, &q))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Adds a split policy version (admin).
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("Idempotency-Key" = String, Header)), request_body = NewSplitPolicy,
    responses((status = 201, body = SplitPolicyView), (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/split-policies")]
pub async fn create_policy(
    ctx: web::Data<AppContext>,
    who: Caller<AdminOnly>,
    key: IdempotencyKey,
    body: web::Json<NewSplitPolicy>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/split-policies", &body);
    let by = who.subject.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &split_policies::create_policy(c, &body, &by, now)?)
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// Split policy versions (admin, finance), cursor-paginated in creation order.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<SplitPolicyView>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/split-policies")]
pub async fn list_policies(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let page = ctx
        .db(move |c| split_policies::list_policies(c, &q))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Orders an exam voucher (candidate): refused with the list of what is missing
/// when prerequisites, the retake wait or an unused voucher stand in the way;
/// otherwise the fee is invoiced and payment details returned.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("Idempotency-Key" = String, Header)), request_body = NewExamOrder,
    responses((status = 201, body = ExamOrderResponse), (status = 422, description = "Not allowed (exam-not-allowed lists reasons) or invalid", body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/exam-orders")]
pub async fn place_order(
    ctx: web::Data<AppContext>,
    who: Caller<CandidateOnly>,
    key: IdempotencyKey,
    body: web::Json<NewExamOrder>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let Scope::Candidate(candidate) = who.scope() else {
        return Err(ApiError::forbidden("only candidates order exams"));
    };
    let scope = respond::scope(&who, key, "/v1/exam-orders", &body);
    let r = checkout::place_exam(&ctx, scope, candidate, body).await?;
    Ok(respond::stored(r, Some("/v1/exam-orders")))
}

/// One exam order (the candidate's own; staff any). Carries the voucher once paid.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("id" = ExamOrderId, Path)),
    responses((status = 200, body = ExamOrder), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/exam-orders/{id}")]
pub async fn get_order(
    ctx: web::Data<AppContext>,
    who: Caller<CandidateReaders>,
    id: web::Path<ExamOrderId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.scope());
    Ok(HttpResponse::Ok().json(ctx.db(move |c| orders::get_order(c, id, scope)).await?))
}

/// Exam orders (the candidate's own; staff all), cursor-paginated in creation order.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<ExamOrder>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/exam-orders")]
pub async fn list_orders(
    ctx: web::Data<AppContext>,
    who: Caller<CandidateReaders>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let candidate = match who.scope() {
        Scope::Candidate(c) => Some(c),
        _ => None,
    };
    let q = q.into_inner();
    Ok(HttpResponse::Ok().json(
        ctx.db(move |c| orders::list_orders(c, candidate, &q))
            .await?,
    ))
}

/// Redeems a voucher (its testing vendor): starts an exam attempt.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("code" = String, Path), ("Idempotency-Key" = String, Header)),
    responses((status = 201, body = ExamAttempt), (status = 404, description = "Unknown or another vendor's voucher", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Used or expired", body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/vouchers/{code}/redemptions")]
pub async fn redeem(
    ctx: web::Data<AppContext>,
    who: Caller<VendorOnly>,
    key: IdempotencyKey,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = code.into_inner();
    let Scope::Vendor(vendor) = who.scope() else {
        return Err(ApiError::forbidden("only testing vendors redeem vouchers"));
    };
    let scope = respond::scope(
        &who,
        key,
        &format!("/v1/vouchers/{code}/redemptions"),
        &serde_json::Value::Null,
    );
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(201, &attempts::redeem(c, vendor, &code, now)?)
    })
    .await?;
    Ok(respond::stored(r, Some("/v1/exam-attempts")))
}

/// Reports an attempt's result (its vendor, once). A pass awards the certification.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("id" = ExamAttemptId, Path), ("Idempotency-Key" = String, Header)), request_body = ExamResult,
    responses((status = 200, body = ExamAttempt), (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/exam-attempts/{id}/result")]
pub async fn report_result(
    ctx: web::Data<AppContext>,
    who: Caller<VendorOnly>,
    key: IdempotencyKey,
    id: web::Path<ExamAttemptId>,
    body: web::Json<ExamResult>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let Scope::Vendor(vendor) = who.scope() else {
        return Err(ApiError::forbidden("only testing vendors report results"));
    };
    let scope = respond::scope(&who, key, &format!("/v1/exam-attempts/{id}/result"), &body);
    let settings = ctx.settings.clone();
    let r = idempotency::run(&ctx, scope, keep_all, move |c, now| {
        respond::created(
            200,
            &attempts::report_result(c, &settings, vendor, id, &body, now)?,
        )
    })
    .await?;
    Ok(respond::stored(r, None))
}

/// One attempt (its vendor, its candidate, staff).
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("id" = ExamAttemptId, Path)),
    responses((status = 200, body = ExamAttempt), (status = 404, body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/exam-attempts/{id}")]
pub async fn get_attempt(
    ctx: web::Data<AppContext>,
    who: Caller<AttemptReaders>,
    id: web::Path<ExamAttemptId>,
) -> Result<HttpResponse, ApiError> {
    let (id, scope) = (id.into_inner(), who.scope());
    Ok(HttpResponse::Ok().json(ctx.db(move |c| attempts::get_attempt(c, id, scope)).await?))
}

/// Open partner payables, per partner and currency (finance, admin),
/// cursor-paginated in (partner type, partner id, currency) order.
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, body = Page<PartnerBalance>), (status = 422, description = "Bad limit or cursor", body = ProblemDetails, content_type = "application/problem+json")))]
#[get("/v1/payables")]
pub async fn payables(
    ctx: web::Data<AppContext>,
    _who: Caller<MoneyStaff>,
    q: web::Query<PageRequest>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    // One balance per partner and currency: aggregated from the open payables,
    // so the page is cut from the (small) aggregate.
    let page = ctx
        .db(move |c| {
            q.page_in_memory(payouts::balances(c)?, |b| {
                format!(
                    "{}:{}:{}",
                    b.partner_type,
                    b.partner_id,
                    b.amount_due.currency.code()
                )
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Pays out a partner's open payables (finance, admin).
#[utoipa::path(tag = "exams", security(("bearer" = [])), params(("Idempotency-Key" = String, Header)), request_body = NewPayout,
    responses((status = 201, body = Payout), (status = 409, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json")))]
#[post("/v1/payouts")]
pub async fn pay(
    ctx: web::Data<AppContext>,
    who: Caller<MoneyStaff>,
    key: IdempotencyKey,
    body: web::Json<NewPayout>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let scope = respond::scope(&who, key, "/v1/payouts", &body);
    let r = payouts::pay(&ctx, scope, body, who.subject.clone()).await?;
    Ok(respond::stored(r, None))
}
