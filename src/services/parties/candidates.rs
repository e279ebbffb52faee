//! Candidates (test-takers): sign-up, password login, their record with the derived
//! level, admin-recorded equivalent experience, and community contributions.

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password::{hash_secret, verify_secret};
use crate::auth::Principal;
use crate::db::models::{CandidateRow, ContributionRow, EquivalentExperienceRow};
use crate::db::schema::{candidates as cd, contributions as co, equivalent_experiences as ee};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::credentials::levels::{ContributionStatus, Level};
use crate::domain::ids::{CandidateId, ContributionId};
use crate::domain::parties::provider::{required_text, CountryCode, EmailAddress};
use crate::domain::role::Role;

use crate::services::lookups;
use crate::services::{naive, FieldError, ServiceError};

/// `POST /v1/candidates` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCandidate {
    /// Login and mail address.
    #[schema(schema_with = crate::services::request_schema::email)]
    pub email: String,
    /// Given name, full Unicode, printed on certificates exactly as given.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub given_name: String,
    /// Family name, full Unicode.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub family_name: String,
    /// ISO 3166-1 alpha-2, an officially assigned code.
    #[schema(schema_with = crate::services::request_schema::country)]
    pub country: String,
    /// 12 to 256 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}

/// A candidate as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    /// Id.
    pub id: CandidateId,
    /// Email.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Country.
    pub country: String,
    /// Level derived from held certifications and verified credits (absent before
    /// the first certification).
    pub level: Option<Level>,
    /// Verified community-involvement credits.
    pub verified_credits: i64,
    /// Sign-up instant.
    pub created_at: DateTime<Utc>,
}

/// Registers a candidate. Errors: [`ServiceError::Validation`];
/// [`ServiceError::Conflict`] `email-already-registered` when the address has an
/// account (a state of the system, not a fault of the request: 409).
pub fn sign_up(
    conn: &mut DbConn,
    input: NewCandidate,
    now: DateTime<Utc>,
) -> Result<CandidateId, ServiceError> {
    let mut errors = Vec::new();
    let mut text = |field: &str, v: &str| {
        required_text(field, v, 100)
            .map_err(|e| errors.push(FieldError::new(field, e)))
            .unwrap_or_default()
    };
    let given_name = text("given_name", &input.given_name);
    let family_name = text("family_name", &input.family_name);
    let email = EmailAddress::parse(&input.email)
        .map_err(|e| errors.push(FieldError::new("email", e)))
        .ok();
    let country = CountryCode::parse(&input.country)
        .map_err(|e| errors.push(FieldError::new("country", e)))
        .ok();
    let len = input.password.chars().count();
    if !(12..=256).contains(&len) {
        errors.push(FieldError::new("password", "must be 12 to 256 characters"));
    }
    let (Some(email), Some(country), true) = (email, country, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let id = CandidateId::new();
    let hash = hash_secret(&input.password).context("hashing the password")?;
    let res = diesel::insert_into(cd::table)
        .values(&CandidateRow {
            id: id.to_string(),
            email: email.as_str().to_lowercase(),
            given_name,
            family_name,
            country: country.as_str().to_owned(),
            password_hash: hash,
            stripe_customer_id: None,
            created_at: naive(now),
        })
        .execute(conn);
    match res {
        Ok(_) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(ServiceError::Conflict {
            kind: "email-already-registered",
            detail: "this email is already registered; log in instead".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Checks a candidate's password. Unknown email and wrong password answer alike
/// ([`ServiceError::InvalidClient`]) and cost the same hash verification.
pub fn login(conn: &mut DbConn, email: &str, password: &str) -> Result<Principal, ServiceError> {
    let row: Option<CandidateRow> = cd::table
        .filter(cd::email.eq(email.trim().to_lowercase()))
        .select(CandidateRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        let _ = verify_secret(password, crate::auth::password::dummy_hash());
        return Err(ServiceError::InvalidClient);
    };
    if !verify_secret(password, &row.password_hash) {
        return Err(ServiceError::InvalidClient);
    }
    let id: CandidateId = row.id.parse().map_err(anyhow::Error::new)?;
    Ok(Principal {
        subject: row.id,
        role: Role::Candidate,
        provider_id: None,
        candidate_id: Some(id),
        vendor_id: None,
    })
}

/// The candidate's record with its derived level.
pub fn get(
    conn: &mut DbConn,
    settings: &crate::config::Settings,
    id: CandidateId,
    today: chrono::NaiveDate,
) -> Result<Candidate, ServiceError> {
    let row = lookups::find_candidate(conn, id)?;
    let credits = lookups::verified_credits(conn, id)?;
    let level = lookups::level_of(conn, settings, id, today)?;
    Ok(Candidate {
        id,
        email: row.email,
        given_name: row.given_name,
        family_name: row.family_name,
        country: row.country,
        level,
        verified_credits: credits,
        created_at: row.created_at.and_utc(),
    })
}

/// `POST /v1/candidates/{id}/equivalent-experience` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEquivalentExperience {
    /// The prerequisite credential this experience stands in for (e.g. `PCEP`).
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub credential_code: String,
    /// Why: the case made, kept for audit.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub reason: String,
}

/// Records equivalent experience (admin): it satisfies one prerequisite.
pub fn grant_equivalent(
    conn: &mut DbConn,
    id: CandidateId,
    input: &NewEquivalentExperience,
    granted_by: &str,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, ServiceError> {
    lookups::find_candidate(conn, id)?;
    // A code in the body that names no credential is bad input (422), not a
    // missing resource: the 404 of this route means the candidate.
    lookups::find_credential(conn, &input.credential_code)
        .map_err(|_| ServiceError::invalid("credential_code", "unknown credential"))?;
    let reason = required_text("reason", &input.reason, 2000)
        .map_err(|e| ServiceError::invalid("reason", e))?;
    let row = EquivalentExperienceRow {
        id: uuid::Uuid::now_v7().to_string(),
        candidate_id: id.to_string(),
        credential_code: input.credential_code.clone(),
        reason,
        granted_by: granted_by.to_owned(),
        created_at: naive(now),
    };
    match diesel::insert_into(ee::table).values(&row).execute(conn) {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Conflict {
                kind: "equivalent-experience-exists",
                detail: format!(
                    "equivalent experience for {} is already recorded",
                    input.credential_code
                ),
            })
        }
        Err(e) => return Err(e.into()),
    }
    Ok(
        serde_json::json!({"id": row.id, "candidate_id": id, "credential_code": row.credential_code, "reason": row.reason}),
    )
}

/// `POST /v1/candidates/{id}/contributions` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContribution {
    /// What was contributed (talks, code, mentoring…), with links.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub description: String,
}

/// A community contribution.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Contribution {
    /// Id.
    pub id: ContributionId,
    /// Candidate.
    pub candidate_id: CandidateId,
    /// Description.
    pub description: String,
    /// `submitted`, `verified` or `rejected`.
    pub status: String,
    /// Credits granted when verified.
    pub credits: i32,
}

fn contribution_view(r: ContributionRow) -> Result<Contribution, ServiceError> {
    Ok(Contribution {
        id: r.id.parse().map_err(anyhow::Error::new)?,
        candidate_id: r.candidate_id.parse().map_err(anyhow::Error::new)?,
        description: r.description,
        status: r.status,
        credits: r.credits,
    })
}

/// Submits a contribution for verification.
pub fn submit_contribution(
    conn: &mut DbConn,
    id: CandidateId,
    input: &NewContribution,
    now: DateTime<Utc>,
) -> Result<Contribution, ServiceError> {
    lookups::find_candidate(conn, id)?;
    let description = required_text("description", &input.description, 4000)
        .map_err(|e| ServiceError::invalid("description", e))?;
    let row = ContributionRow {
        id: ContributionId::new().to_string(),
        candidate_id: id.to_string(),
        description,
        status: ContributionStatus::Submitted.as_str().into(),
        credits: 0,
        reviewed_by: None,
        created_at: naive(now),
        reviewed_at: None,
    };
    diesel::insert_into(co::table).values(&row).execute(conn)?;
    contribution_view(row)
}

/// `POST /v1/contributions/{id}/review` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributionReview {
    /// True to verify, false to reject.
    pub verified: bool,
    /// Credits granted when verified: 1–100 (ignored when rejecting; default 0).
    #[serde(default, deserialize_with = "crate::domain::integral::i32")]
    #[schema(minimum = 0, maximum = 100)]
    pub credits: i32,
}

/// Verifies or rejects a submitted contribution (admin).
pub fn review_contribution(
    conn: &mut DbConn,
    id: ContributionId,
    input: &ContributionReview,
    reviewer: &str,
    now: DateTime<Utc>,
) -> Result<Contribution, ServiceError> {
    let row: ContributionRow = co::table
        .find(id.to_string())
        .select(ContributionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("contribution"))?;
    if row.status != ContributionStatus::Submitted.as_str() {
        return Err(ServiceError::Conflict {
            kind: "contribution-reviewed",
            detail: "this contribution was already reviewed".into(),
        });
    }
    if input.verified && !(1..=100).contains(&input.credits) {
        return Err(ServiceError::invalid(
            "credits",
            "must be 1 to 100 for a verified contribution",
        ));
    }
    let (status, credits) = if input.verified {
        (ContributionStatus::Verified.as_str(), input.credits)
    } else {
        (ContributionStatus::Rejected.as_str(), 0)
    };
    diesel::update(co::table.find(&row.id))
        .set((
            co::status.eq(status),
            co::credits.eq(credits),
            co::reviewed_by.eq(Some(reviewer)),
            co::reviewed_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    contribution_view(ContributionRow {
        status: status.into(),
        credits,
        ..row
    })
}
