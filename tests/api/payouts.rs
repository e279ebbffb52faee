//! Partner payouts under concurrency, the trial balance's report of accounts on the
//! wrong side, and the amount limits that keep ledger sums from overflowing.

use accredit::domain::billing::ledger::{JournalEntry, LedgerAccount, RevenueStream};
use accredit::domain::money::{Currency, Money};
use accredit::services::billing::ledger;
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::exams::{buy_voucher, candidate, vendor};
use crate::helpers::TestApp;

/// A candidate orders PCEP at `vendor_id` and pays it by bank transfer, which
/// books the vendor's share as a partner payable.
async fn paid_exam_order(app: &TestApp, vendor_id: &str) {
    let (_, _, token) = candidate(app, "Payout", "Candidate").await;
    buy_voucher(app, &token, "PCEP", vendor_id, None).await;
}

/// What `GET /v1/payables` says the vendor is owed in USD.
async fn owed_to(app: &TestApp, vendor_id: &str) -> i64 {
    let r = app.get("/v1/payables", &app.finance_token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["partner_id"] == vendor_id && b["amount_due"]["currency"] == "USD")
        .map(|b| b["amount_due"]["amount_minor"].as_i64().unwrap())
        .sum()
}

/// Posts a two-line entry directly through the ledger service (as data booked by
/// an earlier version, or by a defect, would be).
async fn post_entry(app: &TestApp, debit: LedgerAccount, credit: LedgerAccount, minor: i64) {
    let now = app.ctx.clock.now();
    app.ctx
        .db(move |c| {
            let entry = JournalEntry::transfer(debit, credit, Money::new(minor, Currency::Usd))
                .expect("valid entry");
            let source = uuid::Uuid::new_v4().to_string();
            ledger::post(c, &entry, now, "test entry", "test", &source)
        })
        .await
        .expect("posted");
}

fn problem(slug: &str) -> String {
    format!("https://accredit.example/problems/{slug}")
}

fn account<'a>(tb: &'a Value, code: &str) -> &'a Value {
    tb["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == code && a["currency"] == "USD")
        .unwrap_or_else(|| panic!("no {code} in {tb}"))
}

#[tokio::test]
async fn concurrent_payouts_pay_what_is_owed_exactly_once() {
    // Arrange: three paid exam orders owe the vendor its share of each fee.
    let app = TestApp::spawn().await;
    let (vid, _) = vendor(&app, "Concurrent Testing Ltd").await;
    for _ in 0..3 {
        paid_exam_order(&app, &vid).await;
    }
    let owed = owed_to(&app, &vid).await;
    assert!(owed > 0);

    // Act: ten payouts released together, each with its own Idempotency-Key.
    let requests = (0..10).map(|i| {
        let body = json!({"partner_type": "testing_vendor", "partner_id": vid, "currency": "USD",
            "method": "bank_transfer", "reference": format!("WIRE-{i}")});
        let app = &app;
        async move { app.post("/v1/payouts", &app.finance_token, &body).await }
    });
    let responses = join_all(requests).await;

    // Assert: one payout of exactly what was owed; the others find nothing to pay.
    let created: Vec<_> = responses.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "exactly one payout");
    for r in responses.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{}",
            r.body
        );
        assert_eq!(r.problem_type(), problem("nothing-to-pay"), "{}", r.body);
    }
    let paid: i64 = created
        .iter()
        .map(|r| r.body["amount"]["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(paid, owed, "paid out exactly what was owed");
    assert_eq!(owed_to(&app, &vid).await, 0);
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "payables:partners"), 0);
    assert_eq!(tb["anomalies"], json!([]), "{tb}");
}

#[tokio::test]
async fn trial_balance_reports_accounts_on_the_wrong_side() {
    let app = TestApp::spawn().await;
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(tb["anomalies"], json!([]));

    // A payout with no payable behind it (what the double payout left): payables
    // carry a net debit, the bank account a net credit. Debits still equal credits.
    post_entry(
        &app,
        LedgerAccount::PartnerPayables,
        LedgerAccount::CashBank,
        4_130,
    )
    .await;
    // A normal sale: receivables (debit) and deferred revenue (credit) on their sides.
    post_entry(
        &app,
        LedgerAccount::Receivables,
        LedgerAccount::DeferredRevenue(RevenueStream::CourseLicences),
        250_000,
    )
    .await;

    let tb = app.assert_ledger_balanced().await;
    let payables = account(&tb, "payables:partners");
    assert_eq!(payables["normal_side"], "credit");
    assert_eq!(payables["balance_minor"], 4_130);
    assert_eq!(payables["wrong_side"], true);
    let cash = account(&tb, "cash:bank");
    assert_eq!(cash["normal_side"], "debit");
    assert_eq!(cash["wrong_side"], true);
    for fine in ["receivables", "deferred_revenue:course_licences"] {
        assert_eq!(account(&tb, fine)["wrong_side"], false, "{fine}");
    }
    let mut flagged: Vec<&str> = tb["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["currency"], "USD");
            assert_eq!(a["kind"], "wrong_side");
            a["account"].as_str().unwrap()
        })
        .collect();
    flagged.sort_unstable();
    assert_eq!(flagged, ["cash:bank", "payables:partners"]);
}

#[tokio::test]
async fn prices_above_the_documented_maximum_are_refused() {
    let app = TestApp::spawn().await;
    let add = |minor: i64| {
        let app = &app;
        async move {
            app.post(
                "/v1/products/exam_pcep/prices",
                &app.admin_token,
                &json!({"price": {"amount_minor": minor, "currency": "USD"}}),
            )
            .await
        }
    };
    for too_much in [i64::MAX, 10_000_000_001] {
        let r = add(too_much).await;
        assert_eq!(r.status, 422, "{too_much}: {}", r.body);
        assert_eq!(r.problem_type(), problem("validation-error"));
        assert_eq!(r.body["errors"][0]["field"], "price.amount_minor");
    }
    let r = add(10_000_000_000).await;
    assert_eq!(
        r.status, 201,
        "the maximum itself is a valid price: {}",
        r.body
    );
}

#[tokio::test]
async fn trial_balance_sums_huge_postings_without_overflow() {
    // Amounts booked before the input limits existed: each fits i64, their sum
    // does not.
    let app = TestApp::spawn().await;
    for _ in 0..2 {
        post_entry(
            &app,
            LedgerAccount::Receivables,
            LedgerAccount::Revenue(RevenueStream::CourseLicences),
            i64::MAX,
        )
        .await;
    }
    post_entry(
        &app,
        LedgerAccount::Receivables,
        LedgerAccount::Revenue(RevenueStream::CourseLicences),
        3,
    )
    .await;

    let r = app
        .get("/v1/ledger/trial-balance", &app.finance_token)
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.body["balanced"], true);
    assert_eq!(r.body["anomalies"], json!([]));
    let text = String::from_utf8_lossy(&r.bytes);
    let exact = (2 * i128::from(i64::MAX) + 3).to_string();
    assert!(
        text.contains(&format!("\"debits_minor\":{exact}")),
        "exact receivables debits: {text}"
    );
    assert!(
        text.contains(&format!("\"balance_minor\":-{exact}")),
        "exact revenue balance: {text}"
    );
}

#[tokio::test]
async fn open_payables_beyond_the_amount_range_are_a_clean_problem() {
    use accredit::db::schema::payables as pb;
    use diesel::prelude::*;

    // Two payables, each representable, whose sum is not (legacy data).
    let app = TestApp::spawn().await;
    let (vid, _) = vendor(&app, "Huge Payables Ltd").await;
    for _ in 0..2 {
        paid_exam_order(&app, &vid).await;
    }
    let v = vid.clone();
    app.ctx
        .db(move |c| {
            Ok(diesel::update(pb::table.filter(pb::partner_id.eq(v)))
                .set(pb::amount_minor.eq(i64::MAX / 2 + 1))
                .execute(c)?)
        })
        .await
        .unwrap();

    let list = app.get("/v1/payables", &app.finance_token).await;
    assert_eq!(list.status, 409, "{}", list.body);
    assert_eq!(list.problem_type(), problem("amount-out-of-range"));
    let pay = app
        .post(
            "/v1/payouts",
            &app.finance_token,
            &json!({"partner_type": "testing_vendor", "partner_id": vid, "currency": "USD",
                "method": "bank_transfer", "reference": "WIRE-HUGE"}),
        )
        .await;
    assert_eq!(pay.status, 409, "{}", pay.body);
    assert_eq!(pay.problem_type(), problem("amount-out-of-range"));
    app.assert_ledger_balanced().await;
}
