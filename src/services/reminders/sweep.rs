//! One sweep: the time-based state changes first, then, per policy, every due
//! step decided once (see [`super`] for the guarantees).

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::{write_transaction, DbConn};
use crate::domain::clock::Clock;
use crate::domain::reminders::{plan, Decision, FinalAction, Planned, Policy, SubjectKind};
use crate::services::mails::ReminderMail;
use crate::services::outbox;
use crate::services::{naive, ServiceError};

use super::runs::{self, KindSummary, RunSummary, WouldSend};
use super::subjects::{self, Page, Subject};
use super::{dunning, policies};
use crate::db::schema::reminders as rm;

#[derive(Insertable)]
#[diesel(table_name = rm)]
struct NewReminder<'a> {
    id: String,
    subject_kind: &'a str,
    subject_id: &'a str,
    step_offset_days: i32,
    due_on: NaiveDate,
    anchor_on: NaiveDate,
    status: &'a str,
    template: &'a str,
    recipient: Option<&'a str>,
    outbox_id: Option<String>,
    final_action: Option<&'a str>,
    run_id: &'a str,
    created_at: chrono::NaiveDateTime,
}

/// Inserts the row unless its key exists; returns whether it was inserted.
fn insert_once(conn: &mut DbConn, row: &NewReminder<'_>) -> Result<bool, ServiceError> {
    let n = match conn {
        DbConn::Pg(c) => diesel::insert_into(rm::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConn::Sqlite(c) => diesel::insert_into(rm::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(n == 1)
}

/// The steps already decided for `ids`: `(subject id, anchor, offset)`.
fn decided(
    conn: &mut DbConn,
    kind: SubjectKind,
    ids: &[String],
) -> Result<Vec<(String, NaiveDate, i32)>, ServiceError> {
    Ok(rm::table
        .filter(rm::subject_kind.eq(kind.as_str()))
        .filter(rm::subject_id.eq_any(ids))
        .select((rm::subject_id, rm::anchor_on, rm::step_offset_days))
        .load(conn)?)
}

fn plans_for(
    policy: &Policy,
    s: &Subject,
    as_of: NaiveDate,
    done: &[(String, NaiveDate, i32)],
    catch_up_days: u32,
) -> Vec<Planned> {
    let offsets: Vec<i32> = done
        .iter()
        .filter(|(id, anchor, _)| *id == s.id && *anchor == s.anchor)
        .map(|(_, _, o)| *o)
        .collect();
    plan(policy, s.anchor, as_of, &offsets, catch_up_days)
}

fn email(settings: &Settings, s: &Subject, p: &Planned, as_of: NaiveDate) -> ReminderMail {
    ReminderMail {
        template: p.template.clone(),
        to: s.to.clone(),
        attachments: vec![],
        org_name: settings.seller.legal_name.clone(),
        recipient_name: s.name.clone(),
        item: s.item.clone(),
        reference: s.reference.clone(),
        anchor_date: s.anchor.to_string(),
        days_until: (s.anchor - as_of).num_days(),
    }
}

/// Decides and writes the due steps of one page of subjects, in the caller's write
/// transaction. Each step is a reminder row under its unique key; only when this
/// transaction inserted it is the email queued (and the final action run).
#[allow(clippy::too_many_arguments)]
fn write_page(
    conn: &mut DbConn,
    settings: &Settings,
    policy: &Policy,
    page: &[Subject],
    as_of: NaiveDate,
    run_id: &str,
    now: chrono::DateTime<chrono::Utc>,
    counts: &mut KindSummary,
    actions: &mut u32,
) -> Result<(), ServiceError> {
    let ids: Vec<String> = page.iter().map(|s| s.id.clone()).collect();
    let done = decided(conn, policy.kind, &ids)?;
    for s in page {
        for p in plans_for(policy, s, as_of, &done, settings.scheduler.catch_up_days) {
            counts.planned += 1;
            let send = p.decision == Decision::Send;
            let act = (p.is_final && policy.final_action != FinalAction::None)
                .then_some(policy.final_action);
            let row = NewReminder {
                id: uuid::Uuid::now_v7().to_string(),
                subject_kind: policy.kind.as_str(),
                subject_id: &s.id,
                step_offset_days: p.offset_days,
                due_on: p.due_on,
                anchor_on: s.anchor,
                status: if send { "sent" } else { "skipped" },
                template: &p.template,
                recipient: send.then_some(s.to.as_str()),
                outbox_id: None,
                final_action: act.map(|a| a.as_str()),
                run_id,
                created_at: naive(now),
            };
            if !insert_once(conn, &row)? {
                continue;
            }
            if send {
                let outbox_id = outbox::enqueue(conn, &email(settings, s, &p, as_of), now)?;
                diesel::update(rm::table.find(&row.id))
                    .set(rm::outbox_id.eq(Some(outbox_id.to_string())))
                    .execute(conn)?;
                counts.sent += 1;
            } else {
                counts.skipped += 1;
            }
            if let Some(action) = act {
                if policy.kind == SubjectKind::Invoice
                    && dunning::act(conn, settings, action, &s.id, now)?
                {
                    *actions += 1;
                }
            }
        }
    }
    Ok(())
}

/// Runs the sweep for `as_of`. With `run_id` it writes (state changes through the
/// accreditation sweep, then reminders page by page, each page one transaction
/// that also renews the run's lease); without, it is a dry run that reads only and
/// lists in `would_send` what would be sent. `on_page(kind, subjects)` reports
/// progress. A page that fails is logged and counted in `failed`; nothing of it is
/// committed, so the next run decides it again.
pub fn sweep(
    conn: &mut DbConn,
    settings: &Settings,
    clock: &dyn Clock,
    as_of: NaiveDate,
    run_id: Option<&str>,
    on_page: &mut dyn FnMut(SubjectKind, usize),
) -> Result<RunSummary, ServiceError> {
    let cfg = &settings.scheduler;
    let mut summary = RunSummary::default();
    if run_id.is_some() {
        let now = clock.now();
        let report = write_transaction(conn, |c| {
            crate::services::accreditation::sweep::run(c, settings, as_of, now)
        })?;
        summary.state_changes = Some(serde_json::to_value(report).map_err(anyhow::Error::new)?);
    }
    for policy in policies::active(conn)? {
        let mut counts = KindSummary::default();
        if let Some(window) = policy.anchor_window(as_of, cfg.catch_up_days) {
            let mut after = String::new();
            loop {
                let page = Page {
                    window,
                    as_of,
                    licence_grace_days: settings.licence.grace_days,
                    after: &after,
                    limit: i64::from(cfg.batch_size.max(1)),
                    lock: run_id.is_some(),
                };
                let Some(run_id) = run_id else {
                    let ids = subjects::claim_ids(conn, policy.kind, page)?;
                    let Some(last) = ids.last().cloned() else {
                        break;
                    };
                    let subjects = subjects::load(conn, policy.kind, &ids)?;
                    let done = decided(conn, policy.kind, &ids)?;
                    for s in &subjects {
                        for p in plans_for(&policy, s, as_of, &done, cfg.catch_up_days) {
                            counts.planned += 1;
                            if p.decision == Decision::Send {
                                counts.sent += 1;
                                summary.would_send.push(WouldSend {
                                    subject_kind: policy.kind.as_str().to_owned(),
                                    subject_id: s.id.clone(),
                                    offset_days: p.offset_days,
                                    due_on: p.due_on,
                                    template: p.template.clone(),
                                    to: s.to.clone(),
                                });
                            } else {
                                counts.skipped += 1;
                            }
                        }
                    }
                    on_page(policy.kind, ids.len());
                    after = last;
                    continue;
                };
                let now = clock.now();
                let mut page_ids: Vec<String> = Vec::new();
                let mut page_counts = KindSummary::default();
                let mut page_actions = 0;
                let result = write_transaction(conn, |c| {
                    page_ids = subjects::claim_ids(c, policy.kind, page)?;
                    if page_ids.is_empty() {
                        return Ok(());
                    }
                    let subjects = subjects::load(c, policy.kind, &page_ids)?;
                    write_page(
                        c,
                        settings,
                        &policy,
                        &subjects,
                        as_of,
                        run_id,
                        now,
                        &mut page_counts,
                        &mut page_actions,
                    )?;
                    let mut so_far = summary.clone();
                    so_far.kinds.insert(policy.kind.as_str().to_owned(), counts);
                    runs::checkpoint(c, run_id, &so_far, cfg.lease_seconds, now)
                });
                let Some(last) = page_ids.last().cloned() else {
                    break;
                };
                match result {
                    Ok(()) => {
                        counts.planned += page_counts.planned;
                        counts.sent += page_counts.sent;
                        counts.skipped += page_counts.skipped;
                        summary.actions += page_actions;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, kind = %policy.kind, "reminder page failed; it is retried next run");
                        counts.failed += u32::try_from(page_ids.len()).unwrap_or(u32::MAX);
                    }
                }
                on_page(policy.kind, page_ids.len());
                after = last;
            }
        }
        summary
            .kinds
            .insert(policy.kind.as_str().to_owned(), counts);
    }
    Ok(summary)
}
