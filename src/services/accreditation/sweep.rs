//! The time-driven part of the lifecycle, applied by one idempotent sweep
//! (`accredit accreditations sweep [--as-of DATE]`): for the date `as_of`,
//! - the professional-standing rule is re-applied to every AT (a certification may
//!   have expired since the last change);
//! - `active` → `renewal_due` once `as_of ≥ expires_on − renewal_window_days`;
//! - `active | renewal_due | non_compliant` → `lapsed` once
//!   `as_of ≥ expires_on + grace_days`;
//! - AECs are re-checked for an AT in force, and `non_compliant` → `suspended` once
//!   `as_of ≥ non_compliant_deadline`;
//! - training materials: `approved` → `reaccreditation_due` within
//!   `materials_window_days` of `approved_until`, → `expired` after it.
//!
//! Every rule reads only the stored state and `as_of`, and each moves a status to
//! one its own condition no longer fires on, so a second run changes nothing.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::db::models::AccreditationRow;
use crate::db::schema::accreditations as ac;
use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::{AccreditationKind, AccreditationStatus, Action};

use crate::services::accreditation::{cascade, materials, store};
use crate::services::ServiceError;

/// Actor of the sweep in the audit trail.
pub const CLOCK: &str = "clock:sweep";

/// What one sweep changed: the number of transitions applied by the clock rules
/// (cascades they start are counted in the audit trail, not here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// The date swept for.
    pub as_of: Option<NaiveDate>,
    /// `active → renewal_due`.
    pub renewal_due: u32,
    /// `→ lapsed`.
    pub lapsed: u32,
    /// `non_compliant → suspended`.
    pub suspended: u32,
    /// Training materials moved by the clock (`approved → reaccreditation_due`,
    /// `→ expired`).
    #[serde(default)]
    pub materials: materials::MaterialSweep,
}

fn live(
    conn: &mut DbConn,
    statuses: &[AccreditationStatus],
) -> Result<Vec<AccreditationRow>, ServiceError> {
    Ok(ac::table
        .filter(ac::status.eq_any(statuses.iter().map(|s| s.as_str())))
        .order(ac::id.asc())
        .select(AccreditationRow::as_select())
        .load(conn)?)
}

/// Runs the sweep for `as_of` (see the module doc) in the caller's transaction;
/// `now` stamps the events. Errors: database failures.
pub fn run(
    conn: &mut DbConn,
    settings: &Settings,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<SweepReport, ServiceError> {
    use AccreditationStatus::*;
    let cfg = &settings.accreditation;
    let at_date = as_of
        .and_hms_opt(0, 0, 0)
        .map_or(now, |d| d.and_utc())
        .max(now);
    let mut report = SweepReport {
        as_of: Some(as_of),
        ..SweepReport::default()
    };
    for row in live(conn, &[Active, RenewalDue, Suspended])? {
        if store::state_of(&row)?.0 == AccreditationKind::Trainer {
            let row = store::load(conn, &row.id)?;
            cascade::recheck_trainer(conn, settings, &row, at_date)?;
        }
    }
    for row in live(conn, &[Active, RenewalDue, NonCompliant])? {
        let row = store::load(conn, &row.id)?;
        let (_, status) = store::state_of(&row)?;
        let Some(expires_on) = row.expires_on else {
            continue;
        };
        let grace_end = expires_on + Duration::days(i64::from(cfg.grace_days));
        let window = expires_on - Duration::days(i64::from(cfg.renewal_window_days));
        let action = if as_of >= grace_end {
            Some(Action::GraceEnded)
        } else if status == Active && as_of >= window {
            Some(Action::RenewalWindowOpened)
        } else {
            None
        };
        if let Some(action) = action {
            let reason = match action {
                Action::GraceEnded => format!("not renewed by {grace_end} (expired {expires_on})"),
                _ => format!("expires on {expires_on}"),
            };
            cascade::apply_and_cascade(
                conn,
                settings,
                &row,
                action,
                CLOCK,
                Some(&reason),
                at_date,
            )?;
            match action {
                Action::GraceEnded => report.lapsed += 1,
                _ => report.renewal_due += 1,
            }
        }
    }
    for row in live(conn, &[Active, RenewalDue, NonCompliant, Suspended])? {
        if store::state_of(&row)?.0 == AccreditationKind::EducationCenter {
            cascade::recheck_aec(conn, settings, &row.id, at_date)?;
        }
    }
    for row in live(conn, &[NonCompliant])? {
        let row = store::load(conn, &row.id)?;
        if row.non_compliant_deadline.is_some_and(|d| as_of >= d) {
            let reason = "no active Authorized Trainer by the non-compliance deadline";
            cascade::apply_and_cascade(
                conn,
                settings,
                &row,
                Action::DeadlinePassed,
                CLOCK,
                Some(reason),
                at_date,
            )?;
            report.suspended += 1;
        }
    }
    report.materials = materials::sweep(conn, settings, as_of, at_date)?;
    Ok(report)
}
