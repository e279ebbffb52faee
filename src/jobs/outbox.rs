//! The outbox worker: claims due rows, performs them, and records the outcome.
//!
//! Claiming takes a lease (`locked_until`, 5 minutes) inside a write transaction —
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL so several instances share the queue, an
//! immediate transaction on SQLite. A failure is retried with exponential backoff
//! and jitter ([`backoff`]) until `max_attempts`, then the row is `failed` and
//! logged; an admin lists and retries failed emails (`GET /v1/emails?status=failed`,
//! `POST /v1/emails/{id}/retry`). Delivery is at-least-once: every attempt of one
//! row sends the same `Message-ID` (`<outbox-{row id}@{sender domain}>`), so a
//! message sent again after an ambiguous SMTP failure (the relay took it, the
//! connection dropped before the reply) is recognisable as a duplicate.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::models::OutboxRow;
use crate::db::schema::{invoices as inv, outbox as ob};
use crate::db::{write_transaction, DbConn};
use crate::integrations::mail::{self, Attachment, EmailTemplates, Mailer};
use crate::services::billing::invoice_documents;
use crate::services::mails::{self, InvoiceIssuedJob, MailParts};
use crate::services::outbox::{AttachmentRef, OutboxJob, OutboxStatus};
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

/// An error with its causes, `outer: inner: …`: what an admin reads in
/// `last_error` (`GET /v1/emails`).
fn error_chain(e: impl std::error::Error + Send + Sync + 'static) -> String {
    format!("{:#}", anyhow::Error::new(e))
}

/// The delay before the next attempt after the `attempts`-th failure (1-based):
/// exponential, 30 s · 2^(attempts − 1) capped at 6 h, with "equal jitter" (AWS
/// Architecture Blog, "Exponential Backoff And Jitter"): half of it fixed, half
/// uniformly random, so instances that failed together (an SMTP outage) do not
/// retry together.
fn backoff(attempts: i32, rng: &mut impl rand::Rng) -> chrono::Duration {
    let exp = 30_000i64.saturating_mul(1i64 << (attempts - 1).clamp(0, 20));
    let cap = exp.min(6 * 3600 * 1000);
    let half = cap / 2;
    chrono::Duration::milliseconds(half + rng.gen_range(0..=half))
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
        if row.kind == InvoiceIssuedJob::KIND {
            let job: InvoiceIssuedJob =
                serde_json::from_str(&row.payload).map_err(|e| format!("bad payload: {e}"))?;
            let (id, now) = (job.invoice_id, self.ctx.clock.now());
            self.ctx
                .db(move |c| invoice_documents::archive(c, id, now).map(|_| ()))
                .await
                .map_err(error_chain)?;
        }
        match mails::decode_any(&row.kind, &row.payload) {
            Some(Ok(mail)) => self.send(&row.id, mail).await,
            Some(Err(e)) => Err(format!("bad payload for {}: {e}", row.kind)),
            None => Err(format!("unknown outbox kind `{}`", row.kind)),
        }
    }

    /// Sends the mail of outbox row `row_id`, resolving its attachments (an
    /// invoice PDF not archived yet is archived first), with the row's
    /// deterministic `Message-ID`.
    async fn send(&self, row_id: &str, job: MailParts) -> Result<(), String> {
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
                        .map_err(error_chain)?;
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
                        .map_err(error_chain)?;
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
                        .map_err(error_chain)?;
                    attachments.push(Attachment {
                        filename: format!("accreditation-{number}.pdf"),
                        content_type: "application/pdf".into(),
                        bytes: pdf,
                    });
                }
            }
        }
        let mut email = self
            .templates
            .render(job.template, &job.to, &job.context, attachments)
            .map_err(error_chain)?;
        email.message_id = Some(mail::message_id(row_id, &self.ctx.settings.mail_from));
        self.mailer
            .send(&self.ctx.settings.mail_from, &email)
            .await
            .map_err(error_chain)?;
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
                        let failed = attempts >= max;
                        if failed {
                            tracing::error!(outbox_id = %row.id, %error, "outbox job failed for the last time");
                        } else {
                            tracing::warn!(outbox_id = %row.id, %error, attempts, "outbox job failed; will retry");
                        }
                        diesel::update(ob::table.find(&row.id))
                            .set((
                                ob::status.eq(if failed {
                                    OutboxStatus::Failed
                                } else {
                                    OutboxStatus::Pending
                                }
                                .as_str()),
                                ob::attempts.eq(attempts),
                                ob::locked_until.eq(None::<chrono::NaiveDateTime>),
                                ob::next_attempt_at.eq(naive(
                                    now + backoff(attempts, &mut rand::thread_rng()),
                                )),
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

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_six_hours_with_half_of_it_random() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempts in 1..=30 {
            let cap = (30_000i64 << (attempts - 1).min(20)).min(6 * 3600 * 1000);
            let draws: Vec<i64> = (0..50)
                .map(|_| backoff(attempts, &mut rng).num_milliseconds())
                .collect();
            assert!(
                draws.iter().all(|d| (cap / 2..=cap).contains(d)),
                "attempt {attempts}: {draws:?} outside [{}, {cap}]",
                cap / 2
            );
            let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
            assert!(distinct.len() > 25, "attempt {attempts}: not jittered");
        }
        let first = backoff(1, &mut rng).num_milliseconds();
        assert!(
            (15_000..=30_000).contains(&first),
            "first retry in 15–30 s: {first}"
        );
    }
}
