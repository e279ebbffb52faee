//! The outbox worker: claims due rows, performs them, and records the outcome.
//!
//! Claiming takes a lease (`locked_until`, 5 minutes) inside a write transaction —
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL so several instances share the queue, an
//! immediate transaction on SQLite. A failure is retried with exponential backoff
//! (30 s · 2^attempt, at most 6 h) until `max_attempts`, then the row is `dead`
//! and logged for an operator. Delivery is at-least-once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::models::OutboxRow;
use crate::db::schema::{invoices as inv, outbox as ob};
use crate::db::{write_transaction, DbConn};
use crate::integrations::mail::{Attachment, EmailTemplates, Mailer};
use crate::services::billing::invoice_documents;
use crate::services::outbox::{
    AttachmentRef, EmailJob, InvoiceIssuedJob, OutboxStatus, KIND_EMAIL, KIND_INVOICE_ISSUED,
};
use crate::services::{naive, AppContext, ServiceError};

const LEASE: Duration = Duration::from_secs(300);
const BATCH: i64 = 20;

/// Performs outbox jobs.
#[derive(Clone)]
pub struct OutboxWorker {
    ctx: AppContext,
    mailer: Arc<Mailer>,
    templates: Arc<EmailTemplates>,
}

/// Claims up to [`BATCH`] due rows. An idle poll only reads (no write lock): the
/// write transaction, which on SQLite queues with every sale, is opened only when
/// a row is due, and it holds the lock for one select and one update.
fn claim(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<OutboxRow>, ServiceError> {
    let n = naive(now);
    let due = ob::status
        .eq(OutboxStatus::Pending.as_str())
        .and(ob::next_attempt_at.le(n))
        .and(ob::locked_until.is_null().or(ob::locked_until.lt(n)));
    let any_due: Option<String> = ob::table
        .filter(due)
        .select(ob::id)
        .first(conn)
        .optional()?;
    if any_due.is_none() {
        return Ok(vec![]);
    }
    write_transaction(conn, |conn| {
        let ids: Vec<String> = match conn {
            DbConn::Pg(c) => ob::table
                .filter(due)
                .order(ob::next_attempt_at.asc())
                .limit(BATCH)
                .select(ob::id)
                .for_update()
                .skip_locked()
                .load(c)?,
            DbConn::Sqlite(c) => ob::table
                .filter(due)
                .order(ob::next_attempt_at.asc())
                .limit(BATCH)
                .select(ob::id)
                .load(c)?,
        };
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let lease = naive(now + chrono::Duration::from_std(LEASE).unwrap_or_default());
        diesel::update(ob::table.filter(ob::id.eq_any(&ids)))
            .set(ob::locked_until.eq(Some(lease)))
            .execute(conn)?;
        Ok(ob::table
            .filter(ob::id.eq_any(&ids))
            .order(ob::next_attempt_at.asc())
            .select(OutboxRow::as_select())
            .load(conn)?)
    })
}

fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    chrono::Duration::seconds(secs.min(6 * 3600))
}

impl OutboxWorker {
    /// A worker sending through `mailer` with `templates`.
    pub fn new(ctx: AppContext, mailer: Arc<Mailer>, templates: Arc<EmailTemplates>) -> Self {
        OutboxWorker {
            ctx,
            mailer,
            templates,
        }
    }

    /// Performs every job due now, batch by batch, and returns how many were
    /// attempted. Tests call this to drain the queue deterministically.
    pub async fn run_once(&self) -> Result<usize, ServiceError> {
        let mut done = 0;
        loop {
            let now = self.ctx.clock.now();
            let rows = self.ctx.db(move |c| claim(c, now)).await?;
            if rows.is_empty() {
                return Ok(done);
            }
            for row in rows {
                done += 1;
                let result = self.perform(&row).await;
                self.finish(row, result).await?;
            }
        }
    }

    /// Polls forever at `poll_interval`, logging failures; for `serve`.
    pub async fn run_forever(self, poll_interval: Duration) {
        loop {
            if let Err(e) = self.run_once().await {
                tracing::error!(error = %e, "outbox worker pass failed");
            }
            tokio::time::sleep(poll_interval).await;
        }
    }

    #[tracing::instrument(skip_all, fields(outbox_id = %row.id, kind = %row.kind))]
    async fn perform(&self, row: &OutboxRow) -> Result<(), String> {
        let bad = |e: serde_json::Error| format!("bad payload: {e}");
        match row.kind.as_str() {
            KIND_EMAIL => {
                self.send(serde_json::from_str(&row.payload).map_err(bad)?)
                    .await
            }
            KIND_INVOICE_ISSUED => {
                let job: InvoiceIssuedJob = serde_json::from_str(&row.payload).map_err(bad)?;
                let (id, now) = (job.invoice_id, self.ctx.clock.now());
                self.ctx
                    .db(move |c| invoice_documents::archive(c, id, now).map(|_| ()))
                    .await
                    .map_err(|e| e.to_string())?;
                self.send(job.email).await
            }
            other => Err(format!("unknown outbox kind `{other}`")),
        }
    }

    /// Sends one email, resolving its attachments (an invoice PDF not archived
    /// yet is archived first).
    async fn send(&self, job: EmailJob) -> Result<(), String> {
        let mut attachments = Vec::new();
        for a in &job.attachments {
            match a {
                AttachmentRef::InvoicePdf { invoice_id } => {
                    let (id, now) = (*invoice_id, self.ctx.clock.now());
                    let (number, pdf) = self
                        .ctx
                        .db(move |c| {
                            let (pdf, _) = invoice_documents::archive(c, id, now)?;
                            let number = inv::table
                                .find(id.to_string())
                                .select(inv::number)
                                .first::<String>(c)?;
                            Ok((number, pdf))
                        })
                        .await
                        .map_err(|e| e.to_string())?;
                    attachments.push(Attachment {
                        filename: format!("{number}.pdf"),
                        content_type: "application/pdf".into(),
                        bytes: pdf,
                    });
                }
                AttachmentRef::CertificatePdf { certification_id } => {
                    let id = *certification_id;
                    let (number, pdf) = self
                        .ctx
                        .db(move |c| {
                            crate::services::credentials::certifications::certificate_pdf(
                                c,
                                id,
                                crate::auth::Scope::All,
                            )
                        })
                        .await
                        .map_err(|e| e.to_string())?;
                    attachments.push(Attachment {
                        filename: format!("certificate-{number}.pdf"),
                        content_type: "application/pdf".into(),
                        bytes: pdf,
                    });
                }
                AttachmentRef::AccreditationCertificatePdf { accreditation_id } => {
                    let id = *accreditation_id;
                    let (number, pdf) = self
                        .ctx
                        .db(move |c| {
                            crate::services::accreditation::fees::certificate_pdf(c, id, None)
                        })
                        .await
                        .map_err(|e| e.to_string())?;
                    attachments.push(Attachment {
                        filename: format!("accreditation-{number}.pdf"),
                        content_type: "application/pdf".into(),
                        bytes: pdf,
                    });
                }
            }
        }
        let email = self
            .templates
            .render(&job.template, &job.to, &job.context, attachments)
            .map_err(|e| e.to_string())?;
        self.mailer
            .send(&self.ctx.settings.mail_from, &email)
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(template = %job.template, "email sent");
        Ok(())
    }

    async fn finish(&self, row: OutboxRow, result: Result<(), String>) -> Result<(), ServiceError> {
        let now = self.ctx.clock.now();
        let max = i32::try_from(self.ctx.settings.outbox.max_attempts).unwrap_or(8);
        self.ctx
            .db(move |c| {
                let attempts = row.attempts + 1;
                match result {
                    Ok(()) => diesel::update(ob::table.find(&row.id))
                        .set((
                            ob::status.eq(OutboxStatus::Done.as_str()),
                            ob::attempts.eq(attempts),
                            ob::locked_until.eq(None::<chrono::NaiveDateTime>),
                            ob::completed_at.eq(Some(naive(now))),
                        ))
                        .execute(c)?,
                    Err(error) => {
                        let dead = attempts >= max;
                        if dead {
                            tracing::error!(outbox_id = %row.id, %error, "outbox job failed for the last time");
                        } else {
                            tracing::warn!(outbox_id = %row.id, %error, attempts, "outbox job failed; will retry");
                        }
                        diesel::update(ob::table.find(&row.id))
                            .set((
                                ob::status.eq(if dead {
                                    OutboxStatus::Dead
                                } else {
                                    OutboxStatus::Pending
                                }
                                .as_str()),
                                ob::attempts.eq(attempts),
                                ob::locked_until.eq(None::<chrono::NaiveDateTime>),
                                ob::next_attempt_at.eq(naive(now + backoff(attempts))),
                                ob::last_error.eq(Some(error)),
                            ))
                            .execute(c)?
                    }
                };
                Ok(())
            })
            .await
    }
}
