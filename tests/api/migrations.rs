//! The migrations that backfill money data run on a populated database: the
//! invoice subject (2026-11-22-000005), the applied part and status-after of each
//! payment (2026-11-22-000002), and the rewrite of queued jobs into typed
//! payloads (2026-11-23-000013). The test builds real history through the API,
//! reverts this stop's migrations (their `down.sql`), runs them again, and checks
//! the backfilled columns equal what the code wrote.

use accredit::db::conn::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use accredit::db::DbConn;
use accredit::services::ServiceError;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use serde_json::json;

use crate::exams::{buy_voucher, candidate, vendor};
use crate::helpers::TestApp;
use crate::licences::LICENCE;

/// Every migration from the foundation-repair stop (2026-11-22-000002 on) and
/// later ones are reverted; nothing older.
const FIRST_REVERTED: &str = "20261122000002";

type Subjects = Vec<(String, String, String)>;
type Payments = Vec<(String, i64, String)>;
type Jobs = Vec<(String, String, serde_json::Value)>;

fn snapshot(c: &mut DbConn) -> Result<(Subjects, Payments, Jobs), ServiceError> {
    use accredit::db::schema::{invoices as inv, outbox as ob, payments as pay};
    let subjects = inv::table
        .order(inv::id.asc())
        .select((inv::id, inv::subject_kind, inv::subject_id))
        .load(c)?;
    let payments = pay::table
        .order(pay::id.asc())
        .select((pay::id, pay::applied_minor, pay::invoice_status_after))
        .load(c)?;
    // Queued jobs: the typed-jobs migration (2026-11-23-000013) rewrites their
    // payloads down and up again; they must come back as the code wrote them.
    let jobs: Vec<(String, String, String)> = ob::table
        .order(ob::id.asc())
        .select((ob::id, ob::kind, ob::payload))
        .load(c)?;
    let jobs = jobs
        .into_iter()
        .map(|(id, kind, payload)| (id, kind, serde_json::from_str(&payload).unwrap()))
        .collect();
    Ok((subjects, payments, jobs))
}

fn revert_and_rerun(c: &mut DbConn) -> Result<(), ServiceError> {
    let run = |e: Box<dyn std::error::Error + Send + Sync>| {
        ServiceError::Internal(anyhow::anyhow!("migration: {e}"))
    };
    /// Reverts the newest migration while it is at or after [`FIRST_REVERTED`],
    /// then runs them all again.
    macro_rules! cycle {
        ($conn:expr, $set:expr) => {{
            loop {
                let applied = $conn.applied_migrations().map_err(run)?;
                let newest = applied.iter().map(|v| v.to_string()).max();
                match newest {
                    Some(v) if v.as_str() >= FIRST_REVERTED => {
                        $conn.revert_last_migration($set).map_err(run)?;
                    }
                    _ => break,
                }
            }
            $conn.run_pending_migrations($set).map_err(run)?;
        }};
    }
    match c {
        DbConn::Pg(pg) => cycle!(pg, POSTGRES_MIGRATIONS),
        DbConn::Sqlite(lite) => cycle!(lite, SQLITE_MIGRATIONS),
    }
    Ok(())
}

#[tokio::test]
async fn backfills_reproduce_what_the_code_recorded() {
    let app = TestApp::spawn().await;
    // A licence paid in two parts (statuses open, then paid), a second licence
    // unpaid, and an exam order paid in full.
    let (_, _, token) = app.provider("Backfill Training GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let invoice = order["invoice_id"].as_str().unwrap().to_owned();
    for (amount, reference) in [(100_000, "PART-1"), (150_000, "PART-2")] {
        let r = app
            .post(
                &format!("/v1/invoices/{invoice}/payments"),
                &app.finance_token,
                &json!({"amount": {"amount_minor": amount, "currency": "USD"},
                        "method": "bank_transfer", "reference": reference,
                        "received_on": app.ctx.clock.today().to_string()}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    app.buy(&token, LICENCE).await;
    let (_, _, ctoken) = candidate(&app, "Back", "Fill").await;
    let (vid, _) = vendor(&app, "Backfill Vendor").await;
    buy_voucher(&app, &ctoken, "PCEP", &vid, None).await;

    let before = app.ctx.db(snapshot).await.unwrap();
    assert_eq!(before.0.len(), 3, "three invoices");
    let kinds: Vec<&str> = before.2.iter().map(|j| j.1.as_str()).collect();
    assert!(
        kinds.contains(&"invoice_issued")
            && kinds.contains(&"mail:licence_active")
            && kinds.contains(&"mail:voucher_issued"),
        "{kinds:?}"
    );
    assert_eq!(
        before.1.iter().map(|p| p.2.as_str()).collect::<Vec<_>>(),
        ["open", "paid", "paid"]
    );

    app.ctx.db(revert_and_rerun).await.unwrap();

    let after = app.ctx.db(snapshot).await.unwrap();
    assert_eq!(after, before, "the backfill matches what the code recorded");
}
