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

/// A kind of job the outbox carries: one Rust type per kind, its fields the
/// payload (crates.io's `BackgroundJob` is the model). [`KIND`](OutboxJob::KIND)
/// is stored in `outbox.kind` and tells the worker which type to decode the
/// payload into; the mails are in `services::mails`.
pub trait OutboxJob: Serialize + serde::de::DeserializeOwned {
    /// The stored kind, e.g. `mail:licence_active`.
    const KIND: &'static str;
}

/// Writes `job`, due immediately, in the caller's transaction: it is performed
/// after the commit, or never if the transaction rolls back.
pub fn enqueue<J: OutboxJob>(
    conn: &mut DbConn,
    job: &J,
    now: DateTime<Utc>,
) -> Result<OutboxId, ServiceError> {
    insert(conn, J::KIND, job, now)
}

fn insert<T: Serialize>(
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
