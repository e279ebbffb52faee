//! Registering and reading training providers (ATs and AECs).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::ProviderRow;
use crate::db::schema::providers as p;
use crate::db::DbConn;
use crate::domain::ids::ProviderId;
use crate::domain::parties::provider::{required_text, CountryCode, EmailAddress, ProviderKind};

use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, FieldError, ServiceError};

/// A postal billing address (the country is the provider's `country`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingAddress {
    /// First address line.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub line1: String,
    /// Second address line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub line2: Option<String>,
    /// City or locality.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub city: String,
    /// Postal code, where the country uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 20, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub postal_code: Option<String>,
    /// State, province or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub region: Option<String>,
}

/// `POST /v1/providers` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProvider {
    /// `trainer` (AT) or `education_center` (AEC).
    pub kind: ProviderKind,
    /// Legal name as it must appear on invoices (full Unicode).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub legal_name: String,
    /// Billing email; invoices and receipts go here.
    #[schema(schema_with = crate::services::request_schema::email)]
    pub email: String,
    /// ISO 3166-1 alpha-2 country code, an officially assigned one.
    #[schema(schema_with = crate::services::request_schema::country)]
    pub country: String,
    /// Billing address.
    pub billing_address: BillingAddress,
    /// VAT or tax id, printed on invoices.
    #[serde(default)]
    #[schema(max_length = 50, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub tax_id: Option<String>,
}

/// A provider as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Provider {
    /// Id.
    pub id: ProviderId,
    /// Kind.
    pub kind: ProviderKind,
    /// Legal name.
    pub legal_name: String,
    /// Billing email.
    pub email: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Billing address.
    pub billing_address: BillingAddress,
    /// Tax id.
    pub tax_id: Option<String>,
    /// Creation instant (UTC).
    pub created_at: DateTime<Utc>,
}

impl Provider {
    /// Converts a stored row.
    pub fn from_row(r: ProviderRow) -> Result<Self, ServiceError> {
        Ok(Provider {
            id: r.id.parse().map_err(anyhow::Error::new)?,
            kind: ProviderKind::parse(&r.kind)
                .ok_or_else(|| anyhow::anyhow!("bad provider kind {}", r.kind))?,
            legal_name: r.legal_name,
            email: r.email,
            country: r.country,
            billing_address: BillingAddress {
                line1: r.address_line1,
                line2: r.address_line2,
                city: r.city,
                postal_code: r.postal_code,
                region: r.region,
            },
            tax_id: r.tax_id,
            created_at: r.created_at.and_utc(),
        })
    }
}

fn optional_text(
    field: &str,
    v: &Option<String>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match v.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => match required_text(field, s, max) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(FieldError::new(field, e));
                None
            }
        },
    }
}

/// Validates and stores a provider. Errors: [`ServiceError::Validation`] listing
/// every bad field.
pub fn create(
    conn: &mut DbConn,
    input: NewProvider,
    now: DateTime<Utc>,
) -> Result<Provider, ServiceError> {
    let mut errors = Vec::new();
    let mut text = |field: &str, v: &str, max: usize| match required_text(field, v, max) {
        Ok(s) => s,
        Err(e) => {
            errors.push(FieldError::new(field, e));
            String::new()
        }
    };
    let legal_name = text("legal_name", &input.legal_name, 200);
    let line1 = text("billing_address.line1", &input.billing_address.line1, 200);
    let city = text("billing_address.city", &input.billing_address.city, 100);
    let email = EmailAddress::parse(&input.email)
        .map_err(|e| errors.push(FieldError::new("email", e)))
        .ok();
    let country = CountryCode::parse(&input.country)
        .map_err(|e| errors.push(FieldError::new("country", e)))
        .ok();
    let line2 = optional_text(
        "billing_address.line2",
        &input.billing_address.line2,
        200,
        &mut errors,
    );
    let postal_code = optional_text(
        "billing_address.postal_code",
        &input.billing_address.postal_code,
        20,
        &mut errors,
    );
    let region = optional_text(
        "billing_address.region",
        &input.billing_address.region,
        100,
        &mut errors,
    );
    let tax_id = optional_text("tax_id", &input.tax_id, 50, &mut errors);
    let (Some(email), Some(country), true) = (email, country, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let row = ProviderRow {
        id: ProviderId::new().to_string(),
        kind: input.kind.as_str().to_owned(),
        legal_name,
        email: email.as_str().to_owned(),
        country: country.as_str().to_owned(),
        address_line1: line1,
        address_line2: line2,
        city,
        postal_code,
        region,
        tax_id,
        stripe_customer_id: None,
        created_at: naive(now),
    };
    diesel::insert_into(p::table).values(&row).execute(conn)?;
    Provider::from_row(row)
}

/// Loads a provider row. `scope`: a provider caller's own id (others are not found).
pub fn find_row(
    conn: &mut DbConn,
    id: ProviderId,
    scope: Option<ProviderId>,
) -> Result<ProviderRow, ServiceError> {
    if scope.is_some_and(|s| s != id) {
        return Err(ServiceError::NotFound("provider"));
    }
    p::table
        .find(id.to_string())
        .select(ProviderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("provider"))
}

/// Lists providers in creation order.
pub fn list(conn: &mut DbConn, page: &PageRequest) -> Result<Page<Provider>, ServiceError> {
    let after = page.after()?;
    let mut q = p::table
        .order(p::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(p::id.gt(after));
    }
    let rows = q.select(ProviderRow::as_select()).load(conn)?;
    let items = rows
        .into_iter()
        .map(Provider::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, |p| p.id.to_string()))
}
