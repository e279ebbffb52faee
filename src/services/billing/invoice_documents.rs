//! The archived PDF of an invoice: rendered after the sale has committed, from the
//! invoice as stored, and written once.
//!
//! Issuing an invoice commits its number, lines, ledger entry and an outbox job;
//! the job renders the PDF and archives it ([`archive`]) before the "invoice
//! issued" email goes out with it. A read that comes first (`GET …/pdf` right
//! after the purchase, or the invoice's `pdf_sha256`) renders and archives it
//! itself, so an issued invoice always has its PDF. The first archived rendering
//! wins (insert-if-absent) and every reader, the email included, gets those
//! stored bytes; the document is built only from the immutable invoice row and
//! lines, so any rendering shows the same invoice.

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::models::{InvoiceDocumentRow, InvoiceHeaderRow, InvoiceLineRow};
use crate::db::schema::{invoice_documents as idoc, invoice_lines as il, invoices as inv};
use crate::db::{write_transaction, DbConn};
use crate::domain::ids::InvoiceId;
use crate::domain::money::{Currency, Money};
use crate::integrations::pdf::{render_invoice, DocumentLine, InvoiceDocument};

use crate::services::billing::buyer::PartySnapshot;
use crate::services::{naive, ServiceError};

/// The printed document of a stored invoice: header, lines (a term line shows its
/// service period, last day inclusive), totals, the payment instructions as issued
/// and the tax note (rate from the lines; all lines of an invoice share it).
///
/// Errors: [`ServiceError::NotFound`] for an unknown invoice;
/// [`ServiceError::Internal`] for a stored row that does not parse.
pub fn document(conn: &mut DbConn, id: InvoiceId) -> Result<InvoiceDocument, ServiceError> {
    let h: InvoiceHeaderRow = inv::table
        .find(id.to_string())
        .select(InvoiceHeaderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("invoice"))?;
    let lines: Vec<InvoiceLineRow> = il::table
        .filter(il::invoice_id.eq(&h.id))
        .order(il::position.asc())
        .select(InvoiceLineRow::as_select())
        .load(conn)?;
    let currency = Currency::parse(&h.currency).map_err(anyhow::Error::new)?;
    let m = |v: i64| Money::new(v, currency).to_string();
    let party = |s: &str| {
        serde_json::from_str::<PartySnapshot>(s)
            .map(|p| p.document())
            .context("stored party snapshot")
    };
    let tax_bp = lines.first().map_or(0, |l| l.tax_rate_bp);
    Ok(InvoiceDocument {
        title: "Invoice".into(),
        number: h.number.clone(),
        issued_on: h.issued_on.to_string(),
        due_on: h.due_on.to_string(),
        seller: party(&h.seller)?,
        buyer: party(&h.buyer)?,
        lines: lines
            .iter()
            .map(|l| DocumentLine {
                description: match (l.period_start, l.period_end) {
                    (Some(s), Some(e)) => format!(
                        "{} ({s} – {})",
                        l.description,
                        e - chrono::Duration::days(1)
                    ),
                    _ => l.description.clone(),
                },
                quantity: l.quantity.to_string(),
                unit_price: m(l.unit_price_minor),
                tax: m(l.tax_minor),
                total: m(l.total_minor),
            })
            .collect(),
        subtotal: m(h.subtotal_minor),
        tax_total: m(h.tax_minor),
        total: m(h.total_minor),
        currency: currency.code().to_owned(),
        payment_instructions: h.payment_instructions.lines().map(str::to_owned).collect(),
        notes: vec![if h.tax_minor == 0 {
            "No tax has been charged on this invoice.".to_owned()
        } else {
            format!("Tax charged at {}.{:02} %.", tax_bp / 100, tax_bp % 100)
        }],
    })
}

/// The archived PDF and its SHA-256 (hex), if it has been archived.
pub fn archived(
    conn: &mut DbConn,
    id: InvoiceId,
) -> Result<Option<(Vec<u8>, String)>, ServiceError> {
    Ok(idoc::table
        .find(id.to_string())
        .select((idoc::pdf, idoc::pdf_sha256))
        .first(conn)
        .optional()?)
}

/// The SHA-256 (hex) of each archived PDF among `ids`, as `(invoice id, hash)`.
pub fn archived_hashes(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<Vec<(String, String)>, ServiceError> {
    Ok(idoc::table
        .filter(idoc::invoice_id.eq_any(ids))
        .select((idoc::invoice_id, idoc::pdf_sha256))
        .load(conn)?)
}

/// The archived PDF of invoice `id` and its SHA-256 (hex), rendering and archiving
/// it first if that has not happened yet. The rendering runs outside any
/// transaction; only the insert takes the write lock. Idempotent: when two
/// callers race, the first insert wins and both return the stored bytes.
///
/// Errors: [`ServiceError::NotFound`] for an unknown invoice;
/// [`ServiceError::Internal`] if the PDF cannot be rendered.
pub fn archive(
    conn: &mut DbConn,
    id: InvoiceId,
    now: DateTime<Utc>,
) -> Result<(Vec<u8>, String), ServiceError> {
    if let Some(found) = archived(conn, id)? {
        return Ok(found);
    }
    let doc = document(conn, id)?;
    let pdf = render_invoice(&doc).context("rendering invoice PDF")?;
    let row = InvoiceDocumentRow {
        invoice_id: id.to_string(),
        pdf_sha256: hex::encode(Sha256::digest(&pdf)),
        pdf,
        rendered_at: naive(now),
    };
    write_transaction(conn, |c| -> Result<(), ServiceError> {
        match c {
            DbConn::Pg(c) => diesel::insert_into(idoc::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c)?,
            DbConn::Sqlite(c) => diesel::insert_or_ignore_into(idoc::table)
                .values(&row)
                .execute(c)?,
        };
        Ok(())
    })?;
    archived(conn, id)?.ok_or_else(|| anyhow::anyhow!("invoice {id}: PDF not archived").into())
}
