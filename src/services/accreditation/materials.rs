//! Accredited training materials (docs/domain.md, "Training materials"): an active
//! AT submits materials for one Python version of the end-of-life table
//! ([`python_versions`]); a submission-fee invoice ([`SUBMISSION_FEE`], subject
//! `training_material_fee`) is issued through the one invoicing path; paying it
//! puts them under review ([`fulfil_fee`]); an admin approves them until
//! [`approved_until`] (the period, never past end of life) or rejects them
//! ([`decide`]); the sweep calls [`sweep`]. Materials count as accredited only
//! while approved (or due) AND their AT accreditation is in force.

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::config::Settings;
use crate::db::schema::training_materials as tm;
use crate::db::DbConn;
use crate::domain::accreditation::lifecycle::AccreditationKind;
use crate::domain::accreditation::materials::{
    approved_until, is_language_tag, is_python_version, transition, DeliveryMethod, MaterialAction,
    MaterialStatus,
};
use crate::domain::billing::invoice::InvoiceSubject;
use crate::domain::credentials::catalogue::Tier;
use crate::domain::ids::{AccreditationId, InvoiceId, ProviderId, TrainingMaterialId};
use crate::domain::parties::provider::required_text;

use crate::services::accreditation::{python_versions, store};
use crate::services::billing::catalogue;
use crate::services::billing::invoicing::{self, Buyer, LineInput, PaymentChannel};
use crate::services::billing::payments::PaymentInput;
use crate::services::pagination::{Page, PageRequest};
use crate::services::parties::providers;
use crate::services::{naive, FieldError, ServiceError};

/// Catalogue code of the training-material submission fee (US$300, no term).
pub const SUBMISSION_FEE: &str = "training_material_submission";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tm)]
struct MaterialRow {
    id: String,
    provider_id: String,
    accreditation_id: String,
    title: String,
    level: String,
    python_version: String,
    language: String,
    delivery_method: String,
    status: String,
    status_reason: Option<String>,
    invoice_id: String,
    fee_paid_at: Option<NaiveDateTime>,
    approved_on: Option<NaiveDate>,
    approved_until: Option<NaiveDate>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// `POST /v1/training-materials` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrainingMaterial {
    /// The submitting AT provider: required for admins, implied for providers.
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    /// Title of the materials.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub title: String,
    /// The certification level the materials prepare for.
    pub level: Tier,
    /// Python feature version considered, e.g. `3.13`; must be in the
    /// end-of-life table and not past its end of life.
    #[schema(example = "3.13", pattern = r"^[0-9]{1,3}\.[0-9]{1,3}$")]
    pub python_version: String,
    /// Language of the materials, a BCP 47 tag (e.g. `en`, `pt-BR`).
    #[schema(example = "en", min_length = 2, max_length = 64)]
    pub language: String,
    /// How the materials are delivered.
    pub delivery_method: DeliveryMethod,
}

/// Training materials as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainingMaterial {
    /// Id.
    pub id: TrainingMaterialId,
    /// The submitting AT provider.
    pub provider_id: ProviderId,
    /// The provider's AT accreditation when it submitted.
    pub accreditation_id: AccreditationId,
    /// Title.
    pub title: String,
    /// Certification level.
    pub level: Tier,
    /// Python feature version considered (e.g. `3.13`).
    pub python_version: String,
    /// BCP 47 language tag.
    pub language: String,
    /// Delivery method.
    pub delivery_method: DeliveryMethod,
    /// Status.
    pub status: MaterialStatus,
    /// Reason of the latest decision or clock change.
    pub status_reason: Option<String>,
    /// The submission-fee invoice.
    pub invoice_id: InvoiceId,
    /// Day of the approval.
    pub approved_on: Option<NaiveDate>,
    /// Last day (inclusive) the approval covers: the earlier of approval + the
    /// configured period and the Python version's end of life.
    pub approved_until: Option<NaiveDate>,
    /// Whether the materials count as accredited now: `approved` or
    /// `reaccreditation_due` AND the provider's AT accreditation is in force
    /// (false while the AT is suspended or lapsed).
    pub accredited: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// `POST /v1/training-materials/{id}/decisions` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialDecision {
    /// `approve` or `reject`.
    pub action: MaterialAction,
    /// Why; kept as the status reason.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub reason: String,
}

/// `GET /v1/training-materials` filter and page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MaterialFilter {
    /// Only this provider's (admins; a provider sees only its own anyway).
    pub provider_id: Option<ProviderId>,
    /// Only this status.
    pub status: Option<MaterialStatus>,
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`: the key of the last item seen.
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

fn corrupt(what: &'static str) -> impl FnOnce(uuid::Error) -> ServiceError {
    move |e| ServiceError::Internal(anyhow::Error::new(e).context(what))
}

fn status_of(row: &MaterialRow) -> Result<MaterialStatus, ServiceError> {
    MaterialStatus::from_stored(&row.status)
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("material status")))
}

fn view(row: MaterialRow, at_in_force: bool) -> Result<TrainingMaterial, ServiceError> {
    let status = status_of(&row)?;
    let level = Tier::parse(&row.level)
        .ok_or_else(|| anyhow::anyhow!("training material {} has a corrupt level", row.id))?;
    let delivery_method = DeliveryMethod::from_stored(&row.delivery_method)
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("delivery method")))?;
    Ok(TrainingMaterial {
        id: row.id.parse().map_err(corrupt("material id"))?,
        provider_id: row.provider_id.parse().map_err(corrupt("provider id"))?,
        accreditation_id: row
            .accreditation_id
            .parse()
            .map_err(corrupt("accreditation id"))?,
        title: row.title,
        level,
        python_version: row.python_version,
        language: row.language,
        delivery_method,
        status,
        status_reason: row.status_reason,
        invoice_id: row.invoice_id.parse().map_err(corrupt("invoice id"))?,
        approved_on: row.approved_on,
        approved_until: row.approved_until,
        accredited: status.is_accredited() && at_in_force,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    })
}

fn at_in_force(conn: &mut DbConn, provider: &str) -> Result<bool, ServiceError> {
    let provider: ProviderId = provider.parse().map_err(corrupt("provider id"))?;
    Ok(store::in_force_of(conn, provider, Some(AccreditationKind::Trainer))?.is_some())
}

fn views(conn: &mut DbConn, rows: Vec<MaterialRow>) -> Result<Vec<TrainingMaterial>, ServiceError> {
    let mut cache: std::collections::HashMap<String, bool> = Default::default();
    rows.into_iter()
        .map(|r| {
            let ok = match cache.get(&r.provider_id) {
                Some(ok) => *ok,
                None => {
                    let ok = at_in_force(conn, &r.provider_id)?;
                    cache.insert(r.provider_id.clone(), ok);
                    ok
                }
            };
            view(r, ok)
        })
        .collect()
}

fn find_row(
    conn: &mut DbConn,
    id: TrainingMaterialId,
    scope: Option<ProviderId>,
) -> Result<MaterialRow, ServiceError> {
    let row = tm::table
        .find(id.to_string())
        .select(MaterialRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("training material"))?;
    if scope.is_some_and(|s| s.to_string() != row.provider_id) {
        return Err(ServiceError::NotFound("training material"));
    }
    Ok(row)
}

fn load_view(conn: &mut DbConn, id: &str) -> Result<TrainingMaterial, ServiceError> {
    let row: MaterialRow = tm::table
        .find(id)
        .select(MaterialRow::as_select())
        .first(conn)
        .with_context(|| format!("training material {id}"))?;
    let ok = at_in_force(conn, &row.provider_id)?;
    view(row, ok)
}

fn refused(kind: &'static str, field: &str, detail: String) -> ServiceError {
    ServiceError::Refused {
        kind,
        reasons: vec![FieldError::new(field, detail)],
    }
}

/// Submits training materials and issues the submission-fee invoice, in the
/// caller's transaction. `scope` is a provider caller's own id (`None` for an
/// admin, who must name `provider_id`). Errors: [`ServiceError::Validation`] for a
/// blank title, a malformed Python version or language tag, or a missing
/// `provider_id`; [`ServiceError::NotFound`] for an unknown or foreign provider;
/// [`ServiceError::Refused`] `provider-not-accredited-trainer` unless the provider
/// holds an AT accreditation in force, `python-version-unknown` for a version not
/// in the end-of-life table, `python-version-end-of-life` for one past it.
pub fn submit(
    conn: &mut DbConn,
    settings: &Settings,
    stripe: bool,
    scope: Option<ProviderId>,
    input: &NewTrainingMaterial,
    now: DateTime<Utc>,
) -> Result<TrainingMaterial, ServiceError> {
    let mut errors = vec![];
    let title = required_text("title", &input.title, 500)
        .map_err(|e| errors.push(FieldError::new("title", e)))
        .ok();
    if !is_python_version(&input.python_version) {
        errors.push(FieldError::new(
            "python_version",
            "must be a Python feature version such as 3.13",
        ));
    }
    if !is_language_tag(&input.language) {
        errors.push(FieldError::new(
            "language",
            "must be a BCP 47 language tag such as en or pt-BR",
        ));
    }
    let provider_id = match (scope, input.provider_id) {
        (Some(s), _) => Some(s),
        (None, Some(p)) => Some(p),
        (None, None) => {
            errors.push(FieldError::new("provider_id", "required for an admin"));
            None
        }
    };
    let (Some(title), Some(provider_id), true) = (title, provider_id, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let provider = providers::find_row(conn, provider_id, scope)?;
    let Some(at) = store::in_force_of(conn, provider_id, Some(AccreditationKind::Trainer))? else {
        return Err(refused(
            "provider-not-accredited-trainer",
            "provider_id",
            format!("provider {provider_id} holds no Authorized Trainer accreditation in force; only an active AT submits training materials"),
        ));
    };
    let today = now.date_naive();
    match python_versions::end_of_life(conn, &input.python_version)? {
        None => {
            return Err(refused(
                "python-version-unknown",
                "python_version",
                format!(
                    "Python {} is not in the end-of-life table",
                    input.python_version
                ),
            ))
        }
        Some(eol) if eol < today => {
            return Err(refused(
                "python-version-end-of-life",
                "python_version",
                format!(
                    "Python {} reached its end of life on {eol}",
                    input.python_version
                ),
            ))
        }
        Some(_) => {}
    }
    let id = TrainingMaterialId::new();
    let product = catalogue::find(conn, SUBMISSION_FEE, now)?;
    let description = format!("{} — {}", product.product.name, title);
    let invoice = invoicing::issue(
        conn,
        settings,
        &InvoiceSubject::training_material_fee(id),
        &Buyer::provider(&provider),
        vec![LineInput {
            product,
            quantity: 1,
            description,
            period: None,
        }],
        if stripe {
            PaymentChannel::Card
        } else {
            PaymentChannel::BankTransfer
        },
        now,
    )?;
    diesel::insert_into(tm::table)
        .values(&MaterialRow {
            id: id.to_string(),
            provider_id: provider_id.to_string(),
            accreditation_id: at.id,
            title,
            level: input.level.as_str().to_owned(),
            python_version: input.python_version.clone(),
            language: input.language.clone(),
            delivery_method: input.delivery_method.as_str().to_owned(),
            status: MaterialStatus::Submitted.as_str().to_owned(),
            status_reason: None,
            invoice_id: invoice.id.to_string(),
            fee_paid_at: None,
            approved_on: None,
            approved_until: None,
            created_at: naive(now),
            updated_at: naive(now),
        })
        .execute(conn)?;
    load_view(conn, &id.to_string())
}

/// Lists training materials (a provider sees its own), cursor-paginated in
/// creation order. Errors: a malformed cursor or limit.
pub fn list(
    conn: &mut DbConn,
    filter: &MaterialFilter,
    scope: Option<ProviderId>,
) -> Result<Page<TrainingMaterial>, ServiceError> {
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
    let mut q = tm::table
        .order(tm::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(p) = scope.or(filter.provider_id) {
        q = q.filter(tm::provider_id.eq(p.to_string()));
    }
    if let Some(s) = filter.status {
        q = q.filter(tm::status.eq(s.as_str()));
    }
    if let Some(after) = after {
        q = q.filter(tm::id.gt(after));
    }
    let rows = q.select(MaterialRow::as_select()).load(conn)?;
    let items = views(conn, rows)?;
    Ok(page.page(items, |m| m.id.to_string()))
}

/// One submission; `scope` limits a provider to its own (else 404).
pub fn get(
    conn: &mut DbConn,
    id: TrainingMaterialId,
    scope: Option<ProviderId>,
) -> Result<TrainingMaterial, ServiceError> {
    let row = find_row(conn, id, scope)?;
    let ok = at_in_force(conn, &row.provider_id)?;
    view(row, ok)
}

fn not_allowed(status: MaterialStatus, action: MaterialAction) -> ServiceError {
    ServiceError::Conflict {
        kind: "material-transition-not-allowed",
        detail: format!(
            "training materials in status {} cannot take action {}",
            status.as_str(),
            action.as_str()
        ),
    }
}

fn set_status(
    conn: &mut DbConn,
    row: &MaterialRow,
    to: MaterialStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    diesel::update(tm::table.find(&row.id))
        .filter(tm::status.eq(&row.status))
        .set((
            tm::status.eq(to.as_str()),
            tm::status_reason.eq(reason),
            tm::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// An admin decision (`approve` or `reject`, with a reason) on materials under
/// review. Approval sets `approved_on` to today and `approved_until` by
/// [`approved_until`]. Errors: [`ServiceError::NotFound`];
/// [`ServiceError::Validation`] for a blank reason or another action;
/// [`ServiceError::Conflict`] `material-transition-not-allowed` outside
/// `under_review`; [`ServiceError::Refused`] `python-version-end-of-life` when the
/// version's end of life has passed meanwhile.
pub fn decide(
    conn: &mut DbConn,
    settings: &Settings,
    id: TrainingMaterialId,
    decision: &MaterialDecision,
    now: DateTime<Utc>,
) -> Result<TrainingMaterial, ServiceError> {
    let reason = required_text("reason", &decision.reason, 2000)
        .map_err(|e| ServiceError::Validation(vec![FieldError::new("reason", e)]))?;
    if !matches!(
        decision.action,
        MaterialAction::Approve | MaterialAction::Reject
    ) {
        return Err(ServiceError::Validation(vec![FieldError::new(
            "action",
            "must be approve or reject",
        )]));
    }
    let row = find_row(conn, id, None)?;
    let status = status_of(&row)?;
    let to = transition(status, decision.action).ok_or(not_allowed(status, decision.action))?;
    if decision.action == MaterialAction::Approve {
        let today = now.date_naive();
        let eol = python_versions::end_of_life(conn, &row.python_version)?
            .with_context(|| format!("Python version {} vanished", row.python_version))?;
        let until = approved_until(today, settings.accreditation.materials_period_months, eol)
            .ok_or_else(|| {
                refused(
                    "python-version-end-of-life",
                    "python_version",
                    format!(
                        "Python {} reached its end of life on {eol}",
                        row.python_version
                    ),
                )
            })?;
        diesel::update(tm::table.find(&row.id))
            .set((
                tm::approved_on.eq(Some(today)),
                tm::approved_until.eq(Some(until)),
            ))
            .execute(conn)?;
    }
    set_status(conn, &row, to, Some(&reason), now)?;
    load_view(conn, &row.id)
}

/// Fulfils the submission fee of `id`, whose invoice `invoice_id` was just paid
/// in full (called by the fulfilment dispatcher): `submitted` → `under_review`. A
/// submission already past `submitted` is left alone.
pub fn fulfil_fee(
    conn: &mut DbConn,
    id: TrainingMaterialId,
    invoice_id: InvoiceId,
    _payment: &PaymentInput,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let row: MaterialRow = tm::table
        .find(id.to_string())
        .select(MaterialRow::as_select())
        .first(conn)
        .with_context(|| format!("training material {id} of invoice {invoice_id}"))?;
    let Some(to) = transition(status_of(&row)?, MaterialAction::FeePaid) else {
        return Ok(());
    };
    diesel::update(tm::table.find(&row.id))
        .set(tm::fee_paid_at.eq(Some(naive(now))))
        .execute(conn)?;
    set_status(conn, &row, to, Some("submission fee paid"), now)
}

/// What one [`sweep`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialSweep {
    /// `approved → reaccreditation_due`.
    pub reaccreditation_due: u32,
    /// `→ expired`.
    pub expired: u32,
}

/// The clock for training materials on `as_of`: approved or due materials whose
/// `approved_until` is before `as_of` expire; approved ones within
/// `materials_window_days` of it become `reaccreditation_due`. Idempotent: each
/// moved row leaves the set its rule selects.
pub fn sweep(
    conn: &mut DbConn,
    settings: &Settings,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<MaterialSweep, ServiceError> {
    let window = i64::from(settings.accreditation.materials_window_days);
    let rows = tm::table
        .filter(tm::status.eq_any([
            MaterialStatus::Approved.as_str(),
            MaterialStatus::ReaccreditationDue.as_str(),
        ]))
        .order(tm::id.asc())
        .select(MaterialRow::as_select())
        .load(conn)?;
    let mut report = MaterialSweep::default();
    for row in rows {
        let Some(until) = row.approved_until else {
            continue;
        };
        let status = status_of(&row)?;
        if as_of > until {
            let to = transition(status, MaterialAction::Expire)
                .ok_or(not_allowed(status, MaterialAction::Expire))?;
            set_status(
                conn,
                &row,
                to,
                Some(&format!("approval ended on {until}")),
                now,
            )?;
            report.expired += 1;
        } else if status == MaterialStatus::Approved && as_of >= until - Duration::days(window) {
            let to = MaterialStatus::ReaccreditationDue;
            set_status(
                conn,
                &row,
                to,
                Some(&format!("approval ends on {until}")),
                now,
            )?;
            report.reaccreditation_due += 1;
        }
    }
    Ok(report)
}

/// The materials currently accredited of each provider in `provider_ids` (for the
/// public register): `approved` or `reaccreditation_due`, of providers whose AT
/// accreditation is in force, ordered by provider then id.
pub fn accredited_materials(
    conn: &mut DbConn,
    provider_ids: &[ProviderId],
) -> Result<Vec<TrainingMaterial>, ServiceError> {
    let rows = tm::table
        .filter(tm::provider_id.eq_any(provider_ids.iter().map(|p| p.to_string())))
        .filter(tm::status.eq_any([
            MaterialStatus::Approved.as_str(),
            MaterialStatus::ReaccreditationDue.as_str(),
        ]))
        .order((tm::provider_id.asc(), tm::id.asc()))
        .select(MaterialRow::as_select())
        .load(conn)?;
    Ok(views(conn, rows)?
        .into_iter()
        .filter(|m| m.accredited)
        .collect())
}
