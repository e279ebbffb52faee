//! Accreditation fees (docs/domain.md, "Accreditation fees"): the initial fee invoice
//! issued on approval (Base Text + Syllabus, administrative overhead, and the AT or
//! AEC accreditation fee, one line each from the catalogue), the yearly maintenance
//! fee invoice (`POST /v1/accreditations/{id}/renewals`), and what paying either
//! does: the term is set — from the payment date for the first fee or once lapsed,
//! from the old expiry while in force or in grace — the status moves by
//! [`Action::FeePaid`], the certificate is rendered and emailed. All lines are
//! 12-month products, so invoicing books them as deferred revenue
//! (`deferred_revenue:accreditation_fees`).

use anyhow::Context;
use chrono::{DateTime, Datelike, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::models::{AccreditationFeeRow, AccreditationRow};
use crate::db::schema::{accreditation_fees as af, accreditations as ac};
use crate::db::{is_unique_violation, DbConn};
use crate::domain::accreditation::lifecycle::{AccreditationKind, Action};
use crate::domain::billing::invoice::InvoiceSubject;
use crate::domain::ids::{AccreditationFeeId, AccreditationId, InvoiceId, ProviderId};
use crate::domain::licensing::licence::next_term;
use crate::integrations::pdf::{render_certificate, CertificateDocument};

use crate::services::accreditation::cascade;
use crate::services::accreditation::store::{self, Accreditation};
use crate::services::billing::catalogue;
use crate::services::billing::invoicing::{self, IssuedInvoice, LineInput, PaymentChannel};
use crate::services::billing::payments::PaymentInput;
use crate::services::mails::{self, AccreditationActiveMail};
use crate::services::outbox::AttachmentRef;
use crate::services::parties::providers;
use crate::services::{naive, ServiceError};

/// Catalogue code of the Base Text + Syllabus line of an initial fee.
pub const BASE_TEXT_SYLLABUS: &str = "accreditation_base_text_syllabus";
/// Catalogue code of the administrative overhead line of an initial fee.
pub const ADMIN_OVERHEAD: &str = "accreditation_admin_overhead";

fn fee_products(kind: AccreditationKind) -> (&'static str, &'static str) {
    match kind {
        AccreditationKind::Trainer => ("at_accreditation", "at_maintenance"),
        AccreditationKind::EducationCenter => ("aec_accreditation", "aec_maintenance"),
    }
}

fn channel(stripe: bool) -> PaymentChannel {
    if stripe {
        PaymentChannel::Card
    } else {
        PaymentChannel::BankTransfer
    }
}

fn line(
    conn: &mut DbConn,
    code: &str,
    suffix: &str,
    now: DateTime<Utc>,
) -> Result<LineInput, ServiceError> {
    let product = catalogue::find(conn, code, now)?;
    let description = format!("{}{suffix}", product.product.name);
    Ok(LineInput {
        product,
        quantity: 1,
        description,
        period: None,
    })
}

fn issue(
    conn: &mut DbConn,
    settings: &Settings,
    stripe: bool,
    row: &AccreditationRow,
    initial: bool,
    now: DateTime<Utc>,
) -> Result<IssuedInvoice, ServiceError> {
    let (kind, _) = store::state_of(row)?;
    let (accreditation, maintenance) = fee_products(kind);
    let suffix = format!(" — accreditation {}", row.number);
    let lines = if initial {
        vec![
            line(conn, BASE_TEXT_SYLLABUS, &suffix, now)?,
            line(conn, ADMIN_OVERHEAD, &suffix, now)?,
            line(conn, accreditation, &suffix, now)?,
        ]
    } else {
        vec![line(conn, maintenance, &suffix, now)?]
    };
    let provider_id: ProviderId = row
        .provider_id
        .parse()
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("provider id")))?;
    let provider = providers::find_row(conn, provider_id, None)?;
    let fee_id = AccreditationFeeId::new();
    let invoice = invoicing::issue(
        conn,
        settings,
        &InvoiceSubject::accreditation_fee(fee_id),
        &invoicing::Buyer::provider(&provider),
        lines,
        channel(stripe),
        now,
    )?;
    let res = diesel::insert_into(af::table)
        .values(&AccreditationFeeRow {
            id: fee_id.to_string(),
            accreditation_id: row.id.clone(),
            kind: if initial { "initial" } else { "maintenance" }.to_owned(),
            state: "awaiting_payment".to_owned(),
            invoice_id: invoice.id.to_string(),
            starts_on: None,
            expires_on: None,
            created_at: naive(now),
            paid_at: None,
        })
        .execute(conn);
    match res {
        Ok(_) => Ok(invoice),
        Err(e) if is_unique_violation(&e) => Err(ServiceError::Conflict {
            kind: "fee-awaiting-payment",
            detail: "a fee invoice of this accreditation already awaits payment".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Issues the initial fee invoice of a just-approved accreditation. Runs in the
/// caller's transaction. Errors: as [`invoicing::issue`].
pub fn issue_initial(
    conn: &mut DbConn,
    settings: &Settings,
    stripe: bool,
    row: &AccreditationRow,
    now: DateTime<Utc>,
) -> Result<IssuedInvoice, ServiceError> {
    issue(conn, settings, stripe, row, true, now)
}

/// Issues the yearly maintenance-fee invoice (`POST /v1/accreditations/{id}/renewals`).
/// `scope` limits a provider to its own. Errors: [`ServiceError::NotFound`];
/// [`ServiceError::Conflict`] `accreditation-not-renewable` before the first
/// payment or once rejected or revoked, `fee-awaiting-payment` when a fee invoice
/// is already open.
pub fn renew(
    conn: &mut DbConn,
    settings: &Settings,
    stripe: bool,
    scope: Option<ProviderId>,
    id: AccreditationId,
    now: DateTime<Utc>,
) -> Result<(Accreditation, IssuedInvoice), ServiceError> {
    let row = store::find_row(conn, id, scope)?;
    let (_, status) = store::state_of(&row)?;
    if row.expires_on.is_none() || status.is_final() {
        return Err(ServiceError::Conflict {
            kind: "accreditation-not-renewable",
            detail: format!(
                "an accreditation in status {status} without a paid term cannot be renewed"
            ),
        });
    }
    let invoice = issue(conn, settings, stripe, &row, false, now)?;
    let view = {
        let fresh = store::load(conn, &row.id)?;
        store::view(conn, fresh)
    }?;
    Ok((view, invoice))
}

/// Fulfils fee `fee_id`, whose invoice `invoice_id` was just paid in full (called
/// once per invoice by the payment path through the fulfilment dispatcher): sets
/// the term, applies [`Action::FeePaid`] (a status the table refuses — e.g. revoked
/// meanwhile — keeps its status; the money stays booked), re-renders the
/// certificate and emails it. A fee already paid is left alone.
pub fn fulfil_fee(
    conn: &mut DbConn,
    settings: &Settings,
    fee_id: AccreditationFeeId,
    invoice_id: InvoiceId,
    payment: &PaymentInput,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let fee: AccreditationFeeRow = af::table
        .find(fee_id.to_string())
        .select(AccreditationFeeRow::as_select())
        .first(conn)
        .with_context(|| format!("accreditation fee {fee_id} of invoice {invoice_id}"))?;
    if fee.state == "paid" {
        return Ok(());
    }
    let row = store::load(conn, &fee.accreditation_id)?;
    let dates = next_term(
        row.expires_on,
        payment.received_on,
        settings.accreditation.term_months,
        settings.accreditation.grace_days,
    )
    .context("next accreditation term")?;
    diesel::update(af::table.find(&fee.id))
        .set((
            af::state.eq("paid"),
            af::starts_on.eq(Some(dates.starts_on)),
            af::expires_on.eq(Some(dates.expires_on)),
            af::paid_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    diesel::update(ac::table.find(&row.id))
        .set((
            ac::starts_on.eq(Some(row.starts_on.unwrap_or(dates.starts_on))),
            ac::expires_on.eq(Some(dates.expires_on)),
        ))
        .execute(conn)?;
    let h = invoicing::find_header(conn, invoice_id, crate::auth::Scope::All)?;
    let row = store::load(conn, &row.id)?;
    match cascade::apply_and_cascade(
        conn,
        settings,
        &row,
        Action::FeePaid,
        &format!("payment:{}", h.number),
        Some(&format!("fee invoice {} paid", h.number)),
        now,
    ) {
        Ok(_) => {}
        Err(ServiceError::Conflict { detail, .. }) => {
            tracing::warn!(accreditation = %row.id, %detail, "fee paid in a status that does not move");
        }
        Err(e) => return Err(e),
    }
    let row = store::load(conn, &row.id)?;
    match store::state_of(&row)?.0 {
        AccreditationKind::Trainer => cascade::recheck_trainer(conn, settings, &row, now)?,
        AccreditationKind::EducationCenter => cascade::recheck_aec(conn, settings, &row.id, now)?,
    }
    let row = store::load(conn, &row.id)?;
    issue_certificate(conn, settings, &row, Some(&h.number), now)?;
    Ok(())
}

/// Renders the accreditation certificate (the certification layout and QR code)
/// for the current term, stores it with its SHA-256 and queues the receipt email
/// (naming the paid invoice `invoice_number`) with the PDF attached; without an
/// invoice (a bootstrap admission, no fee) no email is sent. Runs in the caller's transaction.
/// Errors: [`ServiceError::Internal`] if the PDF cannot be rendered.
pub fn issue_certificate(
    conn: &mut DbConn,
    settings: &Settings,
    row: &AccreditationRow,
    invoice_number: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let (kind, status) = store::state_of(row)?;
    let provider_id: ProviderId = row
        .provider_id
        .parse()
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("provider id")))?;
    let provider = providers::find_row(conn, provider_id, None)?;
    let (code, name) = match kind {
        AccreditationKind::Trainer => ("AT", "Authorized Trainer"),
        AccreditationKind::EducationCenter => ("AEC", "Authorized Education Center"),
    };
    let issued_on = now.date_naive();
    let doc = CertificateDocument {
        holder_name: provider.legal_name.clone(),
        credential_code: code.to_owned(),
        credential_name: name.to_owned(),
        level: None,
        certificate_number: row.number.clone(),
        issued_on: issued_on.to_string(),
        expires_on: row.expires_on.map(|e| e.to_string()),
        verification_url: format!(
            "{}/v1/verify/{}",
            settings.public_base_url.trim_end_matches('/'),
            row.number
        ),
        issuer_name: settings.seller.legal_name.clone(),
    };
    let pdf = render_certificate(&doc).context("rendering accreditation certificate")?;
    diesel::update(ac::table.find(&row.id))
        .set((
            ac::certificate_sha256.eq(Some(hex::encode(Sha256::digest(&pdf)))),
            ac::certificate_pdf.eq(Some(pdf)),
        ))
        .execute(conn)?;
    let Some(invoice_number) = invoice_number else {
        return Ok(());
    };
    mails::send(
        conn,
        &AccreditationActiveMail {
            to: provider.email.clone(),
            attachments: vec![AttachmentRef::AccreditationCertificatePdf {
                accreditation_id: row.id.parse().map_err(anyhow::Error::new)?,
            }],
            org_name: settings.seller.legal_name.clone(),
            buyer_name: provider.legal_name.clone(),
            invoice_number: invoice_number.to_string(),
            accreditation_name: name.to_string(),
            accreditation_number: row.number.to_string(),
            status: status.as_str().to_owned(),
            expires_on: row.expires_on.map(|e| e.to_string()).unwrap_or_default(),
            verification_url: doc.verification_url.clone(),
        },
        now,
    )?;
    Ok(())
}

/// A fresh accreditation number, e.g. `AT-2026-7K3M9Q2X`.
pub fn new_number(kind: AccreditationKind, now: DateTime<Utc>) -> String {
    let code = match kind {
        AccreditationKind::Trainer => "AT",
        AccreditationKind::EducationCenter => "AEC",
    };
    crate::domain::codes::certificate_number(code, now.year(), &mut rand::rngs::OsRng)
}

/// The stored certificate PDF and number; `scope` as [`store::find_row`].
/// Errors: [`ServiceError::NotFound`] also when no certificate was issued yet.
pub fn certificate_pdf(
    conn: &mut DbConn,
    id: AccreditationId,
    scope: Option<ProviderId>,
) -> Result<(String, Vec<u8>), ServiceError> {
    let row = store::find_row(conn, id, scope)?;
    match row.certificate_pdf {
        Some(pdf) => Ok((row.number, pdf)),
        None => Err(ServiceError::NotFound("accreditation certificate")),
    }
}
