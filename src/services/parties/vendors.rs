//! Testing vendors: the independent exam vendors that deliver exams, redeem
//! vouchers and post results, and are paid their share of exam fees.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::TestingVendorRow;
use crate::db::schema::testing_vendors as tv;
use crate::db::DbConn;
use crate::domain::ids::VendorId;
use crate::domain::parties::provider::{required_text, CountryCode};

use crate::services::{naive, FieldError, ServiceError};

/// `POST /v1/testing-vendors` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTestingVendor {
    /// Vendor name.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// ISO 3166-1 alpha-2, an officially assigned code.
    #[schema(schema_with = crate::services::request_schema::country)]
    pub country: String,
    /// Stripe Connect account (`acct_…`) for transfers; without it payouts are bank transfers.
    #[serde(default)]
    #[schema(pattern = "^acct_[A-Za-z0-9]{1,59}$")]
    pub stripe_account_id: Option<String>,
}

/// A testing vendor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TestingVendor {
    /// Id.
    pub id: VendorId,
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Stripe Connect account.
    pub stripe_account_id: Option<String>,
}

fn vendor_view(r: TestingVendorRow) -> Result<TestingVendor, ServiceError> {
    Ok(TestingVendor {
        id: r.id.parse().map_err(anyhow::Error::new)?,
        name: r.name,
        country: r.country,
        stripe_account_id: r.stripe_account_id,
    })
}

/// Registers a testing vendor (admin).
pub fn create_vendor(
    conn: &mut DbConn,
    input: &NewTestingVendor,
    now: DateTime<Utc>,
) -> Result<TestingVendor, ServiceError> {
    let mut errors = Vec::new();
    let name = required_text("name", &input.name, 200)
        .map_err(|e| errors.push(FieldError::new("name", e)))
        .unwrap_or_default();
    let country = CountryCode::parse(&input.country)
        .map_err(|e| errors.push(FieldError::new("country", e)))
        .ok();
    if let Some(acct) = &input.stripe_account_id {
        if !acct.starts_with("acct_") || acct.len() > 64 {
            errors.push(FieldError::new(
                "stripe_account_id",
                "must be a Stripe Connect account id (acct_…)",
            ));
        }
    }
    let (Some(country), true) = (country, errors.is_empty()) else {
        return Err(ServiceError::Validation(errors));
    };
    let row = TestingVendorRow {
        id: VendorId::new().to_string(),
        name,
        country: country.as_str().to_owned(),
        stripe_account_id: input.stripe_account_id.clone(),
        created_at: naive(now),
    };
    diesel::insert_into(tv::table).values(&row).execute(conn)?;
    vendor_view(row)
}
