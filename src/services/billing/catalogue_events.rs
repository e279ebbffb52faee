//! The catalogue's audit trail (docs/domain.md, "Catalogue administration"): one
//! append-only row per change to a product or a credential, with who, when, why and
//! the entry as it was before and after, like the accreditation events.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::catalogue_events as ce;
use crate::db::DbConn;
use crate::domain::credentials::catalogue_admin::{CatalogueAction, CatalogueSubject};

use crate::services::{naive, ServiceError};

/// Maps the unique violation of a concurrent creation with the same code (the
/// first one committed) to the 409 `kind` a sequential duplicate gets; any other
/// database error stays internal.
pub(crate) fn duplicate_as_conflict(
    e: diesel::result::Error,
    kind: &'static str,
    detail: String,
) -> ServiceError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            ServiceError::Conflict { kind, detail }
        }
        other => other.into(),
    }
}

/// One entry of a catalogue entry's audit trail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogueEvent {
    /// Id (a UUIDv7: ids sort in recording order).
    pub id: uuid::Uuid,
    /// `product` or `credential`.
    pub subject_kind: CatalogueSubject,
    /// The product or credential code.
    pub subject_code: String,
    /// What was done.
    pub action: CatalogueAction,
    /// Who did it: `<role>:<subject>` of the access token.
    pub actor: String,
    /// Why, as the admin gave it.
    pub reason: Option<String>,
    /// The entry before the change (the record as `GET` shows it); absent on creation.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The entry after the change (for `price_added`: the new price version).
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// What one audit row records besides the subject.
pub struct Change<'a> {
    /// What was done.
    pub action: CatalogueAction,
    /// `<role>:<subject>` of the caller.
    pub actor: &'a str,
    /// The admin's reason, if given.
    pub reason: Option<&'a str>,
    /// The entry before; `None` on creation.
    pub before: Option<serde_json::Value>,
    /// The entry after.
    pub after: serde_json::Value,
}

/// Appends one audit row, in the caller's transaction.
/// Errors: only database failures ([`ServiceError::Internal`]).
pub fn record(
    conn: &mut DbConn,
    subject: CatalogueSubject,
    code: &str,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    diesel::insert_into(ce::table)
        .values((
            ce::id.eq(uuid::Uuid::now_v7().to_string()),
            ce::subject_kind.eq(subject.as_str()),
            ce::subject_code.eq(code),
            ce::action.eq(change.action.as_str()),
            ce::actor.eq(change.actor),
            ce::reason.eq(change.reason),
            ce::before_state.eq(change.before.map(|v| v.to_string())),
            ce::after_state.eq(change.after.to_string()),
            ce::at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

type EventRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    chrono::NaiveDateTime,
);

/// The audit trail of one entry, oldest first. The caller checks that the entry
/// exists (an unknown code is a 404 there, not an empty list here).
/// Errors: a stored row that does not parse ([`ServiceError::Internal`]).
pub fn list(
    conn: &mut DbConn,
    subject: CatalogueSubject,
    code: &str,
) -> Result<Vec<CatalogueEvent>, ServiceError> {
    let rows: Vec<EventRow> = ce::table
        .filter(ce::subject_kind.eq(subject.as_str()))
        .filter(ce::subject_code.eq(code))
        .order(ce::id.asc())
        .select((
            ce::id,
            ce::subject_kind,
            ce::subject_code,
            ce::action,
            ce::actor,
            ce::reason,
            ce::before_state,
            ce::after_state,
            ce::at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, kind, code, action, actor, reason, before, after, at)| {
                use anyhow::Context as _;
                let json = |s: &str| -> Result<serde_json::Value, ServiceError> {
                    Ok(serde_json::from_str(s).context("catalogue event state")?)
                };
                Ok(CatalogueEvent {
                    id: id.parse().context("catalogue event id")?,
                    subject_kind: CatalogueSubject::parse(&kind)
                        .with_context(|| format!("catalogue event subject {kind:?}"))?,
                    subject_code: code,
                    action: CatalogueAction::parse(&action)
                        .with_context(|| format!("catalogue event action {action:?}"))?,
                    actor,
                    reason,
                    before: before.as_deref().map(json).transpose()?,
                    after: json(&after)?,
                    at: at.and_utc(),
                })
            },
        )
        .collect()
}
