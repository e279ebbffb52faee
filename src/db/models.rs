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
    pub vendor_id: Option<String>,
    pub revocation_reason: Option<String>,
    pub revoked_by: Option<String>,
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
    pub candidate_id: Option<String>,
    pub subject_kind: String,
    pub subject_id: String,
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
    pub candidate_id: Option<String>,
    pub subject_kind: String,
    pub subject_id: String,
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
    /// Part of `amount_minor` applied to the invoice; the rest is customer credit.
    pub applied_minor: i64,
    /// The invoice's status right after this payment.
    pub invoice_status_after: String,
}

/// Unapplied cash from one payment (see `services::billing::payments`).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_credits)]
pub struct CustomerCreditRow {
    pub id: String,
    pub payment_id: String,
    pub invoice_id: String,
    pub provider_id: Option<String>,
    pub candidate_id: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
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
    pub retried_by: Option<String>,
    pub retried_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = candidates)]
pub struct CandidateRow {
    pub id: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub country: String,
    pub password_hash: String,
    pub stripe_customer_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = testing_vendors)]
pub struct TestingVendorRow {
    pub id: String,
    pub name: String,
    pub country: String,
    pub stripe_account_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = credentials)]
pub struct CredentialRow {
    pub code: String,
    pub name: String,
    pub tier: String,
    pub is_exam: bool,
    pub product_code: Option<String>,
    pub retake_wait_days: i32,
    pub voucher_validity_months: i32,
    pub validity_months: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = equivalent_experiences)]
pub struct EquivalentExperienceRow {
    pub id: String,
    pub candidate_id: String,
    pub credential_code: String,
    pub reason: String,
    pub granted_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = split_policies)]
pub struct SplitPolicyRow {
    pub id: String,
    pub exam_code: String,
    pub testing_vendor_id: Option<String>,
    pub effective_from: NaiveDate,
    pub foundation_bp: i32,
    pub testing_vendor_bp: i32,
    pub referring_provider_bp: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = exam_orders)]
pub struct ExamOrderRow {
    pub id: String,
    pub candidate_id: String,
    pub exam_code: String,
    pub testing_vendor_id: String,
    pub referring_provider_id: Option<String>,
    pub invoice_id: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = vouchers)]
pub struct VoucherRow {
    pub id: String,
    pub code: String,
    pub exam_order_id: String,
    pub candidate_id: String,
    pub exam_code: String,
    pub testing_vendor_id: String,
    pub status: String,
    pub expires_on: NaiveDate,
    pub created_at: NaiveDateTime,
    pub redeemed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = exam_attempts)]
pub struct ExamAttemptRow {
    pub id: String,
    pub voucher_id: String,
    pub candidate_id: String,
    pub exam_code: String,
    pub testing_vendor_id: String,
    pub passed: Option<bool>,
    pub score_percent: Option<i32>,
    pub taken_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub reported_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = certifications)]
pub struct CertificationRow {
    pub id: String,
    pub candidate_id: String,
    pub credential_code: String,
    pub basis: String,
    pub exam_attempt_id: Option<String>,
    pub review_case: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub component_revoked: bool,
    pub level: Option<String>,
    pub certificate_number: String,
    pub holder_name: String,
    pub issued_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub pdf: Vec<u8>,
    pub pdf_sha256: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contributions)]
pub struct ContributionRow {
    pub id: String,
    pub candidate_id: String,
    pub description: String,
    pub status: String,
    pub credits: i32,
    pub reviewed_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub reviewed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payouts)]
pub struct PayoutRow {
    pub id: String,
    pub partner_type: String,
    pub partner_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub method: String,
    pub reference: String,
    pub stripe_transfer_id: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payables)]
pub struct PayableRow {
    pub id: String,
    pub partner_type: String,
    pub partner_id: String,
    pub exam_order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub payout_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accreditations)]
pub struct AccreditationRow {
    pub id: String,
    pub provider_id: String,
    pub kind: String,
    pub status: String,
    pub number: String,
    pub basis: String,
    pub review_case: Option<String>,
    pub candidate_id: Option<String>,
    pub statement: String,
    pub facility_address: Option<String>,
    pub facility_capacity: Option<i32>,
    pub attestation: Option<String>,
    pub status_reason: Option<String>,
    pub suspension_cause: Option<String>,
    pub non_compliant_deadline: Option<NaiveDate>,
    pub starts_on: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub certificate_pdf: Option<Vec<u8>>,
    pub certificate_sha256: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accreditation_fees)]
pub struct AccreditationFeeRow {
    pub id: String,
    pub accreditation_id: String,
    pub kind: String,
    pub state: String,
    pub invoice_id: String,
    pub starts_on: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = accreditation_events)]
pub struct AccreditationEventRow {
    pub id: String,
    pub accreditation_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = aec_trainer_links)]
pub struct TrainerLinkRow {
    pub id: String,
    pub aec_accreditation_id: String,
    pub trainer_accreditation_id: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// The archived PDF of an invoice, written once after the sale has committed.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoice_documents)]
pub struct InvoiceDocumentRow {
    pub invoice_id: String,
    pub pdf: Vec<u8>,
    pub pdf_sha256: String,
    pub rendered_at: NaiveDateTime,
}
