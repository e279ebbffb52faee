//! Request extractors: the authenticated [`Principal`] (signature, lifetime and
//! client revocation checked), role sets, the `Idempotency-Key`, and rate limits.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use governor::clock::{Clock, DefaultClock};
use governor::DefaultKeyedRateLimiter;

use crate::auth::Principal;
use crate::domain::role::Role;
use crate::services::parties::clients;
use crate::services::AppContext;

use super::problem::ApiError;

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    /// Reads `Authorization: Bearer <jwt>` (RFC 6750 §2.1), verifies it, and refuses
    /// tokens of revoked API clients.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { principal(&req).await })
    }
}

fn context(req: &HttpRequest) -> Result<web::Data<AppContext>, ApiError> {
    req.app_data::<web::Data<AppContext>>()
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal error",
                "no context",
            )
        })
}

async fn principal(req: &HttpRequest) -> Result<Principal, ApiError> {
    let ctx = context(req)?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
    let value = header
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::unauthorized("the Authorization scheme must be Bearer"))?;
    let who = ctx.keys.verify(token.trim()).map_err(|e| {
        tracing::debug!(error = %e, "token rejected");
        ApiError::unauthorized("the access token is invalid or expired")
    })?;
    if let Some(guard) = ctx.revoked_clients.begin_refresh() {
        match ctx.db(clients::revoked_ids).await {
            Ok(ids) => ctx.revoked_clients.merge(guard, ids),
            Err(e) => {
                tracing::warn!(error = %e, "reloading revoked clients failed; keeping the cached list");
                drop(guard);
            }
        }
    }
    if ctx.revoked_clients.is_revoked(&who.subject) {
        return Err(ApiError::unauthorized(
            "the API client of this access token has been revoked",
        ));
    }
    Ok(who)
}

/// A set of roles allowed on an endpoint, as a type, so the check runs in the
/// extractor — before the body is parsed (a wrong role is 403 whatever the body).
pub trait Allowed {
    /// The roles let through.
    const ROLES: &'static [Role];
}

/// Admins only.
pub struct AdminOnly;
impl Allowed for AdminOnly {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Staff who handle money: admin, finance.
pub struct MoneyStaff;
impl Allowed for MoneyStaff {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Finance];
}

/// Who may buy: admin (on behalf of a provider), provider (for itself).
pub struct Buyers;
impl Allowed for Buyers {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Provider];
}

/// Who may read provider-scoped records: admin, finance, provider (its own).
pub struct Readers;
impl Allowed for Readers {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Finance, Role::Provider];
}

/// Candidates only (for themselves).
pub struct CandidateOnly;
impl Allowed for CandidateOnly {
    const ROLES: &'static [Role] = &[Role::Candidate];
}

/// Testing vendors only (for their own attempts).
pub struct VendorOnly;
impl Allowed for VendorOnly {
    const ROLES: &'static [Role] = &[Role::TestingVendor];
}

/// Candidate records: admin, finance, the candidate itself.
pub struct CandidateReaders;
impl Allowed for CandidateReaders {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Finance, Role::Candidate];
}

/// Exam attempts: staff, the candidate, the vendor.
pub struct AttemptReaders;
impl Allowed for AttemptReaders {
    const ROLES: &'static [Role] = &[
        Role::Admin,
        Role::Finance,
        Role::Candidate,
        Role::TestingVendor,
    ];
}

/// Who may read invoices: staff, and providers and candidates (their own).
pub struct InvoiceReaders;
impl Allowed for InvoiceReaders {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Finance, Role::Provider, Role::Candidate];
}

/// Any authenticated caller with business access: every role but `metrics`
/// (reads `/metrics` and nothing else) and `scheduler` (starts scheduled runs and
/// nothing else, issue 11).
pub struct AnyRole;
impl Allowed for AnyRole {
    const ROLES: &'static [Role] = &[
        Role::Admin,
        Role::Finance,
        Role::Provider,
        Role::Candidate,
        Role::TestingVendor,
    ];
}

/// Monitoring scrapers (`/metrics`).
pub struct MetricsReaders;
impl Allowed for MetricsReaders {
    const ROLES: &'static [Role] = &[Role::Metrics];
}

/// An authenticated caller whose role is in `A::ROLES` (else 403).
pub struct Caller<A: Allowed>(pub Principal, std::marker::PhantomData<A>);

impl<A: Allowed> std::ops::Deref for Caller<A> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<A: Allowed> FromRequest for Caller<A> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let p = principal(&req).await?;
            require(&p, A::ROLES)?;
            Ok(Caller(p, std::marker::PhantomData))
        })
    }
}

/// Refuses with 403 unless the caller has one of `roles`.
pub fn require(who: &Principal, roles: &[Role]) -> Result<(), ApiError> {
    if who.has_any(roles) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "the {} role may not do this; allowed: {}",
            who.role,
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

/// The `Idempotency-Key` request header: 1–255 visible ASCII characters (a UUID is
/// recommended). Required on every mutating POST.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let missing = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency-key-missing",
                "Idempotency-Key required",
                "mutating requests need an Idempotency-Key header (1–255 visible ASCII characters, e.g. a UUID)",
            )
        };
        let result = req
            .headers()
            .get("Idempotency-Key")
            .ok_or_else(missing)
            .and_then(|v| v.to_str().map_err(|_| missing()))
            .map(str::trim)
            .and_then(|v| {
                if v.is_empty() || v.len() > 255 || !v.bytes().all(|b| b.is_ascii_graphic()) {
                    Err(missing())
                } else {
                    Ok(IdempotencyKey(v.to_owned()))
                }
            });
        ready(result)
    }
}

/// Takes one cell from `limiter` for `key`; when it is empty, a 429 problem+json
/// with `Retry-After` (RFC 9110 §10.2.3, whole seconds, rounded up) saying `detail`.
pub fn check_limit<K>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    detail: &'static str,
) -> Result<(), ApiError>
where
    K: std::hash::Hash + Eq + Clone,
{
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            detail,
        )
        .with_retry_after(seconds.max(1))
    })
}

/// The caller's IP address (the TCP peer; unspecified when unknown).
pub fn peer_ip(req: &HttpRequest) -> std::net::IpAddr {
    req.peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// Applies the public-endpoint rate limit (per client IP, GCRA via `governor`):
/// 429 problem+json with `Retry-After` when exceeded.
pub fn rate_limit(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(ctx) = req.app_data::<web::Data<AppContext>>() else {
        return Ok(());
    };
    check_limit(
        &ctx.public_limiter,
        &peer_ip(req),
        "too many requests from this address; retry after the time in Retry-After",
    )
}
