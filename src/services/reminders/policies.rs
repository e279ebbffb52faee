//! Reading and replacing reminder policies (`GET/POST /v1/reminder-policies`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::domain::reminders::{FinalAction, Policy, Step, SubjectKind};
use crate::services::{naive, FieldError, ServiceError};

use crate::db::schema::reminder_policies as rp;

/// A policy as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyView {
    /// The subject kind the policy is for.
    pub subject_kind: SubjectKind,
    /// Steps sorted by `offset_days`.
    pub steps: Vec<Step>,
    /// What the last enabled step also does (only `invoice` may have one).
    pub final_action: FinalAction,
    /// When it was last replaced (UTC).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Who replaced it last (`migration` for the seeded defaults).
    pub updated_by: String,
}

/// The body of `POST /v1/reminder-policies`: the whole policy of one subject kind.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// The subject kind whose policy is replaced.
    pub subject_kind: SubjectKind,
    /// The steps (offsets unique, templates existing).
    #[schema(min_items = 1, max_items = 50)]
    pub steps: Vec<Step>,
    /// Final action; `none` when absent.
    #[serde(default = "no_action")]
    pub final_action: FinalAction,
}

fn no_action() -> FinalAction {
    FinalAction::None
}

type Row = (String, String, String, NaiveDateTime, String);

fn view(row: Row) -> Result<(Policy, PolicyView), ServiceError> {
    let kind = SubjectKind::from_stored(&row.0).map_err(anyhow::Error::new)?;
    let steps: Vec<Step> = serde_json::from_str(&row.1)
        .map_err(|e| anyhow::Error::new(e).context("stored reminder policy steps"))?;
    let final_action = FinalAction::from_stored(&row.2).map_err(anyhow::Error::new)?;
    let mut sorted = steps.clone();
    sorted.sort_by_key(|s| s.offset_days);
    Ok((
        Policy {
            kind,
            steps: sorted.clone(),
            final_action,
        },
        PolicyView {
            subject_kind: kind,
            steps: sorted,
            final_action,
            updated_at: row.3.and_utc(),
            updated_by: row.4,
        },
    ))
}

fn load_all(conn: &mut DbConn) -> Result<Vec<(Policy, PolicyView)>, ServiceError> {
    let rows: Vec<Row> = rp::table
        .order(rp::subject_kind.asc())
        .select((
            rp::subject_kind,
            rp::steps,
            rp::final_action,
            rp::updated_at,
            rp::updated_by,
        ))
        .load(conn)?;
    rows.into_iter().map(view).collect()
}

/// Every policy, by subject kind.
pub fn list(conn: &mut DbConn) -> Result<Vec<PolicyView>, ServiceError> {
    Ok(load_all(conn)?.into_iter().map(|(_, v)| v).collect())
}

/// The policies the sweep applies, as domain values.
pub fn active(conn: &mut DbConn) -> Result<Vec<Policy>, ServiceError> {
    Ok(load_all(conn)?.into_iter().map(|(p, _)| p).collect())
}

/// Creates or replaces the policy of `input.subject_kind`. `template_exists`
/// checks a template name against the compiled email templates. Reminders
/// already decided stay as they are (they are keyed by offset and due date).
///
/// Errors: [`ServiceError::Validation`] (422) for no step, duplicate offsets, an
/// offset beyond ±3650 days, an unknown template, or a final action on a kind
/// other than `invoice`.
pub fn put(
    conn: &mut DbConn,
    input: PolicyInput,
    template_exists: impl Fn(&str) -> bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PolicyView, ServiceError> {
    let policy = Policy::parse(
        input.subject_kind,
        input.steps,
        input.final_action,
        template_exists,
    )
    .map_err(|errs| {
        ServiceError::Validation(
            errs.into_iter()
                .map(|(f, d)| FieldError::new(f, d))
                .collect(),
        )
    })?;
    let steps = serde_json::to_string(&policy.steps).map_err(anyhow::Error::new)?;
    let kind = policy.kind.as_str();
    diesel::delete(rp::table.find(kind)).execute(conn)?;
    diesel::insert_into(rp::table)
        .values((
            rp::subject_kind.eq(kind),
            rp::steps.eq(&steps),
            rp::final_action.eq(policy.final_action.as_str()),
            rp::updated_at.eq(naive(now)),
            rp::updated_by.eq(actor),
        ))
        .execute(conn)?;
    Ok(PolicyView {
        subject_kind: policy.kind,
        steps: policy.steps,
        final_action: policy.final_action,
        updated_at: naive(now).and_utc(),
        updated_by: actor.to_owned(),
    })
}
