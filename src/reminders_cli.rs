//! `accredit reminders run` and the built-in scheduler of `accredit serve
//! --scheduler` (docs/domain.md, "Reminders and the scheduler").

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;

use accredit::config::Settings;
use accredit::db::DbConn;
use accredit::domain::clock::{Clock, SystemClock};
use accredit::domain::reminders::SubjectKind;
use accredit::services::reminders::{self, runs::RunOrigin, runs::RunSummary};
use accredit::services::ServiceError;

/// A refused `--as-of` says which field and why (the error's `Display` alone says
/// only "validation failed").
fn explain(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Validation(fields) => anyhow::Error::msg(
            fields
                .iter()
                .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.detail))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => anyhow::Error::new(other),
    }
}

/// Runs (or dry-runs) one sweep for `as_of` (default today, UTC). On a terminal:
/// a progress bar on stderr and a table; otherwise the JSON run (or dry-run
/// summary) on stdout.
pub fn run(
    settings: &Settings,
    as_of: Option<chrono::NaiveDate>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let pool = accredit::db::connect_and_migrate(&settings.database_url(), 1)?;
    let mut conn = pool.get()?;
    let conn: &mut DbConn = &mut conn;
    let clock = SystemClock;
    let as_of = as_of.unwrap_or_else(|| clock.today());
    let tty = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let bar = if tty {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}: {pos} subjects")
                .context("progress bar template")?,
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut on_page = |kind: SubjectKind, n: usize| {
        bar.set_message(kind.as_str());
        bar.inc(u64::try_from(n).unwrap_or(u64::MAX));
    };
    let (summary, json) = if dry_run {
        let s = reminders::dry_run(conn, settings, &clock, as_of, &mut on_page)
            .map_err(explain)
            .context("reminder dry run")?;
        let json = serde_json::to_string_pretty(&s)?;
        (s, json)
    } else {
        let run = reminders::run_now(
            conn,
            settings,
            &clock,
            RunOrigin::Cli,
            "cli",
            as_of,
            &mut on_page,
        )
        .map_err(explain)
        .context("reminder run")?;
        (run.summary.clone(), serde_json::to_string_pretty(&run)?)
    };
    bar.finish_and_clear();
    if tty {
        print_table(&summary, dry_run);
    } else {
        println!("{json}");
    }
    Ok(())
}

fn print_table(s: &RunSummary, dry_run: bool) {
    println!(
        "{:<20} {:>8} {:>8} {:>8} {:>8}",
        "kind",
        "planned",
        if dry_run { "to send" } else { "sent" },
        "skipped",
        "failed"
    );
    for (kind, k) in &s.kinds {
        println!(
            "{kind:<20} {:>8} {:>8} {:>8} {:>8}",
            k.planned, k.sent, k.skipped, k.failed
        );
    }
    for w in &s.would_send {
        println!(
            "would send {} to {} ({} {}, step {:+} days, due {})",
            w.template, w.to, w.subject_kind, w.subject_id, w.offset_days, w.due_on
        );
    }
    if s.actions > 0 {
        println!("dunning actions: {}", s.actions);
    }
}

/// Starts the loop of `serve --scheduler`: a sweep now and then every
/// `[scheduler] interval_seconds`, each logged; a failed sweep is logged and the
/// loop goes on (the next sweep decides what it did not).
pub fn spawn_scheduler(settings: Settings) -> anyhow::Result<()> {
    let pool = accredit::db::connect_and_migrate(&settings.database_url(), 2)?;
    let interval = Duration::from_secs(settings.scheduler.interval_seconds.max(1));
    tokio::spawn(async move {
        loop {
            let (pool, settings) = (pool.clone(), settings.clone());
            let result = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = pool.get()?;
                let clock = SystemClock;
                Ok(reminders::run_now(
                    &mut conn,
                    &settings,
                    &clock,
                    RunOrigin::Scheduler,
                    "scheduler",
                    clock.today(),
                    &mut |_, _| {},
                )?)
            })
            .await;
            match result {
                Ok(Ok(run)) => {
                    tracing::info!(run_id = %run.id, summary = ?run.summary.kinds, "reminder run finished")
                }
                Ok(Err(e)) => tracing::error!(error = format!("{e:#}"), "reminder run failed"),
                Err(e) => tracing::error!(error = %e, "reminder run task failed"),
            }
            tokio::time::sleep(interval).await;
        }
    });
    Ok(())
}
