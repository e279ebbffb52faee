//! Enqueuing side effects. A use case writes an outbox row in its own transaction;
//! the worker in [`crate::jobs::outbox`] performs it after commit, with retries.
//! Attachments are referenced (e.g. an invoice's archived PDF), never copied.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::models::OutboxRow;
use crate::db::schema::outbox;
use crate::db::DbConn;
use crate::domain::ids::{CertificationId, InvoiceId, OutboxId};

use crate::services::{naive, ServiceError};

crate::stored_enum! {
    /// Delivery state of an outbox row: `pending → done`, or `pending → failed`
    /// after the last failed attempt; an admin's retry puts a failed row back to
    /// `pending`.
    pub enum OutboxStatus {
        /// Waiting for (another) attempt.
        Pending = "pending",
        /// Delivered.
        Done = "done",
        /// Gave up after the maximum number of attempts.
        Failed = "failed",
    }
}

/// Something to attach, resolved when the mail is sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttachmentRef {
    /// The archived PDF of an invoice.
    InvoicePdf {
        /// The invoice.
        invoice_id: InvoiceId,
    },
    /// The archived PDF of a certificate.
    CertificatePdf {
        /// The certification.
        certification_id: CertificationId,
    },
    /// The stored certificate PDF of an accreditation.
    AccreditationCertificatePdf {
        /// The accreditation.
        accreditation_id: crate::domain::ids::AccreditationId,
    },
}

/// An email job: template name, recipient and template context.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailJob {
    /// Directory name under `email-templates/`.
    pub template: String,
    /// Recipient address.
    pub to: String,
    /// Template variables.
    pub context: serde_json::Value,
    /// Attachments to resolve at send time.
    pub attachments: Vec<AttachmentRef>,
}

/// Kind tag of email jobs in the outbox table.
pub const KIND_EMAIL: &str = "email";

/// Kind tag of [`InvoiceIssuedJob`]s in the outbox table.
pub const KIND_INVOICE_ISSUED: &str = "invoice_issued";

/// After an invoice is issued: render and archive its PDF, then send the
/// "invoice issued" email with it. The sale commits without rendering; this job
/// runs after the commit, and the email never goes out before the PDF is archived.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceIssuedJob {
    /// The invoice whose PDF to archive.
    pub invoice_id: InvoiceId,
    /// The email to send once it is archived (attaches the PDF).
    pub email: EmailJob,
}

/// Writes an email job, due immediately.
pub fn enqueue_email(
    conn: &mut DbConn,
    job: &EmailJob,
    now: DateTime<Utc>,
) -> Result<OutboxId, ServiceError> {
    enqueue(conn, KIND_EMAIL, job, now)
}

/// Writes an [`InvoiceIssuedJob`], due immediately.
pub fn enqueue_invoice_issued(
    conn: &mut DbConn,
    job: &InvoiceIssuedJob,
    now: DateTime<Utc>,
) -> Result<OutboxId, ServiceError> {
    enqueue(conn, KIND_INVOICE_ISSUED, job, now)
}

fn enqueue<T: Serialize>(
    conn: &mut DbConn,
    kind: &str,
    job: &T,
    now: DateTime<Utc>,
) -> Result<OutboxId, ServiceError> {
    let id = OutboxId::new();
    let payload = serde_json::to_string(job).map_err(anyhow::Error::new)?;
    diesel::insert_into(outbox::table)
        .values(&OutboxRow {
            id: id.to_string(),
            kind: kind.to_owned(),
            payload,
            status: OutboxStatus::Pending.as_str().to_owned(),
            attempts: 0,
            next_attempt_at: naive(now),
            locked_until: None,
            last_error: None,
            created_at: naive(now),
            completed_at: None,
            retried_by: None,
            retried_at: None,
        })
        .execute(conn)?;
    Ok(id)
}
