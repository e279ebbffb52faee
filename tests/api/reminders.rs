//! Reminder policies, runs and the sweep (issue 11, "Policies" and "Running it").

use std::collections::BTreeSet;

use chrono::{Duration, Months, NaiveDate, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

use accredit::db::DbConn;
use accredit::domain::role::Role;

use crate::helpers::{backend, Options, TestApp};
use crate::licences::LICENCE;

const PROBLEMS: &str = "https://accredit.example/problems/";

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn spawn_at(y: i32, m: u32, d: u32) -> TestApp {
    TestApp::spawn_with(Options {
        clock_at: Some(Utc.with_ymd_and_hms(y, m, d, 6, 0, 0).unwrap()),
        ..Default::default()
    })
    .await
}

fn set_day(app: &TestApp, day: NaiveDate) {
    app.clock
        .as_ref()
        .unwrap()
        .set(day.and_hms_opt(6, 0, 0).unwrap().and_utc());
}

async fn sweep(app: &TestApp, token: &str) -> Value {
    let r = app
        .request(
            reqwest::Method::POST,
            "/v1/jobs/reminder-runs",
            Some(token),
            Some(&key()),
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.status, 201, "run: {}", r.body);
    r.body
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

/// Runs `sql` (a query returning one integer column `n`) on the app's database.
fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.ctx.pool.get().unwrap();
    let rows: Vec<N> = match &mut *conn {
        DbConn::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
    };
    rows[0].n
}

/// The sent reminders as (kind, subject id, offset, due date).
fn sent(app: &TestApp) -> BTreeSet<(String, String, i32, NaiveDate)> {
    #[derive(QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Text)]
        subject_kind: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        subject_id: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        step_offset_days: i32,
        #[diesel(sql_type = diesel::sql_types::Date)]
        due_on: NaiveDate,
    }
    let sql = "SELECT subject_kind, subject_id, step_offset_days, due_on FROM reminders WHERE status = 'sent'";
    let mut conn = app.ctx.pool.get().unwrap();
    let rows: Vec<R> = match &mut *conn {
        DbConn::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
    };
    rows.into_iter()
        .map(|r| (r.subject_kind, r.subject_id, r.step_offset_days, r.due_on))
        .collect()
}

/// The id and expiry of the voucher with `code`.
fn voucher(app: &TestApp, code: &str) -> (String, NaiveDate) {
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Date)]
        expires_on: NaiveDate,
    }
    let sql = format!("SELECT id, expires_on FROM vouchers WHERE code = '{code}'");
    let mut conn = app.ctx.pool.get().unwrap();
    let mut rows: Vec<V> = match &mut *conn {
        DbConn::Pg(c) => diesel::sql_query(sql).load(c).unwrap(),
        DbConn::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
    };
    let v = rows.remove(0);
    (v.id, v.expires_on)
}

#[tokio::test]
async fn policies_are_seeded_validated_and_only_admins_edit_them() {
    let app = TestApp::spawn().await;
    let r = app.get("/v1/reminder-policies", &app.admin_token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let kinds: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["subject_kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 7, "{kinds:?}");
    let licence = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject_kind"] == "licence")
        .unwrap();
    let offsets: Vec<i64> = licence["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["offset_days"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, vec![-60, -30, -7, 0, 7]);
    let invoice = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["subject_kind"] == "invoice")
        .unwrap();
    assert_eq!(invoice["final_action"], "none");

    let step = |o: i32, t: &str| json!({"offset_days": o, "template": t, "enabled": true});
    let bad = app
        .post(
            "/v1/reminder-policies",
            &app.admin_token,
            &json!({"subject_kind": "voucher", "steps": [step(-30, "no_such_template")]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.problem_type(), format!("{PROBLEMS}validation-error"));
    let dup = app
        .post("/v1/reminder-policies", &app.admin_token,
            &json!({"subject_kind": "voucher", "steps": [step(-7, "reminder_voucher_expiry"), step(-7, "reminder_voucher_expiry")]}))
        .await;
    assert_eq!(dup.status, 422, "{}", dup.body);
    let action = app
        .post("/v1/reminder-policies", &app.admin_token,
            &json!({"subject_kind": "voucher", "steps": [step(-7, "reminder_voucher_expiry")], "final_action": "suspend_accreditation"}))
        .await;
    assert_eq!(action.status, 422, "{}", action.body);
    let ok = app
        .post("/v1/reminder-policies", &app.admin_token,
            &json!({"subject_kind": "voucher", "steps": [step(-3, "reminder_voucher_expiry"), step(-14, "reminder_voucher_expiry")]}))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["steps"][0]["offset_days"], -14, "sorted");

    // Scoping: policies are admin only; runs are scheduler and admin only; the
    // scheduler may do nothing else.
    let scheduler = app.staff_token(Role::Scheduler).await;
    let (_, _, provider) = app.provider("Scope GmbH").await;
    for token in [&scheduler, &provider, &app.finance_token] {
        assert_eq!(app.get("/v1/reminder-policies", token).await.status, 403);
        let r = app
            .post(
                "/v1/reminder-policies",
                token,
                &json!({"subject_kind": "voucher", "steps": []}),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    for token in [&provider, &app.finance_token] {
        assert_eq!(app.get("/v1/jobs/reminder-runs", token).await.status, 403);
        assert_eq!(
            app.post("/v1/jobs/reminder-runs", token, &json!({}))
                .await
                .status,
            403
        );
    }
    for path in [
        "/v1/invoices",
        "/v1/licences",
        "/v1/emails",
        "/v1/accreditations",
        "/v1/products",
        "/v1/exams",
    ] {
        assert_eq!(app.get(path, &scheduler).await.status, 403, "{path}");
    }
    let run = sweep(&app, &scheduler).await;
    assert_eq!(run["status"], "finished");
    let got = app
        .get(
            &format!("/v1/jobs/reminder-runs/{}", run["id"].as_str().unwrap()),
            &scheduler,
        )
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["id"], run["id"]);
    let list = app
        .get("/v1/jobs/reminder-runs?limit=10", &app.admin_token)
        .await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    let missing = app
        .get(
            &format!("/v1/jobs/reminder-runs/{}", uuid::Uuid::new_v4()),
            &scheduler,
        )
        .await;
    assert_eq!(missing.status, 404);
    for as_of in ["2999-01-01", "1999-12-31"] {
        let r = app
            .post(
                "/v1/jobs/reminder-runs",
                &scheduler,
                &json!({ "as_of": as_of }),
            )
            .await;
        assert_eq!(r.status, 422, "{as_of}: {}", r.body);
    }
    let bad_cursor = app
        .get("/v1/jobs/reminder-runs?cursor=%21%21", &scheduler)
        .await;
    assert_eq!(bad_cursor.status, 422);
}

#[tokio::test]
async fn a_simulated_year_sends_exactly_the_expected_reminders_and_performs_the_lapse() {
    let app = spawn_at(2026, 1, 5).await;
    let start: NaiveDate = "2026-01-05".parse().unwrap();
    let scheduler = app.staff_token(Role::Scheduler).await;
    let (pid, email, token) = app.provider("Simulated Year GmbH").await;
    let accreditation = app
        .get(
            &format!("/v1/accreditations?provider_id={pid}"),
            &app.admin_token,
        )
        .await;
    let acc = accreditation.body["data"][0].clone();
    let acc_id = acc["id"].as_str().unwrap().to_owned();
    let acc_expiry = date(&acc["expires_on"]);

    // L1: paid, never renewed. L2: renewed between its -30 and -7 steps.
    // L3: never paid (its invoice is dunned; the licence has no expiry).
    let mut licences = vec![];
    for _ in 0..2 {
        let order = app.buy(&token, LICENCE).await;
        let paid = app
            .pay_by_bank(order["invoice_id"].as_str().unwrap(), "2026-01-05")
            .await;
        assert_eq!(paid.status, 201, "{}", paid.body);
        licences.push(order["id"].as_str().unwrap().to_owned());
    }
    let unpaid = app.buy(&token, LICENCE).await;
    let unpaid_invoice = unpaid["invoice_id"].as_str().unwrap().to_owned();
    let inv = app
        .get(
            &format!("/v1/invoices/{unpaid_invoice}"),
            &app.finance_token,
        )
        .await;
    let due = date(&inv.body["due_on"]);
    let l_exp = start.checked_add_months(Months::new(12)).unwrap();
    // A candidate's exam voucher, never used.
    let (_, cand_email, cand_token) = crate::exams::candidate(&app, "Ada", "Lovelace").await;
    let (vendor_id, _) = crate::exams::vendor(&app, "Pearson VUE").await;
    let (_, code) = crate::exams::buy_voucher(&app, &cand_token, "PCEP", &vendor_id, None).await;
    let (voucher_id, voucher_exp) = voucher(&app, &code);

    // Independently computed expectation.
    let mut expected = BTreeSet::new();
    for o in [-60, -30, -7, 0, 7] {
        expected.insert((
            "licence".to_owned(),
            licences[0].clone(),
            o,
            l_exp + Duration::days(o.into()),
        ));
    }
    for o in [-60, -30] {
        expected.insert((
            "licence".to_owned(),
            licences[1].clone(),
            o,
            l_exp + Duration::days(o.into()),
        ));
    }
    for o in [7, 14, 30] {
        expected.insert((
            "invoice".to_owned(),
            unpaid_invoice.clone(),
            o,
            due + Duration::days(o.into()),
        ));
    }
    for o in [-60, -30, -7] {
        expected.insert((
            "accreditation".to_owned(),
            acc_id.clone(),
            o,
            acc_expiry + Duration::days(o.into()),
        ));
    }

    for o in [-30, -7] {
        expected.insert((
            "voucher".to_owned(),
            voucher_id.clone(),
            o,
            voucher_exp + Duration::days(o.into()),
        ));
    }
    let renew_on = l_exp - Duration::days(20);
    let end = acc_expiry.max(l_exp) + Duration::days(45);
    let mut day = start;
    while day <= end {
        set_day(&app, day);
        if day == renew_on {
            let r = app
                .post(
                    &format!("/v1/licences/{}/renewals", licences[1]),
                    &token,
                    &json!(null),
                )
                .await;
            assert_eq!(r.status, 201, "renew: {}", r.body);
            let paid = app
                .pay_by_bank(r.body["invoice_id"].as_str().unwrap(), &day.to_string())
                .await;
            assert_eq!(paid.status, 201, "{}", paid.body);
        }
        let run = sweep(&app, &scheduler).await;
        assert_eq!(run["status"], "finished", "{run}");
        day += Duration::days(1);
    }
    assert_eq!(sent(&app), expected);
    // One email queued per sent reminder, delivered once each.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM reminders WHERE status = 'sent' AND outbox_id IS NOT NULL"
        ),
        expected.len() as i64
    );
    app.run_jobs().await;
    let reminder_mail = app
        .emails_to(&email)
        .into_iter()
        .filter(|m| {
            m.subject.contains("expires")
                || m.subject.contains("grace period")
                || m.subject.contains("overdue")
        })
        .count();
    assert_eq!(reminder_mail, expected.len() - 2);
    let voucher_mail = app
        .emails_to(&cand_email)
        .into_iter()
        .filter(|m| m.subject.contains("voucher expires"))
        .count();
    assert_eq!(voucher_mail, 2);
    // The lapse ran in the same sweep, through the accreditation service.
    let acc = app
        .get(&format!("/v1/accreditations/{acc_id}"), &app.admin_token)
        .await;
    assert_eq!(acc.body["status"], "lapsed", "{}", acc.body);
}

#[tokio::test]
async fn dunning_final_step_acts_once_and_catch_up_sends_only_the_latest_step() {
    let app = spawn_at(2026, 3, 2).await;
    let scheduler = app.staff_token(Role::Scheduler).await;
    let step =
        |o: i32| json!({"offset_days": o, "template": "reminder_invoice_overdue", "enabled": true});
    let r = app
        .post("/v1/reminder-policies", &app.admin_token,
            &json!({"subject_kind": "invoice", "steps": [step(7), step(14), step(30)], "final_action": "suspend_accreditation"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (pid, _, token) = app.provider("Dunned GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let invoice_id = order["invoice_id"].as_str().unwrap().to_owned();
    let inv = app
        .get(&format!("/v1/invoices/{invoice_id}"), &app.finance_token)
        .await;
    let due = date(&inv.body["due_on"]);

    // The scheduler was down: on due + 31 only the final step is sent.
    set_day(&app, due + Duration::days(31));
    let run = sweep(&app, &scheduler).await;
    let inv_counts = &run["summary"]["kinds"]["invoice"];
    assert_eq!(inv_counts["sent"], 1, "{run}");
    assert_eq!(inv_counts["skipped"], 2, "{run}");
    assert_eq!(run["summary"]["actions"], 1, "{run}");
    let acc = app
        .get(
            &format!("/v1/accreditations?provider_id={pid}"),
            &app.admin_token,
        )
        .await;
    let acc_id = acc.body["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(acc.body["data"][0]["status"], "suspended", "{}", acc.body);
    let again = sweep(&app, &scheduler).await;
    assert_eq!(again["summary"]["actions"], 0, "{again}");
    assert_eq!(again["summary"]["kinds"]["invoice"]["sent"], 0);
    let events = app
        .get(
            &format!("/v1/accreditations/{acc_id}/events"),
            &app.admin_token,
        )
        .await;
    let by_dunning = events
        .body
        .as_array()
        .or(events.body["data"].as_array())
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "rule:dunning")
        .count();
    assert_eq!(by_dunning, 1, "{}", events.body);
}

#[tokio::test]
async fn a_dry_run_lists_what_would_be_sent_and_changes_nothing() {
    let app = spawn_at(2026, 3, 2).await;
    let (_, _, token) = app.provider("Dry GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let invoice_id = order["invoice_id"].as_str().unwrap().to_owned();
    let inv = app
        .get(&format!("/v1/invoices/{invoice_id}"), &app.finance_token)
        .await;
    set_day(&app, date(&inv.body["due_on"]) + Duration::days(8));
    let tables = [
        "reminders",
        "reminder_runs",
        "outbox",
        "accreditation_events",
    ];
    let before: Vec<i64> = tables
        .iter()
        .map(|t| count(&app, &format!("SELECT COUNT(*) AS n FROM {t}")))
        .collect();
    let (settings, clock) = (app.ctx.settings.clone(), app.ctx.clock.clone());
    let as_of = clock.today();
    let summary = app
        .ctx
        .db(move |c| {
            accredit::services::reminders::dry_run(c, &settings, &*clock, as_of, &mut |_, _| {})
        })
        .await
        .unwrap();
    assert_eq!(summary.would_send.len(), 1, "{summary:?}");
    assert_eq!(summary.would_send[0].subject_id, invoice_id);
    assert_eq!(summary.would_send[0].offset_days, 7);
    let after: Vec<i64> = tables
        .iter()
        .map(|t| count(&app, &format!("SELECT COUNT(*) AS n FROM {t}")))
        .collect();
    assert_eq!(before, after);
}

/// Inserts `n` licences of one provider expiring on `expires_on`.
fn insert_licences(app: &TestApp, provider: &str, n: usize, expires_on: NaiveDate) {
    let mut conn = app.ctx.pool.get().unwrap();
    let mut sql = String::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|_| format!("('{}', '{provider}', '{LICENCE}', 1, '{}', '{expires_on}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                uuid::Uuid::new_v4(), expires_on - Duration::days(365)))
            .collect();
        sql.push_str(&format!("INSERT INTO licences (id, provider_id, product_code, seats, starts_on, expires_on, created_at, updated_at) VALUES {};\n", values.join(",")));
    }
    conn.batch_execute(&sql).unwrap();
}

#[tokio::test]
async fn concurrent_sweeps_send_each_reminder_once_and_an_expired_lease_loses_nothing() {
    let app = spawn_at(2026, 6, 1).await;
    let today: NaiveDate = "2026-06-01".parse().unwrap();
    let scheduler = app.staff_token(Role::Scheduler).await;
    let (pid, _, _) = app.provider("Many Licences GmbH").await;
    let n = if backend() == "postgres" { 10_000 } else { 300 };
    insert_licences(&app, &pid, n, today + Duration::days(7));

    // A run that died mid-way holds an unexpired lease.
    let mut conn = app.ctx.pool.get().unwrap();
    conn.batch_execute("INSERT INTO reminder_runs (id, as_of, origin, started_by, status, summary, started_at, locked_until) VALUES ('00000000-0000-7000-8000-000000000001', '2026-06-01', 'cli', 'cli', 'running', '{\"kinds\":{},\"actions\":0}', '2026-06-01 05:59:00', '2026-06-01 06:04:00')").unwrap();
    drop(conn);

    let started = std::time::Instant::now();
    if backend() == "sqlite" {
        let r = app
            .post("/v1/jobs/reminder-runs", &scheduler, &json!({}))
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(
            r.problem_type(),
            format!("{PROBLEMS}reminder-run-in-progress")
        );
        set_day(&app, today);
        app.clock
            .as_ref()
            .unwrap()
            .set(Utc.with_ymd_and_hms(2026, 6, 1, 6, 10, 0).unwrap());
        sweep(&app, &scheduler).await;
    } else {
        let keys: Vec<String> = (0..3).map(|_| key()).collect();
        let body = json!({});
        let runs = keys.iter().map(|k| {
            app.request(
                reqwest::Method::POST,
                "/v1/jobs/reminder-runs",
                Some(&scheduler),
                Some(k),
                Some(&body),
            )
        });
        for r in futures_util::future::join_all(runs).await {
            assert_eq!(r.status, 201, "{}", r.body);
            eprintln!(
                "one of three concurrent runs sent {}",
                r.body["summary"]["kinds"]["licence"]["sent"]
            );
        }
    }
    let elapsed = started.elapsed();
    eprintln!("{n} due reminders swept in {elapsed:?} on {}", backend());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM reminders WHERE status = 'sent'"
        ),
        n as i64
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM reminders WHERE status = 'skipped'"
        ),
        2 * n as i64,
        "-60 and -30 skipped by catch-up"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE '%reminder_licence_expiry%'"
        ),
        n as i64
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM (SELECT subject_id FROM reminders WHERE status = 'sent' GROUP BY subject_id HAVING COUNT(*) > 1) d"),
        0
    );
    // A later run finds nothing more to do.
    app.clock
        .as_ref()
        .unwrap()
        .set(Utc.with_ymd_and_hms(2026, 6, 1, 7, 0, 0).unwrap());
    let again = sweep(&app, &scheduler).await;
    assert_eq!(again["summary"]["kinds"]["licence"]["sent"], 0, "{again}");
    if backend() == "sqlite" {
        let dead = app
            .get(
                "/v1/jobs/reminder-runs/00000000-0000-7000-8000-000000000001",
                &scheduler,
            )
            .await;
        assert_eq!(dead.body["status"], "failed", "{}", dead.body);
    }
}
