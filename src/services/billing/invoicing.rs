//! Issuing and reading invoices.
//!
//! [`issue`] runs inside the caller's transaction: it prices the lines, takes the
//! next gap-free number from the counter row (locked until commit), books
//! receivable against (deferred) revenue and tax, and queues the job that renders
//! and archives the PDF after the commit and then sends the "invoice issued" email
//! (see [`invoice_documents`]). The invoice is immutable from then on (enforced by
//! database triggers too); only status and amount paid move.

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Scope;
use crate::config::Settings;
use crate::db::models::{InvoiceHeaderRow, InvoiceLineRow, InvoiceRow};
use crate::db::schema::{invoice_counters as ic, invoice_lines as il, invoices as inv};
use crate::db::DbConn;
use crate::domain::billing::invoice::{
    invoice_totals, line_amounts, InvoiceNumber, InvoiceStatus, InvoiceSubject, LineAmounts,
};
use crate::domain::billing::ledger::{JournalEntry, LedgerAccount, Posting, Side};
use crate::domain::ids::{InvoiceId, ProviderId};
use crate::domain::money::{Currency, Money};

pub use crate::services::billing::buyer::{Buyer, PartySnapshot};
use crate::services::billing::catalogue::PricedProduct;
use crate::services::billing::invoice_documents;
use crate::services::billing::ledger;
use crate::services::mails::{InvoiceIssuedJob, InvoiceIssuedMail};
use crate::services::outbox::AttachmentRef;
use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, ServiceError};

/// One line to invoice.
#[derive(Debug, Clone)]
pub struct LineInput {
    /// Product and the price version in force.
    pub product: PricedProduct,
    /// Quantity (seats for seat-based products), ≥ 1.
    pub quantity: i64,
    /// Text printed on the line.
    pub description: String,
    /// Service period `[start, end)` for term products, if known at issue.
    pub period: Option<(NaiveDate, NaiveDate)>,
}

/// What [`issue`] returns.
#[derive(Debug, Clone)]
pub struct IssuedInvoice {
    /// Id.
    pub id: InvoiceId,
    /// Number.
    pub number: String,
    /// Total due.
    pub total: Money,
    /// Due date.
    pub due_on: NaiveDate,
}

/// How the buyer is asked to pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentChannel {
    /// Bank transfer recorded by finance.
    BankTransfer,
    /// Card through Stripe (bank transfer still accepted).
    Card,
}

fn payment_instructions(
    settings: &Settings,
    number: &str,
    total: Money,
    due_on: NaiveDate,
    channel: PaymentChannel,
) -> Vec<String> {
    let mut lines = Vec::new();
    if channel == PaymentChannel::Card {
        lines
            .push("Pay by card through the Accredit API (Stripe), or by bank transfer:".to_owned());
    } else {
        lines.push(format!("Please pay {total} by bank transfer by {due_on}:"));
    }
    lines.extend(settings.seller.bank_details.iter().cloned());
    lines.push(format!("Payment reference: {number}"));
    lines
}

/// Takes the next number of `series`/`year` from its counter row. The row stays
/// locked by this transaction until commit, so numbers are unique and gap-free.
fn next_sequence(conn: &mut DbConn, series: &str, year: i32) -> Result<i64, ServiceError> {
    let seed = (
        ic::series.eq(series),
        ic::year.eq(year),
        ic::last_sequence.eq(0i64),
    );
    match conn {
        DbConn::Pg(c) => {
            diesel::insert_into(ic::table)
                .values(seed)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            diesel::insert_or_ignore_into(ic::table)
                .values(seed)
                .execute(c)?;
        }
    }
    diesel::update(ic::table.find((series, year)))
        .set(ic::last_sequence.eq(ic::last_sequence + 1))
        .execute(conn)?;
    Ok(ic::table
        .find((series, year))
        .select(ic::last_sequence)
        .first(conn)?)
}

/// Issues an invoice to `buyer` for `lines` (see the module doc), recording
/// `subject`: what the invoice is for, which decides the one fulfilment that runs
/// when it is paid in full. Runs in the caller's transaction.
/// Errors: [`ServiceError::Validation`] for mixed currencies or amounts that overflow.
pub fn issue(
    conn: &mut DbConn,
    settings: &Settings,
    subject: &InvoiceSubject,
    buyer: &Buyer,
    lines: Vec<LineInput>,
    channel: PaymentChannel,
    now: DateTime<Utc>,
) -> Result<IssuedInvoice, ServiceError> {
    let currency = lines
        .first()
        .map(|l| l.product.unit_price.currency)
        .ok_or_else(|| anyhow::anyhow!("an invoice needs at least one line"))?;
    if lines
        .iter()
        .any(|l| l.product.unit_price.currency != currency)
    {
        return Err(ServiceError::invalid(
            "lines",
            "all lines of an invoice must be in one currency",
        ));
    }
    let tax_bp = i64::from(settings.invoice.tax_rate_basis_points);
    let amounts: Vec<LineAmounts> = lines
        .iter()
        .map(|l| line_amounts(l.product.unit_price, l.quantity, tax_bp))
        .collect::<Result<_, _>>()?;
    let (subtotal, tax, total) = invoice_totals(currency, &amounts)?;

    let issued_on = now.date_naive();
    let due_on = issued_on + chrono::Duration::days(i64::from(settings.invoice.payment_terms_days));
    let seller = PartySnapshot::of_seller(settings);
    let buyer_snap = buyer.snapshot.clone();
    let id = InvoiceId::new();

    // As late as possible: the counter row is locked from here to commit.
    let year = issued_on.year();
    let sequence = next_sequence(conn, &settings.invoice.series, year)?;
    let number = InvoiceNumber::format(&settings.invoice.series, year, sequence);
    let instructions = payment_instructions(settings, number.as_str(), total, due_on, channel);

    let to_json = |v: &PartySnapshot| serde_json::to_string(v).map_err(anyhow::Error::new);
    diesel::insert_into(inv::table)
        .values(&InvoiceRow {
            id: id.to_string(),
            series: settings.invoice.series.clone(),
            year,
            sequence,
            number: number.to_string(),
            status: InvoiceStatus::Open.as_str().to_owned(),
            currency: currency.code().to_owned(),
            subtotal_minor: subtotal.amount_minor,
            tax_minor: tax.amount_minor,
            total_minor: total.amount_minor,
            amount_paid_minor: 0,
            provider_id: buyer.provider_id.clone(),
            seller: to_json(&seller)?,
            buyer: to_json(&buyer_snap)?,
            payment_instructions: instructions.join("\n"),
            issued_at: naive(now),
            issued_on,
            due_on,
            paid_at: None,
            // Legacy columns: the PDF is archived in `invoice_documents` after commit.
            pdf: Vec::new(),
            pdf_sha256: String::new(),
            candidate_id: buyer.candidate_id.clone(),
            subject_kind: subject.kind.as_str().to_owned(),
            subject_id: subject.id.to_string(),
        })
        .execute(conn)?;
    let line_rows: Vec<InvoiceLineRow> = lines
        .iter()
        .zip(&amounts)
        .enumerate()
        .map(|(i, (l, a))| InvoiceLineRow {
            id: uuid::Uuid::now_v7().to_string(),
            invoice_id: id.to_string(),
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            product_code: l.product.product.code.clone(),
            price_id: l.product.price.id.clone(),
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price_minor: l.product.unit_price.amount_minor,
            net_minor: a.net.amount_minor,
            tax_rate_bp: i32::try_from(tax_bp).unwrap_or(0),
            tax_minor: a.tax.amount_minor,
            total_minor: a.total.amount_minor,
            period_start: l.period.map(|p| p.0),
            period_end: l.period.map(|p| p.1),
        })
        .collect();
    // One statement for all lines (on the backend's own connection: the
    // multi-backend connection does not support batch inserts).
    match conn {
        DbConn::Pg(c) => diesel::insert_into(il::table)
            .values(&line_rows)
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(il::table)
            .values(&line_rows)
            .execute(c)?,
    };

    // Receivable against revenue: deferred for term products (recognised over the
    // term), immediate otherwise; tax to tax payable.
    let mut postings = vec![Posting {
        account: LedgerAccount::Receivables,
        side: Side::Debit,
        amount: total,
    }];
    for (l, a) in lines.iter().zip(&amounts) {
        let stream = l.kind_stream();
        postings.push(Posting {
            account: if l.product.product.term_months.is_some() {
                LedgerAccount::DeferredRevenue(stream)
            } else {
                LedgerAccount::Revenue(stream)
            },
            side: Side::Credit,
            amount: a.net,
        });
    }
    postings.push(Posting {
        account: LedgerAccount::TaxPayable,
        side: Side::Credit,
        amount: tax,
    });
    if !total.is_zero() {
        let entry = JournalEntry::new(postings).context("invoice ledger entry")?;
        ledger::post(
            conn,
            &entry,
            now,
            &format!("Invoice {number} issued"),
            "invoice",
            &id.to_string(),
        )?;
    }

    let email = InvoiceIssuedMail {
        to: buyer.email.clone(),
        attachments: vec![AttachmentRef::InvoicePdf { invoice_id: id }],
        org_name: settings.seller.legal_name.clone(),
        buyer_name: buyer.snapshot.name.clone(),
        invoice_number: number.to_string(),
        product_name: lines
            .iter()
            .map(|l| l.product.product.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        total: total.to_string(),
        issued_on: issued_on.to_string(),
        due_on: due_on.to_string(),
        payment_instructions: instructions.join("\n"),
        invoice_url: super::hosted_links::HostedLinks::from_settings(settings)?.page_url(id, now),
    };
    crate::services::outbox::enqueue(
        conn,
        &InvoiceIssuedJob {
            invoice_id: id,
            email,
        },
        now,
    )?;

    Ok(IssuedInvoice {
        id,
        number: number.to_string(),
        total,
        due_on,
    })
}

impl LineInput {
    fn kind_stream(&self) -> crate::domain::billing::ledger::RevenueStream {
        self.product.kind.revenue_stream()
    }
}

/// One invoice line as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvoiceLine {
    /// 1-based position.
    pub position: i32,
    /// Product code.
    pub product_code: String,
    /// Printed description.
    pub description: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price (the price version in force at issue).
    pub unit_price: Money,
    /// `unit_price × quantity`.
    pub net: Money,
    /// Tax rate in basis points.
    pub tax_rate_basis_points: i32,
    /// Tax.
    pub tax: Money,
    /// `net + tax`.
    pub total: Money,
    /// Service period start (inclusive), for term products.
    pub period_start: Option<NaiveDate>,
    /// Service period end (exclusive), for term products.
    pub period_end: Option<NaiveDate>,
}

/// An invoice as returned by the API.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Invoice {
    /// Id.
    pub id: InvoiceId,
    /// Gap-free number, e.g. `ACC-2026-000001`.
    pub number: String,
    /// Status.
    pub status: InvoiceStatus,
    /// What the invoice is for (`{"kind": "licence_term" | "exam_order", "id"}`);
    /// paying it in full fulfils exactly this.
    pub subject: InvoiceSubject,
    /// Buyer provider.
    pub provider_id: Option<ProviderId>,
    /// Seller block as issued.
    pub seller: PartySnapshot,
    /// Buyer block as issued.
    pub buyer: PartySnapshot,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
    /// Sum of line nets.
    pub subtotal: Money,
    /// Sum of line taxes.
    pub tax: Money,
    /// Total.
    pub total: Money,
    /// Paid so far.
    pub amount_paid: Money,
    /// `total - amount_paid`.
    pub amount_due: Money,
    /// Issue date (UTC).
    pub issued_on: NaiveDate,
    /// Due date.
    pub due_on: NaiveDate,
    /// When it was paid in full.
    pub paid_at: Option<DateTime<Utc>>,
    /// Payment instructions as printed.
    pub payment_instructions: Vec<String>,
    /// SHA-256 (hex) of the archived PDF.
    pub pdf_sha256: String,
    /// Signed, expiring link to the hosted invoice page (no login; see
    /// `hosted_links`), set on `GET /v1/invoices` and `GET /v1/invoices/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_invoice_url: Option<String>,
}

fn view(h: InvoiceHeaderRow, lines: Vec<InvoiceLineRow>) -> Result<Invoice, ServiceError> {
    let currency = Currency::parse(&h.currency).map_err(anyhow::Error::new)?;
    let m = |v: i64| Money::new(v, currency);
    let parse_party =
        |s: &str| serde_json::from_str::<PartySnapshot>(s).map_err(anyhow::Error::new);
    Ok(Invoice {
        id: h.id.parse().map_err(anyhow::Error::new)?,
        number: h.number,
        status: InvoiceStatus::parse(&h.status)
            .ok_or_else(|| anyhow::anyhow!("bad status {}", h.status))?,
        subject: InvoiceSubject::from_stored(&h.subject_kind, &h.subject_id)
            .context("invoice subject")?,
        provider_id: h
            .provider_id
            .map(|p| p.parse())
            .transpose()
            .map_err(anyhow::Error::new)?,
        seller: parse_party(&h.seller)?,
        buyer: parse_party(&h.buyer)?,
        lines: lines
            .into_iter()
            .map(|l| InvoiceLine {
                position: l.position,
                product_code: l.product_code,
                description: l.description,
                quantity: l.quantity,
                unit_price: m(l.unit_price_minor),
                net: m(l.net_minor),
                tax_rate_basis_points: l.tax_rate_bp,
                tax: m(l.tax_minor),
                total: m(l.total_minor),
                period_start: l.period_start,
                period_end: l.period_end,
            })
            .collect(),
        subtotal: m(h.subtotal_minor),
        tax: m(h.tax_minor),
        total: m(h.total_minor),
        amount_paid: m(h.amount_paid_minor),
        amount_due: m(h.total_minor - h.amount_paid_minor),
        issued_on: h.issued_on,
        due_on: h.due_on,
        paid_at: h.paid_at.map(|t| t.and_utc()),
        payment_instructions: h.payment_instructions.lines().map(str::to_owned).collect(),
        pdf_sha256: h.pdf_sha256,
        hosted_invoice_url: None,
    })
}

type BoxedInvoices<'a> = inv::BoxedQuery<'a, crate::db::conn::MultiBackend>;

/// Restricts an invoice query to what `scope` may see.
fn scoped(q: BoxedInvoices<'_>, scope: Scope) -> BoxedInvoices<'_> {
    match scope {
        Scope::All => q,
        Scope::Provider(p) => q.filter(inv::provider_id.eq(p.to_string())),
        Scope::Candidate(c) => q.filter(inv::candidate_id.eq(c.to_string())),
        Scope::Vendor(_) => q.filter(inv::id.is_null()),
    }
}

/// Loads an invoice header; `scope` limits providers and candidates to their own.
pub fn find_header(
    conn: &mut DbConn,
    id: InvoiceId,
    scope: Scope,
) -> Result<InvoiceHeaderRow, ServiceError> {
    scoped(inv::table.find(id.to_string()).into_boxed(), scope)
        .select(InvoiceHeaderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("invoice"))
}

/// The PDF hash of each header, archiving (rendering) the PDFs not archived yet
/// (an invoice read before its outbox job ran).
fn with_pdf_hashes(
    conn: &mut DbConn,
    mut headers: Vec<InvoiceHeaderRow>,
) -> Result<Vec<InvoiceHeaderRow>, ServiceError> {
    let ids: Vec<String> = headers.iter().map(|h| h.id.clone()).collect();
    let hashes: std::collections::HashMap<String, String> =
        invoice_documents::archived_hashes(conn, &ids)?
            .into_iter()
            .collect();
    for h in &mut headers {
        h.pdf_sha256 = match hashes.get(&h.id) {
            Some(hash) => hash.clone(),
            None => {
                let id = h.id.parse().map_err(anyhow::Error::new)?;
                invoice_documents::archive(conn, id, Utc::now())?.1
            }
        };
    }
    Ok(headers)
}

/// One invoice with its lines.
pub fn get(conn: &mut DbConn, id: InvoiceId, scope: Scope) -> Result<Invoice, ServiceError> {
    let h = find_header(conn, id, scope)?;
    let h = with_pdf_hashes(conn, vec![h])?
        .pop()
        .ok_or(ServiceError::NotFound("invoice"))?;
    let lines = il::table
        .filter(il::invoice_id.eq(&h.id))
        .order(il::position.asc())
        .select(InvoiceLineRow::as_select())
        .load(conn)?;
    view(h, lines)
}

/// The invoice number and its archived PDF bytes, the same bytes on every read;
/// archived now if the outbox job has not run yet (see [`invoice_documents`]).
pub fn pdf(
    conn: &mut DbConn,
    id: InvoiceId,
    scope: Scope,
) -> Result<(String, Vec<u8>), ServiceError> {
    let number = scoped(inv::table.find(id.to_string()).into_boxed(), scope)
        .select(inv::number)
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("invoice"))?;
    let (pdf, _) = invoice_documents::archive(conn, id, Utc::now())?;
    Ok((number, pdf))
}

/// Filters of `GET /v1/invoices`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InvoiceFilter {
    /// Only this provider's invoices (staff only; providers always see their own).
    pub provider_id: Option<ProviderId>,
    /// Only invoices in this status.
    pub status: Option<InvoiceStatus>,
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`: the key of the last item seen (any value
    /// of this form is a position; see `PageRequest`).
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

/// Lists invoices in issue order.
pub fn list(
    conn: &mut DbConn,
    filter: &InvoiceFilter,
    scope: Scope,
) -> Result<Page<Invoice>, ServiceError> {
    let page = PageRequest {
        limit: filter.limit,
        cursor: filter.cursor.clone(),
    };
    let mut q = scoped(
        inv::table
            .order(inv::id.asc())
            .limit(page.limit() + 1)
            .into_boxed(),
        scope,
    );
    if let Some(p) = filter.provider_id {
        q = q.filter(inv::provider_id.eq(p.to_string()));
    }
    if let Some(s) = filter.status {
        q = q.filter(inv::status.eq(s.as_str()));
    }
    if let Some(after) = page.after()? {
        q = q.filter(inv::id.gt(after));
    }
    let headers = q.select(InvoiceHeaderRow::as_select()).load(conn)?;
    let headers = with_pdf_hashes(conn, headers)?;
    let ids: Vec<String> = headers.iter().map(|h| h.id.clone()).collect();
    let mut lines: Vec<InvoiceLineRow> = il::table
        .filter(il::invoice_id.eq_any(&ids))
        .order((il::invoice_id.asc(), il::position.asc()))
        .select(InvoiceLineRow::as_select())
        .load(conn)?;
    let mut out = Vec::with_capacity(headers.len());
    for h in headers {
        let (mine, rest): (Vec<_>, Vec<_>) = lines.into_iter().partition(|l| l.invoice_id == h.id);
        lines = rest;
        out.push(view(h, mine)?);
    }
    Ok(page.page(out, |i| i.id.to_string()))
}
