//! Use cases that change a person's professional standing outside certifications,
//! and the accreditations that rest on it (docs/domain.md, "Accreditation
//! cascades"): verified community-contribution credits count towards the
//! `professional` and `expert` levels (proposal, "Community Involvement"), so
//! reviewing a contribution re-checks the person's AT accreditations at once
//! instead of waiting for the next sweep. Certification changes do the same from
//! the credentials services.
//!
//! This module sits above `parties` and `accreditation` so neither imports the
//! other.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::DbConn;
use crate::domain::ids::ContributionId;
use crate::services::accreditation::cascade;
use crate::services::parties::candidates::{self, Contribution, ContributionReview};
use crate::services::ServiceError;

/// Verifies or rejects a submitted contribution (admin; `POST
/// /v1/contributions/{id}/review`), then re-checks the standing of the person's AT
/// accreditations: credits that lift the person back to `professional` reinstate
/// an AT suspended for `professional_standing` in the same transaction.
///
/// Errors: as `candidates::review_contribution` (404 unknown contribution, 409
/// already reviewed, 422 credits out of 1–100 when verifying).
pub fn review_contribution(
    conn: &mut DbConn,
    settings: &Settings,
    id: ContributionId,
    input: &ContributionReview,
    reviewer: &str,
    now: DateTime<Utc>,
) -> Result<Contribution, ServiceError> {
    let reviewed = candidates::review_contribution(conn, id, input, reviewer, now)?;
    cascade::on_candidate_changed(conn, settings, reviewed.candidate_id, now)?;
    Ok(reviewed)
}
