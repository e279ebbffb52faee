//! Credentials as data an admin runs (docs/domain.md, "Catalogue administration"):
//! create and edit a credential's name, tier, prerequisites, retake wait, voucher
//! and certification validity and exam fee product; deactivate and reactivate it.
//! Every change is audited with the record before and after. A deactivated
//! credential stays on the certifications that hold it but no exam order for it is
//! taken ([`require_active`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{
    credential_components as cc, credential_prerequisites as cp, credentials as cr, products as pr,
};
use crate::db::DbConn;
use crate::domain::billing::product::ProductKind;
use crate::domain::credentials::catalogue::Tier;
use crate::domain::credentials::catalogue_admin::{
    find_cycle, valid_credential_code, within, CatalogueAction, CatalogueSubject,
    CERTIFICATION_VALIDITY_MONTHS_RANGE, RETAKE_WAIT_DAYS_RANGE, VOUCHER_VALIDITY_MONTHS_RANGE,
};

use crate::services::billing::catalogue_admin::{check_name, check_reason};
use crate::services::billing::catalogue_events::{self, CatalogueEvent, Change};
use crate::services::{FieldError, ServiceError};

/// A credential as the admin endpoints return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CredentialRecord {
    /// Code, e.g. `PCAP`.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Tier in the track.
    pub tier: Tier,
    /// Whether it is earned by an exam (false: a composite awarded from its components).
    pub exam: bool,
    /// Whether exam orders for it are taken.
    pub active: bool,
    /// All-of prerequisites to register for the exam, in code order.
    pub prerequisites: Vec<String>,
    /// All-of components, for composites, in code order.
    pub components: Vec<String>,
    /// Days a candidate waits after a failed attempt.
    pub retake_wait_days: u32,
    /// Months a voucher stays usable after purchase.
    pub voucher_validity_months: u32,
    /// Months a certification is valid after issue; absent = lifetime.
    pub validity_months: Option<u32>,
    /// The `exam_fee` product sold for its exam; absent for composites.
    pub exam_fee_product: Option<String>,
}

/// `POST /v1/credentials` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    /// Code: an upper-case letter, then 1–15 upper-case letters or digits.
    #[schema(pattern = "^[A-Z][A-Z0-9]{1,15}$")]
    pub code: String,
    /// Full name, 1–200 characters.
    pub name: String,
    /// Tier in the track.
    pub tier: Tier,
    /// Codes of existing credentials required first (no cycles).
    #[serde(default)]
    pub prerequisites: Vec<String>,
    /// For a composite (no exam, no fee): codes of existing credentials whose holders
    /// are awarded it. Empty for an exam credential.
    #[serde(default)]
    pub components: Vec<String>,
    /// Days to wait after a failed attempt, 0–365 (default 14).
    #[serde(default, deserialize_with = "crate::domain::integral::option_u32")]
    #[schema(minimum = 0, maximum = 365)]
    pub retake_wait_days: Option<u32>,
    /// Months a voucher stays usable, 1–60 (default 12).
    #[serde(default, deserialize_with = "crate::domain::integral::option_u32")]
    #[schema(minimum = 1, maximum = 60)]
    pub voucher_validity_months: Option<u32>,
    /// Months a certification is valid, 1–120; absent = lifetime.
    #[serde(default, deserialize_with = "crate::domain::integral::option_u32")]
    #[schema(minimum = 1, maximum = 120)]
    pub validity_months: Option<u32>,
    /// The exam fee product (kind `exam_fee`); required for an exam credential,
    /// refused for a composite.
    #[serde(default)]
    pub exam_fee_product: Option<String>,
    /// Why (kept in the audit trail).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `PATCH /v1/credentials/{code}` body: the fields to change (at least one besides
/// `reason`). Whether a credential is an exam or a composite, and its components,
/// are fixed at creation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialChange {
    /// New name, 1–200 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// New tier.
    #[serde(default)]
    pub tier: Option<Tier>,
    /// The new prerequisite set (replaces the old one; no cycles).
    #[serde(default)]
    pub prerequisites: Option<Vec<String>>,
    /// Days to wait after a failed attempt, 0–365.
    #[serde(default, deserialize_with = "crate::domain::integral::option_u32")]
    #[schema(minimum = 0, maximum = 365)]
    pub retake_wait_days: Option<u32>,
    /// Months a voucher stays usable, 1–60 (vouchers already issued keep their date).
    #[serde(default, deserialize_with = "crate::domain::integral::option_u32")]
    #[schema(minimum = 1, maximum = 60)]
    pub voucher_validity_months: Option<u32>,
    /// Months a certification is valid, 1–120, or `null` for lifetime
    /// (certifications already issued keep their expiry).
    #[serde(
        default,
        deserialize_with = "crate::domain::integral::explicit_option_u32",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 120)]
    pub validity_months: Option<Option<u32>>,
    /// The exam fee product (kind `exam_fee`), for exam credentials.
    #[serde(default)]
    pub exam_fee_product: Option<String>,
    /// `false` deactivates (a `reason` is then required), `true` reactivates.
    #[serde(default)]
    pub active: Option<bool>,
    /// Why (kept in the audit trail); required to deactivate.
    #[serde(default)]
    pub reason: Option<String>,
}

type Row = (
    String,
    String,
    String,
    bool,
    Option<String>,
    i32,
    i32,
    Option<i32>,
    bool,
);

fn load(conn: &mut DbConn, code: &str) -> Result<Option<CredentialRecord>, ServiceError> {
    use anyhow::Context as _;
    let row: Option<Row> = cr::table
        .find(code)
        .select((
            cr::code,
            cr::name,
            cr::tier,
            cr::is_exam,
            cr::product_code,
            cr::retake_wait_days,
            cr::voucher_validity_months,
            cr::validity_months,
            cr::active,
        ))
        .first(conn)
        .optional()?;
    let Some((code, name, tier, exam, product, retake, voucher, validity, active)) = row else {
        return Ok(None);
    };
    let mut prerequisites: Vec<String> = cp::table
        .filter(cp::credential_code.eq(&code))
        .select(cp::required_code)
        .load(conn)?;
    prerequisites.sort();
    let mut components: Vec<String> = cc::table
        .filter(cc::composite_code.eq(&code))
        .select(cc::component_code)
        .load(conn)?;
    components.sort();
    let u = |v: i32, what: &str| {
        u32::try_from(v).with_context(|| format!("credential {code} {what} is {v}"))
    };
    Ok(Some(CredentialRecord {
        tier: Tier::parse(&tier).with_context(|| format!("credential {code} tier {tier:?}"))?,
        retake_wait_days: u(retake, "retake wait").map_err(ServiceError::Internal)?,
        voucher_validity_months: u(voucher, "voucher validity").map_err(ServiceError::Internal)?,
        validity_months: validity
            .map(|m| u(m, "validity"))
            .transpose()
            .map_err(ServiceError::Internal)?,
        code,
        name,
        exam,
        active,
        prerequisites,
        components,
        exam_fee_product: product,
    }))
}

/// One credential as the admin sees it.
/// Errors: [`ServiceError::NotFound`] for an unknown code.
pub fn get(conn: &mut DbConn, code: &str) -> Result<CredentialRecord, ServiceError> {
    load(conn, code)?.ok_or(ServiceError::NotFound("credential"))
}

/// Refuses a sale for a deactivated credential. Errors: [`ServiceError::Conflict`]
/// `credential-inactive` (409); [`ServiceError::NotFound`] for an unknown code.
pub fn require_active(conn: &mut DbConn, code: &str) -> Result<(), ServiceError> {
    if get(conn, code)?.active {
        Ok(())
    } else {
        Err(ServiceError::Conflict {
            kind: "credential-inactive",
            detail: format!("credential `{code}` is deactivated; its exam cannot be bought"),
        })
    }
}

/// Checks that every code in `codes` is a credential (422 on `field` otherwise),
/// and returns them deduplicated in code order.
fn existing(
    conn: &mut DbConn,
    errors: &mut Vec<FieldError>,
    field: &str,
    codes: &[String],
) -> Result<Vec<String>, ServiceError> {
    let set: BTreeSet<String> = codes.iter().cloned().collect();
    let known: Vec<String> = cr::table
        .filter(cr::code.eq_any(&set))
        .select(cr::code)
        .load(conn)?;
    for c in &set {
        if !known.contains(c) {
            errors.push(FieldError::new(field, format!("unknown credential `{c}`")));
        }
    }
    Ok(set.into_iter().collect())
}

fn check_fee_product(
    conn: &mut DbConn,
    errors: &mut Vec<FieldError>,
    code: &str,
) -> Result<(), ServiceError> {
    let kind: Option<String> = pr::table
        .find(code)
        .select(pr::kind)
        .first(conn)
        .optional()?;
    match kind.as_deref().and_then(ProductKind::parse) {
        Some(ProductKind::ExamFee) => {}
        Some(_) => errors.push(FieldError::new(
            "exam_fee_product",
            format!("`{code}` is not of kind exam_fee"),
        )),
        None => errors.push(FieldError::new(
            "exam_fee_product",
            format!("unknown product `{code}`"),
        )),
    }
    Ok(())
}

fn check_numbers(
    errors: &mut Vec<FieldError>,
    retake: Option<u32>,
    voucher: Option<u32>,
    validity: Option<u32>,
) {
    let mut check = |field: &str, v: Option<u32>, range: (u32, u32)| {
        if v.is_some_and(|v| !within(v, range)) {
            errors.push(FieldError::new(
                field,
                format!("must be {} to {}", range.0, range.1),
            ));
        }
    };
    check("retake_wait_days", retake, RETAKE_WAIT_DAYS_RANGE);
    check(
        "voucher_validity_months",
        voucher,
        VOUCHER_VALIDITY_MONTHS_RANGE,
    );
    check(
        "validity_months",
        validity,
        CERTIFICATION_VALIDITY_MONTHS_RANGE,
    );
}

/// Refuses a catalogue where `code` would need `requires` and that closes a cycle.
/// Runs inside the request's write transaction.
/// Errors: [`ServiceError::Conflict`] `prerequisite-cycle` (409) naming the cycle.
fn refuse_cycle(conn: &mut DbConn, code: &str, requires: &[String]) -> Result<(), ServiceError> {
    // Two concurrent edits could each close half a cycle; on PostgreSQL every
    // credential row is locked until commit so they take turns (SQLite writers
    // already do). `FOR UPDATE` does not go through the multi-backend connection.
    if let DbConn::Pg(c) = conn {
        cr::table.select(cr::code).for_update().load::<String>(c)?;
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let prereqs: Vec<(String, String)> = cp::table
        .select((cp::credential_code, cp::required_code))
        .load(conn)?;
    let comps: Vec<(String, String)> = cc::table
        .select((cc::composite_code, cc::component_code))
        .load(conn)?;
    for (from, to) in prereqs.into_iter().chain(comps) {
        if from != code {
            graph.entry(from).or_default().insert(to);
        }
    }
    graph
        .entry(code.to_owned())
        .or_default()
        .extend(requires.iter().cloned());
    match find_cycle(&graph) {
        Some(cycle) => Err(ServiceError::Conflict {
            kind: "prerequisite-cycle",
            detail: format!(
                "the prerequisites would form a cycle: {}",
                cycle.join(" requires ")
            ),
        }),
        None => Ok(()),
    }
}

fn replace_prerequisites(
    conn: &mut DbConn,
    code: &str,
    prerequisites: &[String],
) -> Result<(), ServiceError> {
    diesel::delete(cp::table.filter(cp::credential_code.eq(code))).execute(conn)?;
    for p in prerequisites {
        diesel::insert_into(cp::table)
            .values((cp::credential_code.eq(code), cp::required_code.eq(p)))
            .execute(conn)?;
    }
    Ok(())
}

fn audit(
    conn: &mut DbConn,
    code: &str,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    catalogue_events::record(conn, CatalogueSubject::Credential, code, change, now)
}

fn json(r: &CredentialRecord) -> Result<serde_json::Value, ServiceError> {
    Ok(serde_json::to_value(r).map_err(anyhow::Error::new)?)
}

/// Creates a credential (admin), active, and audits it. Errors:
/// [`ServiceError::Validation`] (422) for a malformed code or name, a number out of
/// range, an unknown prerequisite or component, a missing, unknown or non-`exam_fee`
/// fee product (or one given for a composite); [`ServiceError::Conflict`] (409)
/// `credential-exists` or `prerequisite-cycle`.
pub fn create(
    conn: &mut DbConn,
    input: &NewCredential,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<CredentialRecord, ServiceError> {
    let mut errors = Vec::new();
    if !valid_credential_code(&input.code) {
        errors.push(FieldError::new(
            "code",
            "must be an upper-case letter, then 1 to 15 upper-case letters or digits",
        ));
    }
    check_name(&mut errors, "name", &input.name);
    check_reason(&mut errors, input.reason.as_deref());
    check_numbers(
        &mut errors,
        input.retake_wait_days,
        input.voucher_validity_months,
        input.validity_months,
    );
    let prerequisites = existing(conn, &mut errors, "prerequisites", &input.prerequisites)?;
    let components = existing(conn, &mut errors, "components", &input.components)?;
    let exam = components.is_empty();
    match (&input.exam_fee_product, exam) {
        (Some(p), true) => check_fee_product(conn, &mut errors, p)?,
        (None, true) => errors.push(FieldError::new(
            "exam_fee_product",
            "an exam credential needs its exam fee product",
        )),
        (Some(_), false) => errors.push(FieldError::new(
            "exam_fee_product",
            "a composite credential has no exam and no fee",
        )),
        (None, false) => {}
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    if load(conn, &input.code)?.is_some() {
        return Err(ServiceError::Conflict {
            kind: "credential-exists",
            detail: format!("credential `{}` already exists", input.code),
        });
    }
    let requires: Vec<String> = prerequisites.iter().chain(&components).cloned().collect();
    refuse_cycle(conn, &input.code, &requires)?;
    let to_i32 = |v: u32| i32::try_from(v).map_err(anyhow::Error::new);
    diesel::insert_into(cr::table)
        .values((
            cr::code.eq(&input.code),
            cr::name.eq(input.name.trim()),
            cr::tier.eq(input.tier.as_str()),
            cr::is_exam.eq(exam),
            cr::product_code.eq(&input.exam_fee_product),
            cr::retake_wait_days.eq(to_i32(input.retake_wait_days.unwrap_or(14))?),
            cr::voucher_validity_months.eq(to_i32(input.voucher_validity_months.unwrap_or(12))?),
            cr::validity_months.eq(input.validity_months.map(to_i32).transpose()?),
            cr::active.eq(true),
        ))
        .execute(conn)
        .map_err(|e| {
            catalogue_events::duplicate_as_conflict(
                e,
                "credential-exists",
                format!("credential `{}` already exists", input.code),
            )
        })?;
    replace_prerequisites(conn, &input.code, &prerequisites)?;
    for c in &components {
        diesel::insert_into(cc::table)
            .values((cc::composite_code.eq(&input.code), cc::component_code.eq(c)))
            .execute(conn)?;
    }
    let after = get(conn, &input.code)?;
    let change = Change {
        action: CatalogueAction::Created,
        actor,
        reason: input.reason.as_deref(),
        before: None,
        after: json(&after)?,
    };
    audit(conn, &input.code, change, now)?;
    Ok(after)
}

/// Edits a credential (admin) and audits the change; a request that changes nothing
/// records nothing. Errors: [`ServiceError::NotFound`] for an unknown code;
/// [`ServiceError::Validation`] (422) as for [`create`], for an empty change, or a
/// deactivation without reason; [`ServiceError::Conflict`] `prerequisite-cycle` (409).
pub fn update(
    conn: &mut DbConn,
    code: &str,
    input: &CredentialChange,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<CredentialRecord, ServiceError> {
    let before = get(conn, code)?;
    let mut errors = Vec::new();
    let nothing = input.name.is_none()
        && input.tier.is_none()
        && input.prerequisites.is_none()
        && input.retake_wait_days.is_none()
        && input.voucher_validity_months.is_none()
        && input.validity_months.is_none()
        && input.exam_fee_product.is_none()
        && input.active.is_none();
    if nothing {
        errors.push(FieldError::new("body", "give at least one field to change"));
    }
    if let Some(n) = &input.name {
        check_name(&mut errors, "name", n);
    }
    check_reason(&mut errors, input.reason.as_deref());
    check_numbers(
        &mut errors,
        input.retake_wait_days,
        input.voucher_validity_months,
        input.validity_months.flatten(),
    );
    let prerequisites = match &input.prerequisites {
        Some(p) => Some(existing(conn, &mut errors, "prerequisites", p)?),
        None => None,
    };
    if let Some(p) = &input.exam_fee_product {
        if before.exam {
            check_fee_product(conn, &mut errors, p)?;
        } else {
            errors.push(FieldError::new(
                "exam_fee_product",
                "a composite credential has no exam and no fee",
            ));
        }
    }
    if before.active && input.active == Some(false) && input.reason.is_none() {
        errors.push(FieldError::new("reason", "required to deactivate"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    if let Some(p) = &prerequisites {
        let requires: Vec<String> = p.iter().chain(&before.components).cloned().collect();
        refuse_cycle(conn, code, &requires)?;
        replace_prerequisites(conn, code, p)?;
    }
    let to_i32 = |v: u32| i32::try_from(v).map_err(anyhow::Error::new);
    let validity = input.validity_months.unwrap_or(before.validity_months);
    diesel::update(cr::table.find(code))
        .set((
            cr::name.eq(input.name.as_deref().map(str::trim).unwrap_or(&before.name)),
            cr::tier.eq(input.tier.unwrap_or(before.tier).as_str()),
            cr::retake_wait_days.eq(to_i32(
                input.retake_wait_days.unwrap_or(before.retake_wait_days),
            )?),
            cr::voucher_validity_months.eq(to_i32(
                input
                    .voucher_validity_months
                    .unwrap_or(before.voucher_validity_months),
            )?),
            cr::validity_months.eq(validity.map(to_i32).transpose()?),
            cr::product_code.eq(input
                .exam_fee_product
                .as_ref()
                .or(before.exam_fee_product.as_ref())),
            cr::active.eq(input.active.unwrap_or(before.active)),
        ))
        .execute(conn)?;
    let after = get(conn, code)?;
    if after != before {
        let action = match (before.active, after.active) {
            (true, false) => CatalogueAction::Deactivated,
            (false, true) => CatalogueAction::Reactivated,
            _ => CatalogueAction::Updated,
        };
        let change = Change {
            action,
            actor,
            reason: input.reason.as_deref(),
            before: Some(json(&before)?),
            after: json(&after)?,
        };
        audit(conn, code, change, now)?;
    }
    Ok(after)
}

/// A credential's audit trail, oldest first (admin, finance).
/// Errors: [`ServiceError::NotFound`] for an unknown code.
pub fn events(conn: &mut DbConn, code: &str) -> Result<Vec<CatalogueEvent>, ServiceError> {
    get(conn, code)?;
    catalogue_events::list(conn, CatalogueSubject::Credential, code)
}
