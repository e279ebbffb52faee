//! Products as data an admin runs (docs/domain.md, "Catalogue administration"):
//! create, rename, deactivate and reactivate, each change audited in
//! [`catalogue_events`](super::catalogue_events). A product is bought only once it
//! has a price version in force (given on creation or added later) and while it is
//! active; issued invoices copy what they sold and never change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::ProductRow;
use crate::db::schema::products as pr;
use crate::db::DbConn;
use crate::domain::billing::product::ProductKind;
use crate::domain::credentials::catalogue_admin::{
    valid_product_code, CatalogueAction, CatalogueSubject, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
};
use crate::domain::money::{Currency, Money};

use crate::services::billing::catalogue::{self, NewPrice, PriceVersion};
use crate::services::billing::catalogue_events::{self, CatalogueEvent, Change};
use crate::services::{naive, FieldError, ServiceError};

/// A product as the admin endpoints return it: active or not, priced or not.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductRecord {
    /// Stable code.
    pub code: String,
    /// Kind (fixed at creation).
    pub kind: ProductKind,
    /// Display name (printed on invoices issued from now on).
    pub name: String,
    /// Description.
    pub description: String,
    /// Term in months for term products (fixed at creation).
    pub term_months: Option<i32>,
    /// Whether quantity is a seat count (fixed at creation).
    pub seat_based: bool,
    /// Whether it can be bought.
    pub active: bool,
    /// The price version in force now; absent until one is added, and until then the
    /// product cannot be bought.
    pub price: Option<PriceVersion>,
}

/// `POST /v1/products` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// Code: a lower-case letter, then 1–63 lower-case letters, digits or `_`.
    #[schema(pattern = "^[a-z][a-z0-9_]{1,63}$")]
    pub code: String,
    /// One of the existing product kinds.
    pub kind: ProductKind,
    /// Display name, 1–200 characters.
    pub name: String,
    /// Description, up to 2,000 characters.
    #[serde(default)]
    pub description: String,
    /// Term in months (1–120); required for `course_licence`.
    #[serde(default, deserialize_with = "crate::domain::integral::option_i32")]
    #[schema(minimum = 1, maximum = 120)]
    pub term_months: Option<i32>,
    /// Whether quantity is a seat count.
    #[serde(default)]
    pub seat_based: bool,
    /// The first price version, in force at once; without it the product cannot be
    /// bought until `POST /v1/products/{code}/prices` adds one.
    #[serde(default)]
    pub price: Option<Money>,
    /// Why (kept in the audit trail).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `PATCH /v1/products/{code}` body: at least one of `name`, `description`,
/// `active`. Kind, term and seat basis are fixed (issued invoices and licences rely
/// on them); a new product is the way to change them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductChange {
    /// New display name, 1–200 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// New description, up to 2,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// `false` deactivates (a `reason` is then required), `true` reactivates.
    #[serde(default)]
    pub active: Option<bool>,
    /// Why (kept in the audit trail); required to deactivate.
    #[serde(default)]
    pub reason: Option<String>,
}

pub(crate) fn check_name(errors: &mut Vec<FieldError>, field: &str, name: &str) {
    let n = name.trim().chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
}

pub(crate) fn check_reason(errors: &mut Vec<FieldError>, reason: Option<&str>) {
    if reason.is_some_and(|r| r.trim().is_empty() || r.chars().count() > MAX_NAME_CHARS) {
        errors.push(FieldError::new(
            "reason",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
}

fn check_description(errors: &mut Vec<FieldError>, d: &str) {
    if d.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
}

fn load_row(conn: &mut DbConn, code: &str) -> Result<ProductRow, ServiceError> {
    pr::table
        .find(code)
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("product"))
}

/// One product as the admin sees it, priced or not, active or not.
/// Errors: [`ServiceError::NotFound`] for an unknown code.
pub fn record(
    conn: &mut DbConn,
    code: &str,
    now: DateTime<Utc>,
) -> Result<ProductRecord, ServiceError> {
    let row = load_row(conn, code)?;
    let price = match catalogue::price_in_force(conn, code, now)? {
        Some(p) => Some(PriceVersion {
            product_code: p.product_code.clone(),
            version: p.version,
            price: Money::new(
                p.amount_minor,
                Currency::parse(&p.currency).map_err(anyhow::Error::new)?,
            ),
            effective_from: p.effective_from.and_utc(),
        }),
        None => None,
    };
    Ok(ProductRecord {
        kind: ProductKind::parse(&row.kind)
            .ok_or_else(|| anyhow::anyhow!("bad product kind {}", row.kind))?,
        code: row.code,
        name: row.name,
        description: row.description,
        term_months: row.term_months,
        seat_based: row.seat_based,
        active: row.active,
        price,
    })
}

fn json<T: Serialize>(v: &T) -> Result<serde_json::Value, ServiceError> {
    Ok(serde_json::to_value(v).map_err(anyhow::Error::new)?)
}

/// Creates a product (admin), active, with its first price version if one is given,
/// and audits it. Errors: [`ServiceError::Validation`] (422) for a malformed code,
/// name, description, term or price; [`ServiceError::Conflict`] `product-exists`
/// (409) for a code already in the catalogue.
pub fn create(
    conn: &mut DbConn,
    input: &NewProduct,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ProductRecord, ServiceError> {
    let mut errors = Vec::new();
    if !valid_product_code(&input.code) {
        errors.push(FieldError::new(
            "code",
            "must be a lower-case letter, then 1 to 63 lower-case letters, digits or underscores",
        ));
    }
    check_name(&mut errors, "name", &input.name);
    check_description(&mut errors, &input.description);
    check_reason(&mut errors, input.reason.as_deref());
    match input.term_months {
        Some(m) if !(1..=120).contains(&m) => {
            errors.push(FieldError::new("term_months", "must be 1 to 120"))
        }
        None if input.kind == ProductKind::CourseLicence => errors.push(FieldError::new(
            "term_months",
            "a course licence needs a term",
        )),
        _ => {}
    }
    if let Some(p) = &input.price {
        if !p.is_valid_input() {
            errors.push(FieldError::new(
                "price.amount_minor",
                "must be between 0 and 10000000000 minor units",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let exists: i64 = pr::table
        .filter(pr::code.eq(&input.code))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Err(ServiceError::Conflict {
            kind: "product-exists",
            detail: format!("product `{}` already exists", input.code),
        });
    }
    diesel::insert_into(pr::table)
        .values(&ProductRow {
            code: input.code.clone(),
            kind: input.kind.as_str().to_owned(),
            name: input.name.trim().to_owned(),
            description: input.description.clone(),
            term_months: input.term_months,
            seat_based: input.seat_based,
            active: true,
            created_at: naive(now),
        })
        .execute(conn)
        .map_err(|e| {
            catalogue_events::duplicate_as_conflict(
                e,
                "product-exists",
                format!("product `{}` already exists", input.code),
            )
        })?;
    if let Some(price) = input.price {
        catalogue::add_price(
            conn,
            &input.code,
            NewPrice {
                price,
                effective_from: Some(now),
            },
            now,
        )?;
    }
    let after = record(conn, &input.code, now)?;
    catalogue_events::record(
        conn,
        CatalogueSubject::Product,
        &input.code,
        Change {
            action: CatalogueAction::Created,
            actor,
            reason: input.reason.as_deref(),
            before: None,
            after: json(&after)?,
        },
        now,
    )?;
    Ok(after)
}

/// Renames, re-describes, deactivates or reactivates a product (admin) and audits
/// the change; a request that changes nothing records nothing. Errors:
/// [`ServiceError::NotFound`] for an unknown code; [`ServiceError::Validation`] (422)
/// for an empty change, a bad name or description, or a deactivation without reason.
pub fn update(
    conn: &mut DbConn,
    code: &str,
    input: &ProductChange,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ProductRecord, ServiceError> {
    let before = record(conn, code, now)?;
    let mut errors = Vec::new();
    if input.name.is_none() && input.description.is_none() && input.active.is_none() {
        errors.push(FieldError::new(
            "body",
            "give at least one of name, description, active",
        ));
    }
    if let Some(n) = &input.name {
        check_name(&mut errors, "name", n);
    }
    if let Some(d) = &input.description {
        check_description(&mut errors, d);
    }
    check_reason(&mut errors, input.reason.as_deref());
    let deactivating = before.active && input.active == Some(false);
    if deactivating && input.reason.is_none() {
        errors.push(FieldError::new("reason", "required to deactivate"));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&before.name)
        .to_owned();
    let description = input
        .description
        .clone()
        .unwrap_or_else(|| before.description.clone());
    let active = input.active.unwrap_or(before.active);
    diesel::update(pr::table.find(code))
        .set((
            pr::name.eq(&name),
            pr::description.eq(&description),
            pr::active.eq(active),
        ))
        .execute(conn)?;
    let after = record(conn, code, now)?;
    let action = match (before.active, after.active) {
        (true, false) => CatalogueAction::Deactivated,
        (false, true) => CatalogueAction::Reactivated,
        _ => CatalogueAction::Updated,
    };
    let (b, a) = (json(&before)?, json(&after)?);
    if b != a {
        catalogue_events::record(
            conn,
            CatalogueSubject::Product,
            code,
            Change {
                action,
                actor,
                reason: input.reason.as_deref(),
                before: Some(b),
                after: a,
            },
            now,
        )?;
    }
    Ok(after)
}

/// Adds a price version (admin) through [`catalogue::add_price`] and audits it as
/// `price_added`. Errors: those of [`catalogue::add_price`].
pub fn add_price(
    conn: &mut DbConn,
    code: &str,
    input: NewPrice,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<PriceVersion, ServiceError> {
    let before = record(conn, code, now)?;
    let version = catalogue::add_price(conn, code, input, now)?;
    catalogue_events::record(
        conn,
        CatalogueSubject::Product,
        code,
        Change {
            action: CatalogueAction::PriceAdded,
            actor,
            reason: None,
            before: Some(json(&before)?),
            after: json(&version)?,
        },
        now,
    )?;
    Ok(version)
}

/// A product's audit trail, oldest first (admin, finance).
/// Errors: [`ServiceError::NotFound`] for an unknown code.
pub fn events(conn: &mut DbConn, code: &str) -> Result<Vec<CatalogueEvent>, ServiceError> {
    load_row(conn, code)?;
    catalogue_events::list(conn, CatalogueSubject::Product, code)
}
