//! The migrations that backfill money data run on a populated database: the
//! invoice subject (2026-11-22-000005), the applied part and status-after of each
//! payment (2026-11-22-000002). The test builds real history through the API,
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

/// Migrations added by the foundation-repair stop (2026-11-22-000002 to -000005).
const REVERTED: usize = 4;
/// Their version prefix; the test checks it reverts nothing older.
const THIS_STOP: &str = "20261122";

type Subjects = Vec<(String, String, String)>;
type Payments = Vec<(String, i64, String)>;

fn snapshot(c: &mut DbConn) -> Result<(Subjects, Payments), ServiceError> {
    use accredit::db::schema::{invoices as inv, payments as pay};
    let subjects = inv::table
        .order(inv::id.asc())
        .select((inv::id, inv::subject_kind, inv::subject_id))
        .load(c)?;
    let payments = pay::table
        .order(pay::id.asc())
        .select((pay::id, pay::applied_minor, pay::invoice_status_after))
        .load(c)?;
    Ok((subjects, payments))
}

fn revert_and_rerun(c: &mut DbConn) -> Result<(), ServiceError> {
    let run = |e: Box<dyn std::error::Error + Send + Sync>| {
        ServiceError::Internal(anyhow::anyhow!("migration: {e}"))
    };
    match c {
        DbConn::Pg(pg) => {
            for _ in 0..REVERTED {
                pg.revert_last_migration(POSTGRES_MIGRATIONS).map_err(run)?;
            }
            pg.run_pending_migrations(POSTGRES_MIGRATIONS)
                .map_err(run)?;
        }
        DbConn::Sqlite(lite) => {
            for _ in 0..REVERTED {
                let v = lite.revert_last_migration(SQLITE_MIGRATIONS).map_err(run)?;
                assert!(v.to_string().starts_with(THIS_STOP), "reverted {v}");
            }
            lite.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(run)?;
        }
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
    assert_eq!(
        before.1.iter().map(|p| p.2.as_str()).collect::<Vec<_>>(),
        ["open", "paid", "paid"]
    );

    app.ctx.db(revert_and_rerun).await.unwrap();

    let after = app.ctx.db(snapshot).await.unwrap();
    assert_eq!(after, before, "the backfill matches what the code recorded");
}
