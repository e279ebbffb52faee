//! What admins see and do about outgoing email (issue 11, "Delivery"): the email
//! jobs of the outbox with their delivery state, a retry of one that failed for
//! good, and a preview of every template rendered with its sample context.
//!
//! Emails are the outbox rows that send a mail (the kinds `mail:<template>` and
//! `invoice_issued`, see `services::mails`); the worker sends them, retries with
//! backoff and marks them `failed` after `outbox.max_attempts`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::OutboxRow;
use crate::db::schema::outbox as ob;
use crate::db::DbConn;
use crate::integrations::mail::EmailTemplates;
use crate::services::mails;
use crate::services::outbox::OutboxStatus;
use crate::services::pagination::{Page, PageRequest};
use crate::services::{naive, ServiceError};

/// Filters of `GET /v1/emails`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EmailFilter {
    /// Only emails in this delivery state (`failed` lists what needs an admin).
    pub status: Option<OutboxStatus>,
    /// Page size, 1–200 (default 50; larger values are capped at 200; below 1 is refused).
    #[param(minimum = 1)]
    pub limit: Option<i64>,
    /// The previous page's `next_cursor`: the key of the last item seen (any value
    /// of this form is a position; see `PageRequest`).
    #[param(pattern = "^[A-Za-z0-9_.:-]{1,200}$", min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
}

/// One outgoing email and its delivery state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Email {
    /// The outbox row id; also the left part of the mail's `Message-ID`
    /// (`<outbox-{id}@{sender domain}>`), the same on every attempt.
    pub id: String,
    /// Template name, e.g. `invoice_issued`.
    pub template: String,
    /// Recipient address.
    pub to: String,
    /// `pending`, `done` or `failed`.
    pub status: OutboxStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// The last attempt's error, if it failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was queued (in the transaction of the change it tells about).
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub completed_at: Option<DateTime<Utc>>,
    /// The admin who last retried it after it had failed, and when.
    pub retried_by: Option<String>,
    /// When it was last retried by an admin.
    pub retried_at: Option<DateTime<Utc>>,
}

fn view(r: OutboxRow) -> Result<Email, ServiceError> {
    let bad = |what: &str| anyhow::anyhow!("stored outbox row {}: bad {what}", r.id);
    let job = mails::decode_any(&r.kind, &r.payload)
        .ok_or_else(|| bad("kind"))?
        .map_err(|_| bad("payload"))?;
    let status = OutboxStatus::parse(&r.status).ok_or_else(|| bad("status"))?;
    Ok(Email {
        template: job.template.to_owned(),
        to: job.to,
        next_attempt_at: (status == OutboxStatus::Pending).then(|| r.next_attempt_at.and_utc()),
        status,
        attempts: r.attempts,
        last_error: r.last_error,
        created_at: r.created_at.and_utc(),
        completed_at: r.completed_at.map(|t| t.and_utc()),
        retried_by: r.retried_by,
        retried_at: r.retried_at.map(|t| t.and_utc()),
        id: r.id,
    })
}

/// Lists outgoing emails, oldest first (admin; `GET /v1/emails`).
///
/// Errors: [`ServiceError::Validation`] for a bad cursor.
pub fn list(conn: &mut DbConn, filter: &EmailFilter) -> Result<Page<Email>, ServiceError> {
    let page = PageRequest {
        limit: filter.limit,
        cursor: filter.cursor.clone(),
    };
    let mut q = ob::table
        .filter(ob::kind.eq_any(mails::kinds()))
        .order(ob::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(s) = filter.status {
        q = q.filter(ob::status.eq(s.as_str()));
    }
    if let Some(after) = page.after()? {
        q = q.filter(ob::id.gt(after));
    }
    let rows = q.select(OutboxRow::as_select()).load(conn)?;
    let emails = rows.into_iter().map(view).collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(emails, |e| e.id.clone()))
}

/// Puts a `failed` email back in the queue (admin; `POST /v1/emails/{id}/retry`):
/// `pending`, due now, with a fresh count of attempts; who retried it and when are
/// recorded. It keeps its id, so the resent mail carries the same `Message-ID`.
///
/// Errors: [`ServiceError::NotFound`] for an unknown id (or an outbox row that is
/// not an email); [`ServiceError::Conflict`] `email-not-failed` when it is pending
/// or delivered.
pub fn retry(
    conn: &mut DbConn,
    id: &str,
    admin: &str,
    now: DateTime<Utc>,
) -> Result<Email, ServiceError> {
    let row: OutboxRow = ob::table
        .find(id)
        .filter(ob::kind.eq_any(mails::kinds()))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ServiceError::NotFound("email"))?;
    if row.status != OutboxStatus::Failed.as_str() {
        return Err(ServiceError::Conflict {
            kind: "email-not-failed",
            detail: format!(
                "email {id} is {}; only a failed email is retried",
                row.status
            ),
        });
    }
    // The status guard makes two concurrent retries put it back once.
    let updated = diesel::update(
        ob::table
            .find(id)
            .filter(ob::status.eq(OutboxStatus::Failed.as_str())),
    )
    .set((
        ob::status.eq(OutboxStatus::Pending.as_str()),
        ob::attempts.eq(0),
        ob::next_attempt_at.eq(naive(now)),
        ob::locked_until.eq(None::<chrono::NaiveDateTime>),
        ob::retried_by.eq(Some(admin)),
        ob::retried_at.eq(Some(naive(now))),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(ServiceError::Conflict {
            kind: "email-not-failed",
            detail: format!("email {id} was retried at the same time"),
        });
    }
    let row = ob::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)?;
    view(row)
}

/// A template rendered with its sample context (`sample.json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmailPreview {
    /// Template name.
    pub template: String,
    /// The rendered subject (one line).
    pub subject: String,
    /// The `text/plain` alternative.
    pub text: String,
    /// The `text/html` alternative.
    pub html: String,
    /// The sample context it was rendered with.
    #[schema(value_type = Object)]
    pub sample: serde_json::Value,
}

/// The names of every email template, sorted (admin; `GET /v1/email-templates`).
pub fn template_names(templates: &EmailTemplates) -> Vec<String> {
    templates.names()
}

/// Renders template `name` with its sample context (admin; `GET
/// /v1/email-templates/{name}/preview`).
///
/// Errors: [`ServiceError::NotFound`] for an unknown template.
pub fn preview(templates: &EmailTemplates, name: &str) -> Result<EmailPreview, ServiceError> {
    let sample = templates
        .sample(name)
        .ok_or(ServiceError::NotFound("email template"))?
        .clone();
    let email = templates
        .render(name, "preview@example.org", &sample, Vec::new())
        .map_err(|e| {
            ServiceError::Internal(anyhow::Error::new(e).context(format!("previewing {name}")))
        })?;
    Ok(EmailPreview {
        template: name.to_owned(),
        subject: email.subject,
        text: email.text,
        html: email.html,
        sample,
    })
}
