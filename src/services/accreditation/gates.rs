//! What accreditation gates (docs/domain.md, "What accreditation gates"): buying or
//! renewing a course-content licence needs an accreditation in force (`active` or
//! `renewal_due`); an exam order's referring centre must be an AEC in force. A
//! refusal is a 422 problem naming the reason, and nothing is written.

use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::AccreditationKind;
use crate::domain::ids::ProviderId;

use crate::services::accreditation::store;
use crate::services::{FieldError, ServiceError};

fn reason(conn: &mut DbConn, provider: ProviderId, what: &str) -> Result<String, ServiceError> {
    Ok(match store::latest_status_of(conn, provider)? {
        None => format!("provider {provider} has no accreditation; {what}"),
        Some((kind, status)) => {
            format!("provider {provider}'s {kind} accreditation is {status}; {what}")
        }
    })
}

/// Refuses unless `provider` holds an AT or AEC accreditation in force.
/// Errors: [`ServiceError::Refused`] `provider-not-accredited` (422).
pub fn require_accredited(conn: &mut DbConn, provider: ProviderId) -> Result<(), ServiceError> {
    if store::in_force_of(conn, provider, None)?.is_some() {
        return Ok(());
    }
    let detail = reason(
        conn,
        provider,
        "only an active Authorized Trainer or Education Center buys or renews course-content licences",
    )?;
    Err(ServiceError::Refused {
        kind: "provider-not-accredited",
        reasons: vec![FieldError::new("provider_id", detail)],
    })
}

/// Refuses unless `provider` holds an AEC accreditation in force.
/// Errors: [`ServiceError::Refused`] `referrer-not-accredited` (422).
pub fn require_referring_centre(
    conn: &mut DbConn,
    provider: ProviderId,
) -> Result<(), ServiceError> {
    if store::in_force_of(conn, provider, Some(AccreditationKind::EducationCenter))?.is_some() {
        return Ok(());
    }
    let detail = reason(
        conn,
        provider,
        "only an active Authorized Education Center can be the referring centre",
    )?;
    Err(ServiceError::Refused {
        kind: "referrer-not-accredited",
        reasons: vec![FieldError::new("referring_provider_id", detail)],
    })
}
