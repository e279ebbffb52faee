//! Row types: one struct per table as stored (ids and enums as text, money as minor
//! units + currency code). Services convert them to domain types at the edge.
#![allow(missing_docs)]

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = providers)]
pub struct ProviderRow {
    pub id: String,
    pub kind: String,
    pub legal_name: String,
    pub email: String,
    pub country: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub tax_id: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_clients)]
pub struct ApiClientRow {
    pub id: String,
    pub name: String,
    pub role: String,
    pub provider_id: Option<String>,
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = products)]
pub struct ProductRow {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub term_months: Option<i32>,
    pub seat_based: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = product_prices)]
pub struct PriceRow {
    pub id: String,
    pub product_code: String,
    pub version: i32,
    pub amount_minor: i64,
    pub currency: String,
    pub effective_from: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = licences)]
pub struct LicenceRow {
    pub id: String,
    pub provider_id: String,
    pub product_code: String,
    pub seats: i32,
    pub starts_on: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = licence_terms)]
pub struct LicenceTermRow {
    pub id: String,
    pub licence_id: String,
    pub invoice_id: String,
    pub kind: String,
    pub state: String,
    pub starts_on: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoices)]
pub struct InvoiceRow {
    pub id: String,
    pub series: String,
    pub year: i32,
    pub sequence: i64,
    pub number: String,
    pub status: String,
    pub currency: String,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub amount_paid_minor: i64,
    pub provider_id: Option<String>,
    pub seller: String,
    pub buyer: String,
    pub payment_instructions: String,
    pub issued_at: NaiveDateTime,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub paid_at: Option<NaiveDateTime>,
    pub pdf: Vec<u8>,
    pub pdf_sha256: String,
}

/// An invoice without its PDF bytes, for listings and JSON reads.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invoices)]
pub struct InvoiceHeaderRow {
    pub id: String,
    pub number: String,
    pub status: String,
    pub currency: String,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub amount_paid_minor: i64,
    pub provider_id: Option<String>,
    pub seller: String,
    pub buyer: String,
    pub payment_instructions: String,
    pub issued_at: NaiveDateTime,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub paid_at: Option<NaiveDateTime>,
    pub pdf_sha256: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoice_lines)]
pub struct InvoiceLineRow {
    pub id: String,
    pub invoice_id: String,
    pub position: i32,
    pub product_code: String,
    pub price_id: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub net_minor: i64,
    pub tax_rate_bp: i32,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: String,
    pub invoice_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub method: String,
    pub reference: String,
    pub received_on: NaiveDate,
    pub stripe_payment_intent_id: Option<String>,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_intents)]
pub struct PaymentIntentRow {
    pub id: String,
    pub invoice_id: String,
    pub client_secret: Option<String>,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stripe_events)]
pub struct StripeEventRow {
    pub id: String,
    pub event_type: String,
    pub payload: String,
    pub received_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_transactions)]
pub struct LedgerTransactionRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub description: String,
    pub source_type: String,
    pub source_id: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger_postings)]
pub struct LedgerPostingRow {
    pub id: String,
    pub transaction_id: String,
    pub position: i32,
    pub account: String,
    pub side: String,
    pub amount_minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub caller: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub resource_id: Option<String>,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}
