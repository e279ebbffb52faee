//! Cascades between accreditations and the standing they rest on (docs/domain.md,
//! "Accreditation cascades"):
//! - an AT whose person falls below `professional` is suspended
//!   (`professional_standing`), and reinstated when the level returns;
//! - an AEC whose last in-force AT goes becomes `non_compliant` with a deadline
//!   (`accreditation.non_compliant_days`), and returns to `active` when an in-force
//!   AT is linked again (also from a `no_active_trainer` suspension);
//! - every change of an AT re-checks the AECs that employ it.
//!
//! Bootstrap admissions are exempt: the formal review replaced the prerequisite
//! (professional level, employed AT) that these rules watch.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::models::AccreditationRow;
use crate::db::schema::{accreditations as ac, aec_trainer_links as tl};
use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::{
    AccreditationKind, AccreditationStatus, Action, SuspensionCause,
};
use crate::domain::credentials::levels::Level;
use crate::domain::ids::CandidateId;

use crate::services::accreditation::store::{self, BASIS_BOOTSTRAP};
use crate::services::lookups;
use crate::services::ServiceError;

/// Actor of the professional-standing rule in the audit trail.
pub const RULE_STANDING: &str = "rule:professional_standing";
/// Actor of the AEC trainer requirement in the audit trail.
pub const RULE_AEC: &str = "rule:aec_trainer_requirement";

/// Applies `action` (see [`store::apply`]) and then the cascades it starts: an AT's
/// change re-checks the AECs that employ it. Returns the new status.
/// Errors: as [`store::apply`].
#[allow(clippy::too_many_arguments)]
pub fn apply_and_cascade(
    conn: &mut DbConn,
    settings: &Settings,
    row: &AccreditationRow,
    action: Action,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<AccreditationStatus, ServiceError> {
    let deadline = (action == Action::LastTrainerGone).then(|| {
        now.date_naive() + Duration::days(i64::from(settings.accreditation.non_compliant_days))
    });
    let to = store::apply(conn, row, action, actor, reason, deadline, now)?;
    if store::state_of(row)?.0 == AccreditationKind::Trainer {
        recheck_employers(conn, settings, &row.id, now)?;
    }
    Ok(to)
}

/// Re-checks every AEC linked to the AT accreditation `trainer_id`.
pub fn recheck_employers(
    conn: &mut DbConn,
    settings: &Settings,
    trainer_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let aecs: Vec<String> = tl::table
        .filter(tl::trainer_accreditation_id.eq(trainer_id))
        .select(tl::aec_accreditation_id)
        .load(conn)?;
    for aec in aecs {
        recheck_aec(conn, settings, &aec, now)?;
    }
    Ok(())
}

/// Whether AEC `aec_id` has at least one confirmed link to an AT in force.
pub fn has_active_trainer(conn: &mut DbConn, aec_id: &str) -> Result<bool, ServiceError> {
    Ok(store::links_of(conn, aec_id)?
        .iter()
        .any(|(l, in_force)| l.confirmed_at.is_some() && *in_force))
}

/// Applies the AEC trainer requirement to `aec_id` (see the module doc).
pub fn recheck_aec(
    conn: &mut DbConn,
    settings: &Settings,
    aec_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let row = store::load(conn, aec_id)?;
    let (kind, status) = store::state_of(&row)?;
    if kind != AccreditationKind::EducationCenter || row.basis == BASIS_BOOTSTRAP {
        return Ok(());
    }
    let has = has_active_trainer(conn, aec_id)?;
    let action = match (status, has, store::cause_of(&row)?) {
        (AccreditationStatus::Active | AccreditationStatus::RenewalDue, false, _) => Some((
            Action::LastTrainerGone,
            "no active Authorized Trainer is linked",
        )),
        (AccreditationStatus::NonCompliant, true, _)
        | (AccreditationStatus::Suspended, true, Some(SuspensionCause::NoActiveTrainer)) => Some((
            Action::TrainerRestored,
            "an active Authorized Trainer is linked again",
        )),
        _ => None,
    };
    if let Some((action, reason)) = action {
        apply_and_cascade(conn, settings, &row, action, RULE_AEC, Some(reason), now)?;
    }
    Ok(())
}

/// Whether the candidate's level on `now`'s date is `professional` or higher, and
/// the level found (for the reason given).
pub fn standing(
    conn: &mut DbConn,
    settings: &Settings,
    candidate: CandidateId,
    now: DateTime<Utc>,
) -> Result<(bool, Option<Level>), ServiceError> {
    let level = lookups::level_of(conn, settings, candidate, now.date_naive())?;
    Ok((level >= Some(Level::Professional), level))
}

/// Applies the professional-standing rule to the AT accreditation `row`.
pub fn recheck_trainer(
    conn: &mut DbConn,
    settings: &Settings,
    row: &AccreditationRow,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (kind, status) = store::state_of(row)?;
    let Some(candidate) = row.candidate_id.as_deref() else {
        return Ok(());
    };
    if kind != AccreditationKind::Trainer || row.basis == BASIS_BOOTSTRAP {
        return Ok(());
    }
    let candidate: CandidateId = candidate
        .parse()
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("candidate id")))?;
    let (professional, level) = standing(conn, settings, candidate, now)?;
    let action = match (status, professional, store::cause_of(row)?) {
        (AccreditationStatus::Active | AccreditationStatus::RenewalDue, false, _) => Some((
            Action::StandingLost,
            format!(
                "professional standing lost: the trainer's level is {}",
                level.map_or("none", Level::as_str)
            ),
        )),
        (AccreditationStatus::Suspended, true, Some(SuspensionCause::ProfessionalStanding)) => {
            Some((
                Action::StandingRestored,
                "professional standing restored".to_owned(),
            ))
        }
        _ => None,
    };
    if let Some((action, reason)) = action {
        apply_and_cascade(
            conn,
            settings,
            row,
            action,
            RULE_STANDING,
            Some(&reason),
            now,
        )?;
    }
    Ok(())
}

/// Re-applies the standing rule to every AT accreditation of `candidate`: called
/// wherever a certification of that candidate changes (award, suspension,
/// revocation), in the same transaction.
pub fn on_candidate_changed(
    conn: &mut DbConn,
    settings: &Settings,
    candidate: CandidateId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let rows = ac::table
        .filter(ac::candidate_id.eq(candidate.to_string()))
        .filter(ac::status.eq_any([
            AccreditationStatus::Active.as_str(),
            AccreditationStatus::RenewalDue.as_str(),
            AccreditationStatus::Suspended.as_str(),
        ]))
        .order(ac::id.asc())
        .select(AccreditationRow::as_select())
        .load(conn)?;
    for row in rows {
        recheck_trainer(conn, settings, &row, now)?;
    }
    Ok(())
}
