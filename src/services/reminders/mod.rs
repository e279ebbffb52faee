//! Reminders, dunning and the sweep that sends them (issue 11, "Policies" and
//! "Running it"; docs/domain.md, "Reminders and the scheduler").
//!
//! - [`policies`]: the admin-edited policy of each subject kind (steps as day
//!   offsets from an anchor date, templates, the dunning final action).
//! - [`sweep`]: one run — first the time-based state changes through the same
//!   service as the API (the accreditation sweep, which also expires training
//!   materials), then every due step of every policy decided once. Licence lapse,
//!   voucher expiry and certification expiry are *derived* from dates when read
//!   (there is no stored transition and no service to call), so the sweep only
//!   stops reminding such subjects.
//! - [`runs`]: the run records and, on SQLite, the lease.
//! - [`dunning`]: the final action of the invoice policy.
//!
//! **At most once**: every decided step is a `reminders` row keyed UNIQUE by
//! (subject kind, subject id, step offset, due date), written with its outbox email
//! in one transaction, inserted with `ON CONFLICT DO NOTHING`; only the transaction
//! that inserted it queues the email or acts. **Nothing lost**: a page commits as a
//! whole or not at all, and the next run decides what a failed or killed run did
//! not. Several instances on PostgreSQL split pages with `FOR UPDATE SKIP LOCKED`;
//! on SQLite a run holds a lease (`reminder_runs.locked_until`).

pub mod dunning;
pub mod policies;
pub mod runs;
pub mod subjects;
pub mod sweep;

use chrono::NaiveDate;

use crate::config::Settings;
use crate::db::{write_transaction, DbConn};
use crate::domain::clock::Clock;
use crate::domain::reminders::SubjectKind;
use crate::services::ServiceError;

use runs::{RunOrigin, RunStatus, RunSummary, RunView};

/// Refuses a sweep date a run may not use: before 2000-01-01 (date arithmetic
/// stays far from chrono's limits) or, unless `dry_run`, after `today` (a run for a
/// future date would apply lapses and suspensions early).
/// Errors: [`ServiceError::Validation`] on `as_of`.
pub fn check_as_of(as_of: NaiveDate, today: NaiveDate, dry_run: bool) -> Result<(), ServiceError> {
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN);
    let latest = if dry_run {
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
    } else {
        today
    };
    if as_of < earliest || as_of > latest {
        return Err(ServiceError::invalid(
            "as_of",
            format!("must be between {earliest} and {latest} (only a dry run may look ahead)"),
        ));
    }
    Ok(())
}

/// Starts a run (see [`runs::start`]) and executes it ([`execute`]).
/// Errors: 422 for an `as_of` refused by [`check_as_of`]; 409 `reminder-run-in-progress` on SQLite while another run holds the
/// lease; database failures.
pub fn run_now(
    conn: &mut DbConn,
    settings: &Settings,
    clock: &dyn Clock,
    origin: RunOrigin,
    started_by: &str,
    as_of: NaiveDate,
    on_page: &mut dyn FnMut(SubjectKind, usize),
) -> Result<RunView, ServiceError> {
    let now = clock.now();
    check_as_of(as_of, now.date_naive(), false)?;
    let lease = settings.scheduler.lease_seconds;
    let run = write_transaction(conn, |c| {
        runs::start(c, origin, started_by, as_of, lease, now)
    })?;
    execute(conn, settings, clock, &run, on_page)
}

/// Executes the started run `run` and records its end: `finished` with the
/// summary, or `failed` (the error is returned; what was committed stays).
pub fn execute(
    conn: &mut DbConn,
    settings: &Settings,
    clock: &dyn Clock,
    run: &RunView,
    on_page: &mut dyn FnMut(SubjectKind, usize),
) -> Result<RunView, ServiceError> {
    match sweep::sweep(conn, settings, clock, run.as_of, Some(&run.id), on_page) {
        Ok(summary) => {
            let now = clock.now();
            write_transaction(conn, |c| {
                runs::finish(c, &run.id, RunStatus::Finished, &summary, now)
            })
        }
        Err(e) => {
            let now = clock.now();
            if let Err(f) = write_transaction(conn, |c| {
                runs::finish(c, &run.id, RunStatus::Failed, &RunSummary::default(), now)
            }) {
                tracing::error!(error = %f, "could not record the failed reminder run");
            }
            Err(e)
        }
    }
}

/// A dry run for `as_of`: what a run would decide and send, writing nothing.
/// Errors: 422 for an `as_of` refused by [`check_as_of`].
pub fn dry_run(
    conn: &mut DbConn,
    settings: &Settings,
    clock: &dyn Clock,
    as_of: NaiveDate,
    on_page: &mut dyn FnMut(SubjectKind, usize),
) -> Result<RunSummary, ServiceError> {
    check_as_of(as_of, clock.today(), true)?;
    sweep::sweep(conn, settings, clock, as_of, None, on_page)
}

/// What `POST /v1/jobs/reminder-runs` found for its key: a run to execute, or the
/// response to give again (a completed request, or the run a concurrent request
/// with the same key started).
pub enum ApiStart {
    /// Fresh key: this run was started; execute it with [`finish_api_run`].
    Started(RunView),
    /// Known key: answer with this.
    Answer(crate::services::idempotency::StoredResponse),
}

fn stored(
    status: u16,
    view: &RunView,
) -> Result<crate::services::idempotency::StoredResponse, ServiceError> {
    Ok(crate::services::idempotency::StoredResponse {
        status,
        body: serde_json::to_value(view).map_err(anyhow::Error::new)?,
    })
}

/// Claims the request's idempotency key and starts the run in one transaction.
/// Errors: as [`check_as_of`] and [`runs::start`]; idempotency-key reuse.
pub fn start_api_run(
    conn: &mut DbConn,
    scope: &crate::services::idempotency::IdempotencyScope,
    started_by: &str,
    as_of: NaiveDate,
    lease_seconds: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ApiStart, ServiceError> {
    use crate::services::idempotency::{claim, set_resource, Claim};
    check_as_of(as_of, now.date_naive(), false)?;
    write_transaction(conn, |c| match claim(c, scope, now)? {
        Claim::Replay(r) => Ok(ApiStart::Answer(r)),
        Claim::Resume(id) => Ok(ApiStart::Answer(stored(200, &runs::get(c, &id)?)?)),
        Claim::Fresh => {
            let run = runs::start(c, RunOrigin::Api, started_by, as_of, lease_seconds, now)?;
            set_resource(c, scope, &run.id)?;
            Ok(ApiStart::Started(run))
        }
    })
}

/// Executes the run [`start_api_run`] started and stores the response (201 with
/// the finished run) under the request's key.
pub fn finish_api_run(
    conn: &mut DbConn,
    settings: &Settings,
    clock: &dyn Clock,
    scope: &crate::services::idempotency::IdempotencyScope,
    run: &RunView,
) -> Result<crate::services::idempotency::StoredResponse, ServiceError> {
    let view = execute(conn, settings, clock, run, &mut |_, _| {})?;
    let response = stored(201, &view)?;
    let now = clock.now();
    write_transaction(conn, |c| {
        crate::services::idempotency::complete(c, scope, &response, now)
    })?;
    Ok(response)
}
