//! Runs of the reminder sweep: their record (`GET /v1/jobs/reminder-runs`) and, on
//! SQLite, the lease that keeps two sweeps apart.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, ServiceError};

use crate::db::schema::reminder_runs as rr;

crate::stored_enum! {
    /// Who started a run.
    pub enum RunOrigin {
        /// `accredit reminders run`.
        Cli = "cli",
        /// `POST /v1/jobs/reminder-runs`.
        Api = "api",
        /// The built-in loop of `accredit serve --scheduler`.
        Scheduler = "scheduler",
    }
}

crate::stored_enum! {
    /// State of a run: `running → finished | failed`. A run whose lease expired
    /// while `running` (the process died) is marked `failed` by the next run.
    pub enum RunStatus {
        /// In progress (holds its lease).
        Running = "running",
        /// Done; the summary is final.
        Finished = "finished",
        /// Stopped by an error or a lost lease; what it committed stays committed.
        Failed = "failed",
    }
}

/// Counts of one subject kind in a run. `planned` steps were decided due;
/// `sent` emails were queued; `skipped` steps were recorded as skipped (catch-up
/// or stale); `failed` subjects were in a batch that failed (retried next run).
/// `planned − sent − skipped − failed` steps were decided by a concurrent run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindSummary {
    /// Steps found due and undecided.
    pub planned: u32,
    /// Emails queued by this run.
    pub sent: u32,
    /// Steps recorded as skipped by this run.
    pub skipped: u32,
    /// Subjects whose batch failed.
    pub failed: u32,
}

/// One email a dry run would send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WouldSend {
    /// Subject kind (`licence`, `invoice`, …).
    pub subject_kind: String,
    /// Subject id.
    pub subject_id: String,
    /// The step's offset in days from the anchor.
    pub offset_days: i32,
    /// The step's due date.
    pub due_on: NaiveDate,
    /// Template.
    pub template: String,
    /// Recipient.
    pub to: String,
}

/// The summary of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunSummary {
    /// Per subject kind.
    pub kinds: BTreeMap<String, KindSummary>,
    /// Final dunning actions performed.
    pub actions: u32,
    /// Time-based state changes made first by the accreditation sweep (renewal due,
    /// lapsed, suspended, materials); `null` on a dry run.
    #[schema(value_type = Option<Object>)]
    pub state_changes: Option<serde_json::Value>,
    /// Dry run only: what would be sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub would_send: Vec<WouldSend>,
}

/// A run as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunView {
    /// Run id (UUIDv7).
    pub id: String,
    /// The date swept for.
    pub as_of: NaiveDate,
    /// Who started it.
    pub origin: RunOrigin,
    /// The API client or `cli` / `scheduler`.
    pub started_by: String,
    /// State.
    pub status: RunStatus,
    /// Counts (final once `finished`).
    pub summary: RunSummary,
    /// Start (UTC).
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// End (UTC).
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

type Row = (
    String,
    NaiveDate,
    String,
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

fn cols() -> (
    rr::id,
    rr::as_of,
    rr::origin,
    rr::started_by,
    rr::status,
    rr::summary,
    rr::started_at,
    rr::finished_at,
) {
    (
        rr::id,
        rr::as_of,
        rr::origin,
        rr::started_by,
        rr::status,
        rr::summary,
        rr::started_at,
        rr::finished_at,
    )
}

fn view(r: Row) -> Result<RunView, ServiceError> {
    Ok(RunView {
        id: r.0,
        as_of: r.1,
        origin: RunOrigin::from_stored(&r.2).map_err(anyhow::Error::new)?,
        started_by: r.3,
        status: RunStatus::from_stored(&r.4).map_err(anyhow::Error::new)?,
        summary: serde_json::from_str(&r.5)
            .map_err(|e| anyhow::Error::new(e).context("run summary"))?,
        started_at: r.6.and_utc(),
        finished_at: r.7.map(|t| t.and_utc()),
    })
}

/// Starts a run in the caller's (write) transaction. On SQLite it takes the lease:
/// a `running` run whose `locked_until` has passed is marked `failed` (its process
/// died; what it committed stays), and a live one refuses with 409
/// `reminder-run-in-progress`. On PostgreSQL runs proceed side by side and split
/// the work with `FOR UPDATE SKIP LOCKED`.
pub fn start(
    conn: &mut DbConn,
    origin: RunOrigin,
    started_by: &str,
    as_of: NaiveDate,
    lease_seconds: u32,
    now: DateTime<Utc>,
) -> Result<RunView, ServiceError> {
    let n = naive(now);
    diesel::update(
        rr::table
            .filter(rr::status.eq(RunStatus::Running.as_str()))
            .filter(rr::locked_until.lt(n)),
    )
    .set((
        rr::status.eq(RunStatus::Failed.as_str()),
        rr::finished_at.eq(Some(n)),
    ))
    .execute(conn)?;
    if matches!(conn, DbConn::Sqlite(_)) {
        let live: Option<String> = rr::table
            .filter(rr::status.eq(RunStatus::Running.as_str()))
            .select(rr::id)
            .first(conn)
            .optional()?;
        if let Some(id) = live {
            return Err(ServiceError::Conflict {
                kind: "reminder-run-in-progress",
                detail: format!("reminder run {id} holds the lease; try again when it ends"),
            });
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    let summary = serde_json::to_string(&RunSummary::default()).map_err(anyhow::Error::new)?;
    diesel::insert_into(rr::table)
        .values((
            rr::id.eq(&id),
            rr::as_of.eq(as_of),
            rr::origin.eq(origin.as_str()),
            rr::started_by.eq(started_by),
            rr::status.eq(RunStatus::Running.as_str()),
            rr::summary.eq(&summary),
            rr::started_at.eq(n),
            rr::locked_until.eq(Some(lease_end(now, lease_seconds))),
        ))
        .execute(conn)?;
    get(conn, &id)
}

fn lease_end(now: DateTime<Utc>, lease_seconds: u32) -> NaiveDateTime {
    naive(now + Duration::seconds(i64::from(lease_seconds)))
}

/// Renews the lease of run `id` and stores its summary so far.
pub fn checkpoint(
    conn: &mut DbConn,
    id: &str,
    summary: &RunSummary,
    lease_seconds: u32,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let summary = serde_json::to_string(summary).map_err(anyhow::Error::new)?;
    diesel::update(rr::table.find(id))
        .set((
            rr::summary.eq(summary),
            rr::locked_until.eq(Some(lease_end(now, lease_seconds))),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends run `id` with `status` and its final summary, releasing the lease.
pub fn finish(
    conn: &mut DbConn,
    id: &str,
    status: RunStatus,
    summary: &RunSummary,
    now: DateTime<Utc>,
) -> Result<RunView, ServiceError> {
    let s = serde_json::to_string(summary).map_err(anyhow::Error::new)?;
    diesel::update(rr::table.find(id))
        .set((
            rr::status.eq(status.as_str()),
            rr::summary.eq(s),
            rr::finished_at.eq(Some(naive(now))),
            rr::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    get(conn, id)
}

/// One run. Errors: [`ServiceError::NotFound`].
pub fn get(conn: &mut DbConn, id: &str) -> Result<RunView, ServiceError> {
    let row: Row = rr::table
        .find(id)
        .select(cols())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("reminder run"))?;
    view(row)
}

/// Runs in creation order (ids are UUIDv7), paginated by id.
/// Errors: 422 for a limit below 1 or a malformed cursor.
pub fn list(conn: &mut DbConn, q: &PageRequest) -> Result<Page<RunView>, ServiceError> {
    let mut query = rr::table.into_boxed();
    if let Some(after) = q.after()? {
        query = query.filter(rr::id.gt(after));
    }
    let rows: Vec<Row> = query
        .order(rr::id.asc())
        .limit(q.limit() + 1)
        .select(cols())
        .load(conn)?;
    let items = rows.into_iter().map(view).collect::<Result<Vec<_>, _>>()?;
    Ok(q.page(items, |r| r.id.clone()))
}
