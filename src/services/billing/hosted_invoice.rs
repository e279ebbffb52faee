//! The hosted invoice page's data: the invoice behind a signed link (see
//! [`super::hosted_links`] for the links themselves), whether it can be paid by
//! card, and the invoice resource's `hosted_invoice_url`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::Scope;
use crate::db::schema::payment_intents as pi;
use crate::db::DbConn;
use crate::domain::billing::invoice::InvoiceStatus;
use crate::domain::ids::InvoiceId;
use crate::services::billing::hosted_links::{signed_path, HostedLinks};
use crate::services::billing::invoicing::{self, Invoice};
use crate::services::ServiceError;

/// Sets `hosted_invoice_url` on each invoice (links minted at `now`).
pub fn attach_links(links: &HostedLinks, invoices: &mut [Invoice], now: DateTime<Utc>) {
    for inv in invoices {
        inv.hosted_invoice_url = Some(links.page_url(inv.id, now));
    }
}

/// What the hosted page shows: the invoice as issued plus how it can be paid.
#[derive(Debug, Clone, Serialize)]
pub struct HostedInvoice {
    /// The invoice (scope-free: the link is the authorisation).
    pub invoice: Invoice,
    /// Whether a payment is still expected (status `open`).
    pub payable: bool,
    /// Whether a Stripe PaymentIntent exists for the invoice, so card payment is
    /// available.
    pub card_payment_available: bool,
    /// Site-relative path of the PDF download, signed like the page.
    pub pdf_path: String,
}

/// Loads the invoice behind a link already [`HostedLinks::check`]ed: the invoice
/// with its lines, whether it can be paid by card, and the signed PDF path.
/// Errors: [`ServiceError::NotFound`] (a validly signed id that no longer
/// exists, or is not an invoice id).
pub fn page(
    conn: &mut DbConn,
    invoice_id: &str,
    exp: i64,
    sig: &str,
) -> Result<HostedInvoice, ServiceError> {
    let id: InvoiceId = invoice_id
        .parse()
        .map_err(|_| ServiceError::NotFound("invoice"))?;
    let invoice = invoicing::get(conn, id, Scope::All)?;
    let intents: i64 = pi::table
        .filter(pi::invoice_id.eq(invoice_id))
        .count()
        .get_result(conn)?;
    Ok(HostedInvoice {
        payable: invoice.status == InvoiceStatus::Open,
        card_payment_available: intents > 0,
        pdf_path: signed_path(invoice_id, exp, sig, "/pdf"),
        invoice,
    })
}

/// The archived PDF (number, bytes) behind a checked link.
/// Errors: [`ServiceError::NotFound`].
pub fn pdf(conn: &mut DbConn, invoice_id: &str) -> Result<(String, Vec<u8>), ServiceError> {
    let id: InvoiceId = invoice_id
        .parse()
        .map_err(|_| ServiceError::NotFound("invoice"))?;
    invoicing::pdf(conn, id, Scope::All)
}
