//! Idempotency keys for mutating POSTs (IETF draft "The Idempotency-Key HTTP Header
//! Field"; Stripe's semantics).
//!
//! A key is scoped to the caller. The first request with a key claims it inside the
//! use case's own transaction, so the claim commits or rolls back with the effects:
//! a refused request leaves no key behind. A later request with the same key and the
//! same request fingerprint gets the stored response; with a different fingerprint it
//! is refused (422). A use case that must finish outside its transaction (a Stripe
//! call) records the created resource's id first; a retry then *resumes* it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::IdempotencyRow;
use crate::db::schema::idempotency_keys as ik;
use crate::db::{is_unique_violation, DbConn};

use crate::services::{naive, ServiceError};

/// Who is asking and with which key and request fingerprint.
#[derive(Debug, Clone)]
pub struct IdempotencyScope {
    /// Caller identity (role + client id).
    pub caller: String,
    /// The `Idempotency-Key` header value.
    pub key: String,
    /// SHA-256 (hex) of method, path and canonical body.
    pub request_hash: String,
}

impl IdempotencyScope {
    /// Builds a scope, fingerprinting `method`, `path` and the body re-serialised
    /// canonically (object keys sorted), so whitespace and key order don't matter.
    pub fn new(
        caller: String,
        key: String,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Self {
        let mut h = Sha256::new();
        h.update(method.as_bytes());
        h.update(b"\n");
        h.update(path.as_bytes());
        h.update(b"\n");
        h.update(body.to_string().as_bytes());
        IdempotencyScope {
            caller,
            key,
            request_hash: hex::encode(h.finalize()),
        }
    }
}

/// A stored response: status code and JSON body.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: serde_json::Value,
}

/// Outcome of claiming a key.
#[derive(Debug)]
pub enum Claim {
    /// First use: do the work.
    Fresh,
    /// Already completed: return this.
    Replay(StoredResponse),
    /// Started, resource created, not finished: resume with this resource id.
    Resume(String),
}

/// Claims `scope` inside the current transaction.
///
/// Errors: [`ServiceError::IdempotencyKeyReused`] for another fingerprint;
/// [`ServiceError::IdempotencyInProgress`] when a concurrent request holds the key
/// (PostgreSQL reports this as a unique violation once the other commits; the caller
/// retries once and then sees `Replay` or `Resume`).
pub fn claim(
    conn: &mut DbConn,
    scope: &IdempotencyScope,
    now: DateTime<Utc>,
) -> Result<Claim, ServiceError> {
    if let Some(row) = find(conn, scope)? {
        return classify(row, scope);
    }
    let row = IdempotencyRow {
        caller: scope.caller.clone(),
        idempotency_key: scope.key.clone(),
        request_hash: scope.request_hash.clone(),
        resource_id: None,
        response_status: None,
        response_body: None,
        created_at: naive(now),
        completed_at: None,
    };
    match diesel::insert_into(ik::table).values(&row).execute(conn) {
        Ok(_) => Ok(Claim::Fresh),
        Err(e) if is_unique_violation(&e) => Err(ServiceError::IdempotencyInProgress),
        Err(e) => Err(e.into()),
    }
}

fn find(
    conn: &mut DbConn,
    scope: &IdempotencyScope,
) -> Result<Option<IdempotencyRow>, ServiceError> {
    Ok(ik::table
        .filter(ik::caller.eq(&scope.caller))
        .filter(ik::idempotency_key.eq(&scope.key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()?)
}

fn classify(row: IdempotencyRow, scope: &IdempotencyScope) -> Result<Claim, ServiceError> {
    if row.request_hash != scope.request_hash {
        return Err(ServiceError::IdempotencyKeyReused);
    }
    match (row.response_status, row.response_body, row.resource_id) {
        (Some(status), Some(body), _) => Ok(Claim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(500),
            body: serde_json::from_str(&body).map_err(|e| {
                ServiceError::Internal(anyhow::Error::new(e).context("stored response"))
            })?,
        })),
        (_, _, Some(resource)) => Ok(Claim::Resume(resource)),
        _ => Err(ServiceError::IdempotencyInProgress),
    }
}

/// Records the resource a claimed request created (for [`Claim::Resume`]).
pub fn set_resource(
    conn: &mut DbConn,
    scope: &IdempotencyScope,
    resource_id: &str,
) -> Result<(), ServiceError> {
    diesel::update(ik::table.find((&scope.caller, &scope.key)))
        .set(ik::resource_id.eq(resource_id))
        .execute(conn)?;
    Ok(())
}

/// Stores the final response of a claimed request.
pub fn complete(
    conn: &mut DbConn,
    scope: &IdempotencyScope,
    response: &StoredResponse,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    diesel::update(ik::table.find((&scope.caller, &scope.key)))
        .set((
            ik::response_status.eq(i32::from(response.status)),
            ik::response_body.eq(response.body.to_string()),
            ik::completed_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Runs a simple use case `f` idempotently: claim, do, store the response, all in
/// one write transaction. `stored` turns the response body into what is kept for
/// replays (e.g. without a one-time secret). A lost race is retried once, then
/// answers from the winner's stored response.
pub async fn run<F>(
    ctx: &crate::services::AppContext,
    scope: IdempotencyScope,
    stored: fn(&serde_json::Value) -> serde_json::Value,
    f: F,
) -> Result<StoredResponse, ServiceError>
where
    F: Fn(&mut DbConn, DateTime<Utc>) -> Result<StoredResponse, ServiceError>
        + Send
        + Sync
        + 'static,
{
    let f = std::sync::Arc::new(f);
    let mut last = ServiceError::IdempotencyInProgress;
    for _ in 0..2 {
        let (scope, f, now) = (scope.clone(), f.clone(), ctx.clock.now());
        let result = ctx
            .db(move |c| {
                crate::db::write_transaction(c, |c| match claim(c, &scope, now)? {
                    Claim::Replay(r) => Ok(r),
                    Claim::Resume(_) => Err(ServiceError::IdempotencyInProgress),
                    Claim::Fresh => {
                        let response = f(c, now)?;
                        let keep = StoredResponse {
                            status: response.status,
                            body: stored(&response.body),
                        };
                        complete(c, &scope, &keep, now)?;
                        Ok(response)
                    }
                })
            })
            .await;
        match result {
            Err(ServiceError::IdempotencyInProgress) => last = ServiceError::IdempotencyInProgress,
            other => return other,
        }
    }
    Err(last)
}

/// Keeps a response body as it is.
pub fn keep_all(body: &serde_json::Value) -> serde_json::Value {
    body.clone()
}
