//! Admin decisions on an accreditation (`POST /v1/accreditations/{id}/decisions`):
//! start_review, approve, reject, suspend, reinstate, revoke — each with a reason,
//! each one transition of the table and one audit event. Approval re-checks
//! eligibility (the AT's `professional` level; an AEC's confirmed AT in force) and
//! issues the initial fee invoice; reinstatement re-checks it too, so a suspension
//! an admin lifts is not re-imposed by the next cascade.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::AccreditationRow;
use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::{AccreditationKind, Action};
use crate::domain::ids::{AccreditationId, CandidateId};
use crate::domain::parties::provider::required_text;

use crate::services::accreditation::applications::missing_for_professional;
use crate::services::accreditation::store::{self, Accreditation, BASIS_BOOTSTRAP};
use crate::services::accreditation::{cascade, fees};
use crate::services::{FieldError, ServiceError};

/// `POST /v1/accreditations/{id}/decisions` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// One of `start_review`, `approve`, `reject`, `suspend`, `reinstate`, `revoke`.
    pub action: Action,
    /// Why; kept in the audit trail.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// What keeps `row` from being approved or reinstated; empty when eligible.
fn ineligible(
    conn: &mut DbConn,
    settings: &Settings,
    row: &AccreditationRow,
    now: DateTime<Utc>,
) -> Result<Vec<FieldError>, ServiceError> {
    if row.basis == BASIS_BOOTSTRAP {
        return Ok(vec![]);
    }
    match store::state_of(row)?.0 {
        AccreditationKind::Trainer => {
            let candidate: CandidateId = row
                .candidate_id
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("AT {} without candidate", row.id))?
                .parse()
                .map_err(anyhow::Error::new)?;
            missing_for_professional(conn, settings, candidate, now)
        }
        AccreditationKind::EducationCenter => {
            if cascade::has_active_trainer(conn, &row.id)? {
                Ok(vec![])
            } else {
                Ok(vec![FieldError::new(
                    "trainer_links",
                    "the centre has no confirmed link to an Authorized Trainer in force",
                )])
            }
        }
    }
}

/// Takes an admin decision (see the module doc) as `actor`.
///
/// Errors: [`ServiceError::Validation`] for an action that is not an admin's or an
/// empty reason; [`ServiceError::NotFound`]; [`ServiceError::Conflict`]
/// `illegal-transition` when the table refuses it from the current status (nothing
/// changes); [`ServiceError::Refused`] `not-eligible` when approval or
/// reinstatement finds the prerequisite missing.
pub fn decide(
    conn: &mut DbConn,
    settings: &Settings,
    stripe: bool,
    id: AccreditationId,
    decision: &Decision,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Accreditation, ServiceError> {
    if !decision.action.is_admin() {
        return Err(ServiceError::invalid(
            "action",
            "one of start_review, approve, reject, suspend, reinstate, revoke",
        ));
    }
    let reason = required_text("reason", &decision.reason, 2000)
        .map_err(|e| ServiceError::invalid("reason", e))?;
    let row = store::find_row(conn, id, None)?;
    let (kind, from) = store::state_of(&row)?;
    // Refuse an illegal transition before any eligibility check, so a 409 says why.
    crate::domain::accreditation::lifecycle::transition(kind, from, decision.action).map_err(
        |e| ServiceError::Conflict {
            kind: "illegal-transition",
            detail: e.to_string(),
        },
    )?;
    if matches!(decision.action, Action::Approve | Action::Reinstate) {
        let missing = ineligible(conn, settings, &row, now)?;
        if !missing.is_empty() {
            return Err(ServiceError::Refused {
                kind: "not-eligible",
                reasons: missing,
            });
        }
    }
    cascade::apply_and_cascade(
        conn,
        settings,
        &row,
        decision.action,
        actor,
        Some(&reason),
        now,
    )?;
    if decision.action == Action::Approve {
        fees::issue_initial(conn, settings, stripe, &row, now)?;
    }
    {
        let fresh = store::load(conn, &row.id)?;
        store::view(conn, fresh)
    }
}
