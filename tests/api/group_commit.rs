//! Group commit of sales (issue 7): sales queued together run in one transaction,
//! each in its own savepoint. A refused sale rolls back alone (its invoice number
//! with it), the others commit, nobody is answered before the commit, and a sale
//! that panics rolls its whole batch back without poisoning the pool.

use std::time::Duration;

use accredit::db::schema::invoice_counters as ic;
use accredit::services::ServiceError;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::licences::LICENCE;

const SERIES: &str = "GCTEST";

fn counter(app: &TestApp) -> Option<i64> {
    let mut conn = app.ctx.pool.get().expect("connection");
    ic::table
        .find((SERIES, 2026))
        .select(ic::last_sequence)
        .first(&mut *conn)
        .optional()
        .expect("counter")
}

/// Job `i`: takes the next number of the test series; odd jobs are then refused,
/// so their number must be rolled back with their savepoint.
async fn numbered_job(app: &TestApp, i: i64, hold: Duration) -> Result<i64, ServiceError> {
    app.ctx
        .group_commit
        .run(&app.ctx.pool, move |c| {
            std::thread::sleep(hold);
            let seed = (
                ic::series.eq(SERIES),
                ic::year.eq(2026),
                ic::last_sequence.eq(0i64),
            );
            if diesel::update(ic::table.find((SERIES, 2026)))
                .set(ic::last_sequence.eq(ic::last_sequence + 1))
                .execute(c)?
                == 0
            {
                diesel::insert_into(ic::table).values(seed).execute(c)?;
                diesel::update(ic::table.find((SERIES, 2026)))
                    .set(ic::last_sequence.eq(ic::last_sequence + 1))
                    .execute(c)?;
            }
            let n: i64 = ic::table
                .find((SERIES, 2026))
                .select(ic::last_sequence)
                .first(c)?;
            if i % 2 == 1 {
                return Err(ServiceError::invalid("i", "odd jobs are refused"));
            }
            Ok(n)
        })
        .await
}

#[tokio::test]
async fn sales_queued_together_commit_in_one_batch_and_a_refused_one_rolls_back_alone() {
    let app = TestApp::spawn().await;
    let before = app.ctx.group_commit.batches();
    // Job 0 holds the writer while 1..16 queue behind it: they form ONE batch.
    let first = numbered_job(&app, 0, Duration::from_millis(300));
    let rest = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        futures_util::future::join_all((1..16).map(|i| numbered_job(&app, i, Duration::ZERO))).await
    };
    let (first, rest) = tokio::join!(first, rest);
    assert_eq!(first.expect("job 0"), 1);
    let mut numbers = vec![1];
    for (i, r) in (1..16).zip(rest) {
        match r {
            Ok(n) => {
                assert_eq!(i % 2, 0, "job {i} should have been refused");
                numbers.push(n);
            }
            Err(e) => {
                assert_eq!(i % 2, 1, "job {i} failed: {e}");
                assert!(matches!(e, ServiceError::Validation(_)), "job {i}: {e:?}");
            }
        }
    }
    numbers.sort();
    assert_eq!(
        numbers,
        (1..=8).collect::<Vec<i64>>(),
        "refused jobs gave their numbers back"
    );
    assert_eq!(counter(&app), Some(8));
    assert_eq!(
        app.ctx.group_commit.batches() - before,
        2,
        "job 0 alone, then the 15 queued behind it in one transaction"
    );
}

#[tokio::test]
async fn a_panicking_sale_rolls_its_batch_back_and_the_pool_stays_usable() {
    let app = TestApp::spawn().await;
    let first = numbered_job(&app, 0, Duration::from_millis(300));
    let rest = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let ok = numbered_job(&app, 2, Duration::ZERO);
        let boom = app
            .ctx
            .group_commit
            .run(&app.ctx.pool, |_c| -> Result<(), ServiceError> {
                panic!("a bug in a sale")
            });
        tokio::join!(ok, boom)
    };
    let (first, (ok, boom)) = tokio::join!(first, rest);
    assert_eq!(first.expect("job 0 committed before"), 1);
    assert!(
        boom.is_err(),
        "the panicking sale is answered with an error"
    );
    assert!(ok.is_err(), "its batch mate did not commit, and says so");
    assert_eq!(counter(&app), Some(1), "the batch was rolled back");
    // Every connection of the pool is still usable for writes.
    let again =
        futures_util::future::join_all((0..4).map(|i| numbered_job(&app, i * 2, Duration::ZERO)))
            .await;
    assert!(again.iter().all(Result::is_ok), "{again:?}");
    assert_eq!(counter(&app), Some(5));
}

/// Through the API: concurrent purchases, some refused (a provider without an
/// accreditation in force, an unknown product), get gap-free numbers; the
/// refused ones leave nothing behind and the ledger balances.
#[tokio::test]
async fn concurrent_purchases_with_refusals_keep_numbers_gap_free() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Batch GmbH").await;
    let (unaccredited, _) = app.create_provider("Pending GmbH", "trainer").await;
    let pending_token = app.provider_token(&unaccredited).await;
    let calls = (0..24).map(|i| {
        let (token, product) = match i % 4 {
            0 => (&pending_token, LICENCE),
            1 => (&token, "no_such_product"),
            _ => (&token, LICENCE),
        };
        let (http, address) = (app.http.clone(), app.address.clone());
        async move {
            let r = http
                .post(format!("{address}/v1/licences"))
                .bearer_auth(token)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&json!({"product_code": product}))
                .send()
                .await
                .unwrap();
            (i, r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    });
    let mut seqs: Vec<i64> = Vec::new();
    for (i, status, body) in futures_util::future::join_all(calls).await {
        if i % 4 < 2 {
            assert!((400..500).contains(&status), "call {i}: {status} {body}");
        } else {
            assert_eq!(status, 201, "call {i}: {body}");
            let number = body["payment"]["invoice_number"].as_str().unwrap();
            seqs.push(number.rsplit('-').next().unwrap().parse().unwrap());
        }
    }
    seqs.sort();
    assert_eq!(seqs, (1..=12).collect::<Vec<i64>>());
    app.assert_ledger_balanced().await;
}
