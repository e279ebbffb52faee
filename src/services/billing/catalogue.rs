//! The product catalogue: products and their versioned, effective-dated prices.
//! A price change is a new version; invoices copy the version they were issued with,
//! so issued invoices never change when prices do.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::{PriceRow, ProductRow};
use crate::db::schema::{product_prices as pp, products as pr};
use crate::db::DbConn;
use crate::domain::billing::product::ProductKind;
use crate::domain::ids::PriceId;
use crate::domain::money::{Currency, Money, MAX_INPUT_MINOR};

use crate::services::{naive, ServiceError};

/// A product with the price in force now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Product {
    /// Stable code, e.g. `base_text_syllabus_licence`.
    pub code: String,
    /// Kind.
    pub kind: ProductKind,
    /// Display name (printed on invoices).
    pub name: String,
    /// Description.
    pub description: String,
    /// Term in months for term products (licences), else absent.
    pub term_months: Option<i32>,
    /// Whether quantity is a seat count (AEC trainers or classrooms).
    pub seat_based: bool,
    /// Whether it can be bought.
    pub active: bool,
    /// Current unit price.
    pub price: Money,
    /// Version of the current price.
    pub price_version: i32,
    /// When the current price took effect.
    pub price_effective_from: DateTime<Utc>,
}

/// A product row and its price in force, as used by sales.
#[derive(Debug, Clone)]
pub struct PricedProduct {
    /// The product.
    pub product: ProductRow,
    /// The price version in force.
    pub price: PriceRow,
    /// Parsed kind.
    pub kind: ProductKind,
    /// Parsed unit price.
    pub unit_price: Money,
}

impl PricedProduct {
    fn view(&self) -> Product {
        Product {
            code: self.product.code.clone(),
            kind: self.kind,
            name: self.product.name.clone(),
            description: self.product.description.clone(),
            term_months: self.product.term_months,
            seat_based: self.product.seat_based,
            active: self.product.active,
            price: self.unit_price,
            price_version: self.price.version,
            price_effective_from: self.price.effective_from.and_utc(),
        }
    }
}

fn priced(product: ProductRow, price: PriceRow) -> Result<PricedProduct, ServiceError> {
    let kind = ProductKind::parse(&product.kind)
        .ok_or_else(|| anyhow::anyhow!("bad product kind {}", product.kind))?;
    let currency = Currency::parse(&price.currency).map_err(anyhow::Error::new)?;
    let unit_price = Money::new(price.amount_minor, currency);
    Ok(PricedProduct {
        product,
        price,
        kind,
        unit_price,
    })
}

pub(crate) fn price_in_force(
    conn: &mut DbConn,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<PriceRow>, ServiceError> {
    Ok(pp::table
        .filter(pp::product_code.eq(code))
        .filter(pp::effective_from.le(naive(now)))
        .order(pp::version.desc())
        .select(PriceRow::as_select())
        .first(conn)
        .optional()?)
}

/// Looks up a product to sell it: the product and its price in force at `now`.
/// Every sale path (licence purchase and renewal, exam order, accreditation and
/// submission fees) goes through here, so a deactivated product cannot be bought.
/// Errors: [`ServiceError::UnknownProduct`] if the code is unknown or has no price
/// yet; [`ServiceError::Conflict`] `product-inactive` (409) if an admin deactivated it.
pub fn find(
    conn: &mut DbConn,
    code: &str,
    now: DateTime<Utc>,
) -> Result<PricedProduct, ServiceError> {
    let p = find_priced(conn, code, now)?;
    if !p.product.active {
        return Err(ServiceError::Conflict {
            kind: "product-inactive",
            detail: format!("product `{code}` is deactivated and cannot be bought"),
        });
    }
    Ok(p)
}

/// Looks up a product and its price in force at `now`, active or not (for showing
/// it; selling goes through [`find`]).
/// Errors: [`ServiceError::UnknownProduct`] if the code is unknown or has no price yet.
pub fn find_priced(
    conn: &mut DbConn,
    code: &str,
    now: DateTime<Utc>,
) -> Result<PricedProduct, ServiceError> {
    let product = pr::table
        .find(code)
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| ServiceError::UnknownProduct(code.to_owned()))?;
    let price = price_in_force(conn, code, now)?
        .ok_or_else(|| ServiceError::UnknownProduct(code.to_owned()))?;
    priced(product, price)
}

/// The catalogue as of `now`, ordered by kind then code.
pub fn list(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<Product>, ServiceError> {
    let products = pr::table
        .order((pr::kind.asc(), pr::code.asc()))
        .select(ProductRow::as_select())
        .load(conn)?;
    let mut out = Vec::with_capacity(products.len());
    for p in products {
        if let Some(price) = price_in_force(conn, &p.code, now)? {
            out.push(priced(p, price)?.view());
        }
    }
    Ok(out)
}

/// One product as of `now`.
pub fn get(conn: &mut DbConn, code: &str, now: DateTime<Utc>) -> Result<Product, ServiceError> {
    match find_priced(conn, code, now) {
        Ok(p) => Ok(p.view()),
        Err(ServiceError::UnknownProduct(_)) => Err(ServiceError::NotFound("product")),
        Err(e) => Err(e),
    }
}

/// `POST /v1/products/{code}/prices` body: a new price version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrice {
    /// Unit price: `amount_minor` from 0 to 10,000,000,000 minor units
    /// (`MAX_INPUT_MINOR`: 100,000,000.00 in a 2-decimal currency); anything else
    /// is refused with 422 `validation-error` on `price.amount_minor`.
    pub price: Money,
    /// When it takes effect; default now. Must not be in the past.
    #[serde(default)]
    pub effective_from: Option<DateTime<Utc>>,
}

/// A price version as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PriceVersion {
    /// Product code.
    pub product_code: String,
    /// Version, 1-based, increasing.
    pub version: i32,
    /// Unit price.
    pub price: Money,
    /// When it takes effect.
    pub effective_from: DateTime<Utc>,
}

/// Adds a price version (admin). Errors: [`ServiceError::NotFound`] for an unknown
/// product; [`ServiceError::Validation`] for an amount outside 0..=[`MAX_INPUT_MINOR`]
/// or a past date.
pub fn add_price(
    conn: &mut DbConn,
    code: &str,
    input: NewPrice,
    now: DateTime<Utc>,
) -> Result<PriceVersion, ServiceError> {
    pr::table
        .find(code)
        .select(pr::code)
        .first::<String>(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("product"))?;
    if !input.price.is_valid_input() {
        return Err(ServiceError::invalid(
            "price.amount_minor",
            format!(
                "must be between 0 and {MAX_INPUT_MINOR} minor units ({})",
                Money::new(MAX_INPUT_MINOR, input.price.currency)
            ),
        ));
    }
    let effective_from = input.effective_from.unwrap_or(now);
    if effective_from < now - chrono::Duration::seconds(60) {
        return Err(ServiceError::invalid(
            "effective_from",
            "must not be in the past",
        ));
    }
    let last: Option<i32> = pp::table
        .filter(pp::product_code.eq(code))
        .select(diesel::dsl::max(pp::version))
        .first(conn)?;
    let version = last.unwrap_or(0) + 1;
    diesel::insert_into(pp::table)
        .values(&PriceRow {
            id: PriceId::new().to_string(),
            product_code: code.to_owned(),
            version,
            amount_minor: input.price.amount_minor,
            currency: input.price.currency.code().to_owned(),
            effective_from: naive(effective_from),
            created_at: naive(now),
        })
        .execute(conn)?;
    Ok(PriceVersion {
        product_code: code.to_owned(),
        version,
        price: input.price,
        effective_from,
    })
}
