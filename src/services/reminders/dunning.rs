//! The final action of the dunning policy, run once: when the reminder row of the
//! invoice policy's final enabled step is first written (its unique key makes it
//! once, however many sweeps run).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::schema::{accreditations as ac, invoices as inv};
use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::{AccreditationStatus, Action};
use crate::domain::reminders::FinalAction;
use crate::services::accreditation::{cascade, store};
use crate::services::ServiceError;

/// Actor of dunning's suspensions in the accreditation audit trail.
pub const RULE_DUNNING: &str = "rule:dunning";

/// Performs `action` for the overdue invoice `invoice_id` and returns whether it
/// changed anything.
///
/// - `suspend_accreditation`: the invoiced provider's accreditations in force
///   (`active | renewal_due`) are suspended like an admin suspension, actor
///   [`RULE_DUNNING`], through the same service as the API (with its cascades).
///   A candidate's invoice, or a provider with none in force, changes nothing.
/// - `mark_uncollectible`: **not connected yet** — see [`mark_uncollectible`].
pub fn act(
    conn: &mut DbConn,
    settings: &Settings,
    action: FinalAction,
    invoice_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    match action {
        FinalAction::None => Ok(false),
        FinalAction::MarkUncollectible => mark_uncollectible(conn, invoice_id, now),
        FinalAction::SuspendAccreditation => {
            let provider: Option<String> = inv::table
                .find(invoice_id)
                .select(inv::provider_id)
                .first(conn)?;
            let Some(provider) = provider else {
                return Ok(false);
            };
            let ids: Vec<String> = ac::table
                .filter(ac::provider_id.eq(&provider))
                .filter(ac::status.eq_any([
                    AccreditationStatus::Active.as_str(),
                    AccreditationStatus::RenewalDue.as_str(),
                ]))
                .select(ac::id)
                .load(conn)?;
            let reason = format!("invoice {invoice_id} unpaid after the final dunning reminder");
            for id in &ids {
                let row = store::load(conn, id)?;
                cascade::apply_and_cascade(
                    conn,
                    settings,
                    &row,
                    Action::Suspend,
                    RULE_DUNNING,
                    Some(&reason),
                    now,
                )?;
            }
            Ok(!ids.is_empty())
        }
    }
}

/// THE single call point of dunning's `mark_uncollectible`. Invoice write-off
/// (`open → uncollectible` with its ledger entry) is being added in parallel by the
/// billing work; until it is merged this records nothing beyond the reminder row
/// (whose `final_action` column says `mark_uncollectible`) and logs a warning. The
/// lead connects it here, and only here, to the write-off service.
pub fn mark_uncollectible(
    _conn: &mut DbConn,
    invoice_id: &str,
    _now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    tracing::warn!(
        invoice_id,
        "dunning: mark_uncollectible recorded; invoice write-off is not connected yet"
    );
    Ok(false)
}
