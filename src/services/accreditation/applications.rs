//! Applying for accreditation (docs/domain.md, "Accreditation"): an AT names the
//! person who trains, who must hold the `professional` level; an AEC describes its
//! facility and names the AT accreditations it employs, each link confirmed by that
//! AT's own provider account. An admin may instead admit a provider by formal
//! review (`"basis": "bootstrap_review"`, the case recorded in the audit trail):
//! no prerequisite, no fee, in force at once for one term. Also the reads.

use chrono::{DateTime, Months, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::{AccreditationRow, TrainerLinkRow};
use crate::db::schema::{accreditations as ac, aec_trainer_links as tl};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::accreditation::lifecycle::{AccreditationKind, AccreditationStatus};
use crate::domain::credentials::catalogue::{holds, Tier};
use crate::domain::ids::{AccreditationId, CandidateId, ProviderId, TrainerLinkId};
use crate::domain::parties::provider::required_text;

use crate::services::accreditation::cascade;
use crate::services::accreditation::fees;
use crate::services::accreditation::store::{
    self, Accreditation, TrainerLink, BASIS_APPLICATION, BASIS_BOOTSTRAP,
};
use crate::services::lookups;
use crate::services::pagination::{Page, PageRequest};
use crate::services::parties::providers;
use crate::services::{naive, FieldError, ServiceError};

/// An AEC's training facility.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    /// Postal address of the training facility.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub address: String,
    /// Seats in the facility, 1–100000.
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: i32,
    /// The attestation the centre signs (facility, equipment, employed trainers).
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub attestation: String,
}

/// `POST /v1/accreditations` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccreditation {
    /// `trainer` (AT) or `education_center` (AEC); must be the provider's kind.
    pub kind: AccreditationKind,
    /// The applying provider: required for admins, implied for providers.
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    /// AT only: the candidate record of the person who trains.
    #[serde(default)]
    pub candidate_id: Option<CandidateId>,
    /// Why the provider should be accredited.
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub statement: String,
    /// AEC only: the training facility.
    #[serde(default)]
    pub facility: Option<Facility>,
    /// AEC only: the AT accreditations it employs (at least one).
    #[serde(default)]
    pub trainer_accreditation_ids: Vec<AccreditationId>,
    /// Admin only: `bootstrap_review` admits without the prerequisite and the fee.
    #[serde(default)]
    pub basis: Option<String>,
    /// With `bootstrap_review`: the case made in the formal review.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub case: Option<String>,
}

/// Who is asking: a provider (its scope) or an admin, and the audit actor name.
#[derive(Debug, Clone)]
pub struct Requester {
    /// The provider scope of a provider caller; `None` for an admin.
    pub scope: Option<ProviderId>,
    /// `admin:<client id>` or `provider:<client id>`.
    pub actor: String,
}

fn text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    required_text(field, value, max).map_err(|e| FieldError::new(field, e))
}

/// What keeps `candidate` from the `professional` level on `now`'s date: each
/// missing professional credential and the shortfall of verified credits; empty
/// when it holds the level.
pub fn missing_for_professional(
    conn: &mut DbConn,
    settings: &Settings,
    candidate: CandidateId,
    now: DateTime<Utc>,
) -> Result<Vec<FieldError>, ServiceError> {
    if cascade::standing(conn, settings, candidate, now)?.0 {
        return Ok(vec![]);
    }
    let today = now.date_naive();
    let held = lookups::held(conn, candidate)?;
    let mut reasons: Vec<FieldError> = lookups::catalogue_rules(conn)?
        .into_iter()
        .filter(|r| r.tier == Tier::Professional && !holds(&held, &r.code, today))
        .map(|r| {
            FieldError::new(
                "candidate_id",
                format!("the trainer does not hold {} ({}) in force", r.code, r.name),
            )
        })
        .collect();
    let credits = lookups::verified_credits(conn, candidate)?;
    let needed = i64::from(settings.levels.professional_min_credits);
    if credits < needed {
        reasons.push(FieldError::new(
            "candidate_id",
            format!("the trainer has {credits} verified community credits; {needed} are needed"),
        ));
    }
    if reasons.is_empty() {
        reasons.push(FieldError::new(
            "candidate_id",
            "the trainer does not hold the professional level",
        ));
    }
    Ok(reasons)
}

/// Creates an application, or (admin, `bootstrap_review`) an admission; see the
/// module doc. Errors: [`ServiceError::Validation`] for bad or missing fields (a
/// kind that is not the provider's, a facility on an AT, unknown trainer
/// accreditations); [`ServiceError::NotFound`] for an unknown or foreign provider;
/// [`ServiceError::Refused`] `not-eligible` when the AT's person is below
/// `professional` (each missing piece named); [`ServiceError::Conflict`]
/// `accreditation-exists` when the provider already has a live accreditation.
pub fn apply(
    conn: &mut DbConn,
    settings: &Settings,
    who: &Requester,
    req: &NewAccreditation,
    now: DateTime<Utc>,
) -> Result<Accreditation, ServiceError> {
    let provider_id = match (who.scope, req.provider_id) {
        (Some(own), None) => own,
        (Some(own), Some(asked)) if asked == own => own,
        (Some(_), Some(_)) => return Err(ServiceError::NotFound("provider")),
        (None, Some(asked)) => asked,
        (None, None) => {
            return Err(ServiceError::invalid(
                "provider_id",
                "required when applying on behalf of a provider",
            ))
        }
    };
    let provider = providers::find_row(conn, provider_id, None)?;
    let mut errors = Vec::new();
    if provider.kind != req.kind.as_str() {
        errors.push(FieldError::new(
            "kind",
            format!("the provider is a {}, not a {}", provider.kind, req.kind),
        ));
    }
    let statement = text("statement", &req.statement, 10_000);
    let bootstrap = match req.basis.as_deref() {
        None => None,
        Some(BASIS_BOOTSTRAP) if who.scope.is_none() => match &req.case {
            Some(c) => match text("case", c, 10_000) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => {
                errors.push(FieldError::new("case", "required with bootstrap_review"));
                None
            }
        },
        Some(BASIS_BOOTSTRAP) => {
            errors.push(FieldError::new(
                "basis",
                "only an admin admits by bootstrap review",
            ));
            None
        }
        Some(_) => {
            errors.push(FieldError::new("basis", "must be bootstrap_review"));
            None
        }
    };
    if req.basis.is_none() && req.case.is_some() {
        errors.push(FieldError::new("case", "only with basis bootstrap_review"));
    }
    let mut facility = None;
    match req.kind {
        AccreditationKind::Trainer => {
            if req.candidate_id.is_none() {
                errors.push(FieldError::new(
                    "candidate_id",
                    "required: the person who trains",
                ));
            }
            if req.facility.is_some() || !req.trainer_accreditation_ids.is_empty() {
                errors.push(FieldError::new(
                    "facility",
                    "a trainer has no facility or employed trainers",
                ));
            }
        }
        AccreditationKind::EducationCenter => {
            if req.candidate_id.is_some() {
                errors.push(FieldError::new(
                    "candidate_id",
                    "an education centre names its trainers' accreditations instead",
                ));
            }
            match &req.facility {
                None => errors.push(FieldError::new("facility", "required for a centre")),
                Some(f) => {
                    let address = text("facility.address", &f.address, 2000);
                    let attestation = text("facility.attestation", &f.attestation, 10_000);
                    if !(1..=100_000).contains(&f.capacity) {
                        errors.push(FieldError::new(
                            "facility.capacity",
                            "must be between 1 and 100000",
                        ));
                    }
                    match (address, attestation) {
                        (Ok(a), Ok(t)) => facility = Some((a, f.capacity, t)),
                        (a, t) => errors.extend(a.err().into_iter().chain(t.err())),
                    }
                }
            }
            if req.trainer_accreditation_ids.is_empty() && bootstrap.is_none() {
                errors.push(FieldError::new(
                    "trainer_accreditation_ids",
                    "name at least one Authorized Trainer the centre employs",
                ));
            }
            if req.trainer_accreditation_ids.len() > 500 {
                errors.push(FieldError::new("trainer_accreditation_ids", "at most 500"));
            }
            for (i, t) in req.trainer_accreditation_ids.iter().enumerate() {
                let found = ac::table
                    .find(t.to_string())
                    .filter(ac::kind.eq(AccreditationKind::Trainer.as_str()))
                    .select(ac::id)
                    .first::<String>(conn)
                    .optional()?;
                if found.is_none() {
                    errors.push(FieldError::new(
                        format!("trainer_accreditation_ids[{i}]"),
                        "not an Authorized Trainer accreditation",
                    ));
                }
            }
        }
    }
    if let Some(c) = req.candidate_id {
        if lookups::find_candidate(conn, c).is_err() {
            errors.push(FieldError::new("candidate_id", "unknown candidate"));
        }
    }
    let statement = match statement {
        Ok(s) if errors.is_empty() => s,
        Ok(_) => return Err(ServiceError::Validation(errors)),
        Err(e) => {
            errors.push(e);
            return Err(ServiceError::Validation(errors));
        }
    };
    if let (AccreditationKind::Trainer, Some(c), None) = (req.kind, req.candidate_id, &bootstrap) {
        let missing = missing_for_professional(conn, settings, c, now)?;
        if !missing.is_empty() {
            return Err(ServiceError::Refused {
                kind: "not-eligible",
                reasons: missing,
            });
        }
    }
    let today = now.date_naive();
    let (status, basis, expires_on) = match &bootstrap {
        Some(_) => (
            AccreditationStatus::Active,
            BASIS_BOOTSTRAP,
            Some(
                today
                    .checked_add_months(Months::new(settings.accreditation.term_months))
                    .ok_or_else(|| anyhow::anyhow!("accreditation term out of range"))?,
            ),
        ),
        None => (AccreditationStatus::Applied, BASIS_APPLICATION, None),
    };
    let id = AccreditationId::new();
    let row = AccreditationRow {
        id: id.to_string(),
        provider_id: provider.id.clone(),
        kind: req.kind.as_str().to_owned(),
        status: status.as_str().to_owned(),
        number: fees::new_number(req.kind, now),
        basis: basis.to_owned(),
        review_case: bootstrap.clone(),
        candidate_id: req.candidate_id.map(|c| c.to_string()),
        statement,
        facility_address: facility.as_ref().map(|f| f.0.clone()),
        facility_capacity: facility.as_ref().map(|f| f.1),
        attestation: facility.as_ref().map(|f| f.2.clone()),
        status_reason: None,
        suspension_cause: None,
        non_compliant_deadline: None,
        starts_on: expires_on.map(|_| today),
        expires_on,
        certificate_pdf: None,
        certificate_sha256: None,
        created_at: naive(now),
        updated_at: naive(now),
    };
    match diesel::insert_into(ac::table).values(&row).execute(conn) {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(ServiceError::Conflict {
                kind: "accreditation-exists",
                detail:
                    "the provider already has an accreditation that is neither rejected nor revoked"
                        .into(),
            })
        }
        Err(e) => return Err(e.into()),
    }
    for t in &req.trainer_accreditation_ids {
        let res = diesel::insert_into(tl::table)
            .values(&TrainerLinkRow {
                id: TrainerLinkId::new().to_string(),
                aec_accreditation_id: row.id.clone(),
                trainer_accreditation_id: t.to_string(),
                confirmed_at: None,
                created_at: naive(now),
            })
            .execute(conn);
        match res {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(ServiceError::invalid(
                    "trainer_accreditation_ids",
                    "each trainer at most once",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    store::record_event(
        conn,
        &row.id,
        basis,
        None,
        status,
        &who.actor,
        bootstrap.as_deref(),
        now,
    )?;
    if bootstrap.is_some() {
        fees::issue_certificate(conn, settings, &row, None, now)?;
    }
    {
        let fresh = store::load(conn, &row.id)?;
        store::view(conn, fresh)
    }
}

/// Confirms link `link_id` of AEC accreditation `aec_id`, from the linked AT's own
/// provider account (`scope`; admins may confirm for it). Confirming twice is a
/// no-op. A confirmed link to an AT in force may bring a non-compliant AEC back to
/// `active`. Errors: [`ServiceError::NotFound`] for unknown ids and for a link
/// whose AT belongs to another provider.
pub fn confirm_link(
    conn: &mut DbConn,
    settings: &Settings,
    scope: Option<ProviderId>,
    aec_id: AccreditationId,
    link_id: TrainerLinkId,
    now: DateTime<Utc>,
) -> Result<TrainerLink, ServiceError> {
    let link: TrainerLinkRow = tl::table
        .find(link_id.to_string())
        .filter(tl::aec_accreditation_id.eq(aec_id.to_string()))
        .select(TrainerLinkRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("trainer link"))?;
    let trainer_id: AccreditationId = link
        .trainer_accreditation_id
        .parse()
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("link")))?;
    let trainer = store::find_row(conn, trainer_id, scope)
        .map_err(|_| ServiceError::NotFound("trainer link"))?;
    if link.confirmed_at.is_none() {
        diesel::update(tl::table.find(&link.id))
            .set(tl::confirmed_at.eq(Some(naive(now))))
            .execute(conn)?;
        cascade::recheck_aec(conn, settings, &link.aec_accreditation_id, now)?;
    }
    let confirmed_at: Option<chrono::NaiveDateTime> = tl::table
        .find(&link.id)
        .select(tl::confirmed_at)
        .first(conn)?;
    Ok(TrainerLink {
        id: link_id,
        trainer_accreditation_id: trainer_id,
        confirmed_at: confirmed_at.map(|t| t.and_utc()),
        trainer_in_force: store::state_of(&trainer)?.1.in_force(),
    })
}

/// One accreditation; `scope` limits a provider to its own.
pub fn get(
    conn: &mut DbConn,
    id: AccreditationId,
    scope: Option<ProviderId>,
) -> Result<Accreditation, ServiceError> {
    let row = store::find_row(conn, id, scope)?;
    store::view(conn, row)
}

/// Filters of `GET /v1/accreditations`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccreditationFilter {
    /// Only this provider's (providers always see only their own).
    pub provider_id: Option<ProviderId>,
    /// Only this kind.
    pub kind: Option<AccreditationKind>,
    /// Only this status.
    pub status: Option<AccreditationStatus>,
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`: the key of the last item seen.
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

/// Lists accreditations in creation order, one page at a time.
/// Errors: [`ServiceError::Validation`] on a bad limit or cursor.
pub fn list(
    conn: &mut DbConn,
    filter: &AccreditationFilter,
    scope: Option<ProviderId>,
) -> Result<Page<Accreditation>, ServiceError> {
    let page = PageRequest {
        limit: filter.limit,
        cursor: filter.cursor.clone(),
    };
    let after = page.after()?;
    if scope.is_some() && filter.provider_id.is_some_and(|p| Some(p) != scope) {
        return Ok(Page {
            data: vec![],
            next_cursor: None,
        });
    }
    let mut q = ac::table
        .order(ac::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(p) = scope.or(filter.provider_id) {
        q = q.filter(ac::provider_id.eq(p.to_string()));
    }
    if let Some(k) = filter.kind {
        q = q.filter(ac::kind.eq(k.as_str()));
    }
    if let Some(s) = filter.status {
        q = q.filter(ac::status.eq(s.as_str()));
    }
    if let Some(after) = after {
        q = q.filter(ac::id.gt(after));
    }
    let rows = q.select(AccreditationRow::as_select()).load(conn)?;
    let items = rows
        .into_iter()
        .map(|r| store::view(conn, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, |a| a.id.to_string()))
}
