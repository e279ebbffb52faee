//! Reading and writing accreditations: rows to API views, scoped look-ups, and
//! [`apply`] — the one place a status changes: it asks the domain's transition
//! table, stores the new status and appends exactly one audit event, in the
//! caller's transaction.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::{AccreditationEventRow, AccreditationRow, TrainerLinkRow};
use crate::db::schema::{
    accreditation_events as ev, accreditation_fees, accreditations as ac, aec_trainer_links as tl,
};
use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::{
    self, AccreditationKind, AccreditationStatus, Action, SuspensionCause,
};
use crate::domain::ids::{
    AccreditationEventId, AccreditationId, CandidateId, InvoiceId, ProviderId, TrainerLinkId,
};

use crate::services::{naive, ServiceError};

/// How an accreditation came to be.
pub const BASIS_APPLICATION: &str = "application";
/// Admitted by an admin's formal review, without the usual prerequisite.
pub const BASIS_BOOTSTRAP: &str = "bootstrap_review";

/// One AT an AEC employs, as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainerLink {
    /// Link id (used to confirm it).
    pub id: TrainerLinkId,
    /// The AT's accreditation.
    pub trainer_accreditation_id: AccreditationId,
    /// When the AT's provider confirmed the link; absent until then.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Whether the AT's accreditation is in force (`active` or `renewal_due`).
    pub trainer_in_force: bool,
}

/// An accreditation as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Accreditation {
    /// Id.
    pub id: AccreditationId,
    /// The accredited provider.
    pub provider_id: ProviderId,
    /// `trainer` (AT) or `education_center` (AEC).
    pub kind: AccreditationKind,
    /// Current status.
    pub status: AccreditationStatus,
    /// Public accreditation number, printed on the certificate (e.g. `AT-2026-…`).
    pub number: String,
    /// `application` or `bootstrap_review`.
    pub basis: String,
    /// The case made in a bootstrap review.
    pub review_case: Option<String>,
    /// AT only: the person who trains (candidate record).
    pub candidate_id: Option<CandidateId>,
    /// The applicant's statement.
    pub statement: String,
    /// AEC only: the training facility's address.
    pub facility_address: Option<String>,
    /// AEC only: the facility's capacity (seats).
    pub facility_capacity: Option<i32>,
    /// AEC only: the attestation text.
    pub attestation: Option<String>,
    /// Reason of the latest status change that gave one.
    pub status_reason: Option<String>,
    /// Why it is suspended (`admin`, `professional_standing`, `no_active_trainer`).
    pub suspension_cause: Option<SuspensionCause>,
    /// AEC in `non_compliant`: the day it is suspended without an active AT.
    pub non_compliant_deadline: Option<NaiveDate>,
    /// First day of the first paid term.
    pub starts_on: Option<NaiveDate>,
    /// First day no longer covered by a paid term (exclusive).
    pub expires_on: Option<NaiveDate>,
    /// AEC only: the ATs it employs.
    pub trainer_links: Vec<TrainerLink>,
    /// The fee invoice awaiting payment (initial fee after approval, or a
    /// maintenance fee), if any.
    pub fee_invoice_id: Option<InvoiceId>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccreditationEvent {
    /// Id (time-ordered).
    pub id: AccreditationEventId,
    /// An [`Action`] name, or the basis (`application`, `bootstrap_review`) for the
    /// event that created the accreditation.
    pub action: String,
    /// Status before; absent for the creating event.
    pub from_status: Option<AccreditationStatus>,
    /// Status after.
    pub to_status: AccreditationStatus,
    /// Who: `admin:<client id>`, `provider:<client id>`, or the rule
    /// (`payment:<invoice number>`, `rule:professional_standing`,
    /// `rule:aec_trainer_requirement`, `clock:sweep`).
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T, ServiceError>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse::<T>()
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("stored id")))
}

/// The parsed kind and status of a row. Errors: a corrupt stored value.
pub fn state_of(
    row: &AccreditationRow,
) -> Result<(AccreditationKind, AccreditationStatus), ServiceError> {
    Ok((
        AccreditationKind::from_stored(&row.kind).context("accreditation kind")?,
        AccreditationStatus::from_stored(&row.status).context("accreditation status")?,
    ))
}

/// The stored suspension cause. Errors: a corrupt stored value.
pub fn cause_of(row: &AccreditationRow) -> Result<Option<SuspensionCause>, ServiceError> {
    Ok(row
        .suspension_cause
        .as_deref()
        .map(SuspensionCause::from_stored)
        .transpose()
        .context("suspension cause")?)
}

/// The confirmed links of AEC `aec_id` and whether each AT is in force.
pub fn links_of(
    conn: &mut DbConn,
    aec_id: &str,
) -> Result<Vec<(TrainerLinkRow, bool)>, ServiceError> {
    let rows: Vec<(TrainerLinkRow, String)> = tl::table
        .inner_join(ac::table.on(ac::id.eq(tl::trainer_accreditation_id)))
        .filter(tl::aec_accreditation_id.eq(aec_id))
        .order(tl::id.asc())
        .select((TrainerLinkRow::as_select(), ac::status))
        .load(conn)?;
    rows.into_iter()
        .map(|(l, s)| {
            let status = AccreditationStatus::from_stored(&s).context("trainer status")?;
            Ok((l, status.in_force()))
        })
        .collect()
}

/// The API view of a row.
pub fn view(conn: &mut DbConn, row: AccreditationRow) -> Result<Accreditation, ServiceError> {
    let (kind, status) = state_of(&row)?;
    let trainer_links = links_of(conn, &row.id)?
        .into_iter()
        .map(|(l, in_force)| {
            Ok(TrainerLink {
                id: parse_id(&l.id)?,
                trainer_accreditation_id: parse_id(&l.trainer_accreditation_id)?,
                confirmed_at: l.confirmed_at.map(|t| t.and_utc()),
                trainer_in_force: in_force,
            })
        })
        .collect::<Result<Vec<_>, ServiceError>>()?;
    Ok(Accreditation {
        id: parse_id(&row.id)?,
        provider_id: parse_id(&row.provider_id)?,
        kind,
        status,
        suspension_cause: cause_of(&row)?,
        number: row.number,
        basis: row.basis,
        review_case: row.review_case,
        candidate_id: row.candidate_id.as_deref().map(parse_id).transpose()?,
        statement: row.statement,
        facility_address: row.facility_address,
        facility_capacity: row.facility_capacity,
        attestation: row.attestation,
        status_reason: row.status_reason,
        non_compliant_deadline: row.non_compliant_deadline,
        starts_on: row.starts_on,
        expires_on: row.expires_on,
        trainer_links,
        fee_invoice_id: open_fee_invoice(conn, &row.id)?,
        created_at: row.created_at.and_utc(),
    })
}

/// Loads an accreditation; a provider caller (`scope`) sees only its own.
/// Errors: [`ServiceError::NotFound`] for unknown and foreign ids alike.
pub fn find_row(
    conn: &mut DbConn,
    id: AccreditationId,
    scope: Option<ProviderId>,
) -> Result<AccreditationRow, ServiceError> {
    let mut q = ac::table.find(id.to_string()).into_boxed();
    if let Some(p) = scope {
        q = q.filter(ac::provider_id.eq(p.to_string()));
    }
    q.select(AccreditationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("accreditation"))
}

/// Loads a row by its stored id (no scope). Errors: a missing row (a bug).
pub fn load(conn: &mut DbConn, id: &str) -> Result<AccreditationRow, ServiceError> {
    Ok(ac::table
        .find(id)
        .select(AccreditationRow::as_select())
        .first(conn)
        .with_context(|| format!("accreditation {id}"))?)
}

/// Appends one audit event.
#[allow(clippy::too_many_arguments)]
pub fn record_event(
    conn: &mut DbConn,
    accreditation_id: &str,
    action: &str,
    from: Option<AccreditationStatus>,
    to: AccreditationStatus,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    diesel::insert_into(ev::table)
        .values(&AccreditationEventRow {
            id: AccreditationEventId::new().to_string(),
            accreditation_id: accreditation_id.to_owned(),
            action: action.to_owned(),
            from_status: from.map(|s| s.as_str().to_owned()),
            to_status: to.as_str().to_owned(),
            actor: actor.to_owned(),
            reason: reason.map(str::to_owned),
            at: naive(now),
        })
        .execute(conn)?;
    Ok(())
}

/// Applies `action` to the accreditation `row` (see the module doc): the new status,
/// its suspension cause (set entering `suspended`, cleared leaving it), the reason
/// and the non-compliance deadline (`deadline`, kept only in `non_compliant`), and
/// one audit event. Returns the new status.
///
/// Errors: [`ServiceError::Conflict`] `illegal-transition` when the table refuses
/// (nothing is written).
#[allow(clippy::too_many_arguments)]
pub fn apply(
    conn: &mut DbConn,
    row: &AccreditationRow,
    action: Action,
    actor: &str,
    reason: Option<&str>,
    deadline: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<AccreditationStatus, ServiceError> {
    let (kind, from) = state_of(row)?;
    let to = lifecycle::transition(kind, from, action).map_err(|e| ServiceError::Conflict {
        kind: "illegal-transition",
        detail: e.to_string(),
    })?;
    let cause = if to == AccreditationStatus::Suspended && from == AccreditationStatus::Suspended {
        cause_of(row)?
    } else {
        lifecycle::suspension_cause(action, to)
    };
    let deadline = if to == AccreditationStatus::NonCompliant {
        deadline.or(row.non_compliant_deadline)
    } else {
        None
    };
    // A change of status shows its own reason; a payment that keeps the status
    // (e.g. while suspended) keeps the reason that status was entered with.
    let status_reason = if to == from {
        row.status_reason.clone()
    } else {
        reason.map(str::to_owned)
    };
    diesel::update(ac::table.find(&row.id))
        .set((
            ac::status.eq(to.as_str()),
            ac::suspension_cause.eq(cause.map(|c| c.as_str())),
            ac::non_compliant_deadline.eq(deadline),
            ac::status_reason.eq(status_reason),
            ac::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    record_event(
        conn,
        &row.id,
        action.as_str(),
        Some(from),
        to,
        actor,
        reason,
        now,
    )?;
    Ok(to)
}

/// The audit trail of one accreditation, oldest first; `scope` as [`find_row`].
pub fn events(
    conn: &mut DbConn,
    id: AccreditationId,
    scope: Option<ProviderId>,
) -> Result<Vec<AccreditationEvent>, ServiceError> {
    find_row(conn, id, scope)?;
    ev::table
        .filter(ev::accreditation_id.eq(id.to_string()))
        .order(ev::id.asc())
        .select(AccreditationEventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|e| {
            Ok(AccreditationEvent {
                id: parse_id(&e.id)?,
                action: e.action,
                from_status: e
                    .from_status
                    .as_deref()
                    .map(AccreditationStatus::from_stored)
                    .transpose()
                    .context("event from status")?,
                to_status: AccreditationStatus::from_stored(&e.to_status)
                    .context("event to status")?,
                actor: e.actor,
                reason: e.reason,
                at: e.at.and_utc(),
            })
        })
        .collect()
}

/// The provider's live accreditation in force, if any (any kind, or `kind` only).
pub fn in_force_of(
    conn: &mut DbConn,
    provider: ProviderId,
    kind: Option<AccreditationKind>,
) -> Result<Option<AccreditationRow>, ServiceError> {
    let mut q = ac::table
        .filter(ac::provider_id.eq(provider.to_string()))
        .filter(ac::status.eq_any([
            AccreditationStatus::Active.as_str(),
            AccreditationStatus::RenewalDue.as_str(),
        ]))
        .into_boxed();
    if let Some(k) = kind {
        q = q.filter(ac::kind.eq(k.as_str()));
    }
    Ok(q.select(AccreditationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Shared by the gates: the provider's latest accreditation status, for the reason
/// a gate gives (`None` when it never had one).
pub fn latest_status_of(
    conn: &mut DbConn,
    provider: ProviderId,
) -> Result<Option<(AccreditationKind, AccreditationStatus)>, ServiceError> {
    let row = ac::table
        .filter(ac::provider_id.eq(provider.to_string()))
        .order(ac::id.desc())
        .select(AccreditationRow::as_select())
        .first(conn)
        .optional()?;
    row.as_ref().map(state_of).transpose()
}

/// The invoice of the fee awaiting payment, if any.
pub fn open_fee_invoice(
    conn: &mut DbConn,
    accreditation_id: &str,
) -> Result<Option<InvoiceId>, ServiceError> {
    let id: Option<String> = accreditation_fees::table
        .filter(accreditation_fees::accreditation_id.eq(accreditation_id))
        .filter(accreditation_fees::state.eq("awaiting_payment"))
        .select(accreditation_fees::invoice_id)
        .first(conn)
        .optional()?;
    id.map(|s| {
        s.parse()
            .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("invoice id")))
    })
    .transpose()
}
