//! Accreditation of Authorized Trainers and Education Centers: applications,
//! approval, fee invoices and payment, renewal and lapse, gates, scoping and the
//! append-only audit trail ([`lifecycle`]: the cascade and the property test over
//! random action sequences). Every test runs on the injected manual clock.

mod lifecycle;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::exams::{candidate, vendor};
use crate::helpers::{Options, TestApp};

/// The business clock's start in these tests.
pub fn start() -> DateTime<Utc> {
    "2027-01-10T09:00:00Z".parse().unwrap()
}

pub async fn spawn() -> TestApp {
    TestApp::spawn_with(Options {
        clock_at: Some(start()),
        ..Options::default()
    })
    .await
}

/// Moves the manual clock to `date` 09:00 UTC.
pub fn set_date(app: &TestApp, date: &str) {
    let d: NaiveDate = date.parse().unwrap();
    app.clock
        .as_ref()
        .unwrap()
        .set(d.and_hms_opt(9, 0, 0).unwrap().and_utc());
}

/// Grants a credential by bootstrap review (admin).
pub async fn grant(app: &TestApp, cid: &str, code: &str) -> Value {
    let r = app.post("/v1/certifications", &app.admin_token, &json!({"candidate_id": cid, "credential_code": code, "basis": "bootstrap_review", "case": "reviewed"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// A candidate holding the professional level: PCPP1 and PCPP2 and 10 verified
/// credits. Returns (candidate id, PCPP2 certification id).
pub async fn professional(app: &TestApp) -> (String, String) {
    let (cid, _, token) = candidate(app, "Grace", "Hopper").await;
    grant(app, &cid, "PCPP1").await;
    let pcpp2 = grant(app, &cid, "PCPP2").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = app
        .post(
            &format!("/v1/candidates/{cid}/contributions"),
            &token,
            &json!({"description": "Mentors at PyCon sprints"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    let rv = app
        .post(
            &format!(
                "/v1/contributions/{}/review",
                c.body["id"].as_str().unwrap()
            ),
            &app.admin_token,
            &json!({"verified": true, "credits": 10}),
        )
        .await;
    assert_eq!(rv.status, 200, "{}", rv.body);
    (cid, pcpp2)
}

/// A trainer provider with its token and an AT application for `cid`.
/// Returns (provider id, token, application response).
pub async fn apply_at(app: &TestApp, cid: &str) -> (String, String, Value) {
    let (pid, _) = app.create_provider("Hopper Training", "trainer").await;
    let token = app.provider_token(&pid).await;
    let r = app
        .post(
            "/v1/accreditations",
            &token,
            &json!({"kind": "trainer", "candidate_id": cid, "statement": "I teach Python."}),
        )
        .await;
    (pid, token, r.body.clone())
}

/// An admin decision; asserts the status code.
pub async fn decide(app: &TestApp, id: &str, action: &str, status: u16) -> Value {
    let r = app
        .post(
            &format!("/v1/accreditations/{id}/decisions"),
            &app.admin_token,
            &json!({"action": action, "reason": format!("{action} by the committee")}),
        )
        .await;
    assert_eq!(r.status, status, "{action}: {}", r.body);
    r.body
}

pub async fn get(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&format!("/v1/accreditations/{id}"), &app.admin_token)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

pub async fn events(app: &TestApp, id: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/v1/accreditations/{id}/events"), &app.admin_token)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// Runs the sweep for `as_of` through the service (as the CLI does).
pub async fn sweep(app: &TestApp, as_of: &str) -> Value {
    let as_of: NaiveDate = as_of.parse().unwrap();
    let (settings, now) = (app.ctx.settings.clone(), app.ctx.clock.now());
    let report = app
        .ctx
        .db(move |c| {
            accredit::db::write_transaction(c, |c| {
                accredit::services::accreditation::sweep::run(c, &settings, as_of, now)
            })
        })
        .await
        .expect("sweep");
    serde_json::to_value(report).unwrap()
}

/// Pays the open fee invoice of accreditation `id` by bank transfer on the clock's date.
pub async fn pay_fee(app: &TestApp, id: &str) -> Value {
    let a = get(app, id).await;
    let invoice = a["fee_invoice_id"].as_str().expect("an open fee invoice");
    let today = app.ctx.clock.today().to_string();
    let r = app.pay_by_bank(invoice, &today).await;
    assert_eq!(r.status, 201, "{}", r.body);
    get(app, id).await
}

/// An AT in force: professional person, application, approval, payment.
/// Returns (provider id, token, accreditation id, candidate id, PCPP2 id).
pub async fn active_at(app: &TestApp) -> (String, String, String, String, String) {
    let (cid, pcpp2) = professional(app).await;
    let (pid, token, a) = apply_at(app, &cid).await;
    let id = a["id"].as_str().expect("applied").to_owned();
    decide(app, &id, "approve", 200).await;
    assert_eq!(pay_fee(app, &id).await["status"], "active");
    (pid, token, id, cid, pcpp2)
}

#[tokio::test]
async fn an_at_applies_is_approved_pays_renews_and_lapses() {
    let app = spawn().await;
    // Not professional: refused, naming what is missing.
    let (novice, _, _) = candidate(&app, "Ada", "Novice").await;
    let (_, _, refused) = apply_at(&app, &novice).await;
    assert_eq!(
        refused["type"], "https://accredit.example/problems/not-eligible",
        "{refused}"
    );
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("PCPP1") && detail.contains("PCPP2"),
        "{detail}"
    );
    assert!(detail.contains("verified community credits"), "{detail}");

    let (cid, _) = professional(&app).await;
    let (pid, token, a) = apply_at(&app, &cid).await;
    assert_eq!(a["status"], "applied", "{a}");
    let id = a["id"].as_str().unwrap().to_owned();
    decide(&app, &id, "start_review", 200).await;
    let approved = decide(&app, &id, "approve", 200).await;
    assert_eq!(approved["status"], "approved");
    // The initial fee: three catalogue lines, booked as deferred revenue.
    let invoice_id = approved["fee_invoice_id"].as_str().unwrap().to_owned();
    let inv = app.get(&format!("/v1/invoices/{invoice_id}"), &token).await;
    assert_eq!(inv.status, 200, "{}", inv.body);
    let codes: Vec<&str> = inv.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["product_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "accreditation_base_text_syllabus",
            "accreditation_admin_overhead",
            "at_accreditation"
        ]
    );
    assert_eq!(inv.body["total"]["amount_minor"], 130_000);
    assert_eq!(inv.body["subject"]["kind"], "accreditation_fee");
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(
        TestApp::account_balance(&tb, "deferred_revenue:accreditation_fees"),
        -130_000,
        "credit balance"
    );
    // Payment: active for 12 months, certificate emailed.
    let paid = pay_fee(&app, &id).await;
    assert_eq!(paid["status"], "active");
    assert_eq!(paid["expires_on"], "2028-01-10");
    assert!(paid["fee_invoice_id"].is_null());
    app.run_jobs().await;
    let provider = app.get(&format!("/v1/providers/{pid}"), &token).await;
    let mails = app.emails_to(provider.body["email"].as_str().unwrap());
    let cert_mail = mails
        .iter()
        .find(|m| {
            m.subject
                .starts_with("Your Authorized Trainer accreditation AT-")
        })
        .expect("certificate email");
    assert!(cert_mail
        .attachments
        .iter()
        .any(|(n, t, b)| n.starts_with("accreditation-AT-")
            && t == "application/pdf"
            && b.starts_with(b"%PDF")));
    let pdf = app
        .get(&format!("/v1/accreditations/{id}/certificate"), &token)
        .await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.bytes.starts_with(b"%PDF"));
    // Renewal window, idempotent sweep.
    let r = sweep(&app, "2027-11-01").await;
    assert_eq!(r["renewal_due"], 0);
    let r = sweep(&app, "2027-11-15").await;
    assert_eq!(r["renewal_due"], 1);
    let n = events(&app, &id).await.len();
    assert_eq!(sweep(&app, "2027-11-15").await["renewal_due"], 0);
    assert_eq!(
        events(&app, &id).await.len(),
        n,
        "a second sweep changes nothing"
    );
    assert_eq!(get(&app, &id).await["status"], "renewal_due");
    // Renewal paid before expiry extends from the old expiry.
    set_date(&app, "2027-12-01");
    let renewal = app
        .post(
            &format!("/v1/accreditations/{id}/renewals"),
            &token,
            &json!(null),
        )
        .await;
    assert_eq!(renewal.status, 201, "{}", renewal.body);
    let again = app
        .post(
            &format!("/v1/accreditations/{id}/renewals"),
            &token,
            &json!(null),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    let renewed = pay_fee(&app, &id).await;
    assert_eq!(
        (renewed["status"].as_str(), renewed["expires_on"].as_str()),
        (Some("active"), Some("2029-01-10"))
    );
    // Lapse after the grace period (30 days), then renewal from the payment date.
    assert_eq!(sweep(&app, "2029-02-08").await["lapsed"], 0);
    assert_eq!(get(&app, &id).await["status"], "renewal_due");
    assert_eq!(sweep(&app, "2029-02-09").await["lapsed"], 1);
    assert_eq!(get(&app, &id).await["status"], "lapsed");
    let lic = app
        .post(
            "/v1/licences",
            &token,
            &json!({"product_code": "base_text_syllabus_licence"}),
        )
        .await;
    assert_eq!(lic.status, 422, "{}", lic.body);
    assert!(
        lic.body["detail"].as_str().unwrap().contains("lapsed"),
        "{}",
        lic.body
    );
    set_date(&app, "2029-03-01");
    app.post(
        &format!("/v1/accreditations/{id}/renewals"),
        &token,
        &json!(null),
    )
    .await;
    let back = pay_fee(&app, &id).await;
    assert_eq!(
        (back["status"].as_str(), back["expires_on"].as_str()),
        (Some("active"), Some("2030-03-01"))
    );
    let trail: Vec<(String, String)> = events(&app, &id)
        .await
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["to_status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("application", "applied"),
        ("start_review", "under_review"),
        ("approve", "approved"),
        ("fee_paid", "active"),
        ("renewal_window_opened", "renewal_due"),
        ("fee_paid", "active"),
        ("renewal_window_opened", "renewal_due"),
        ("grace_ended", "lapsed"),
        ("fee_paid", "active"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, s)| (a.to_string(), s.to_string()))
        .collect();
    assert_eq!(trail, expected);
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn illegal_transitions_are_refused_and_change_nothing() {
    let app = spawn().await;
    let (_, _, id, _, _) = active_at(&app).await;
    let before = events(&app, &id).await.len();
    let r = decide(&app, &id, "approve", 409).await;
    assert_eq!(
        r["type"],
        "https://accredit.example/problems/illegal-transition"
    );
    decide(&app, &id, "reinstate", 409).await;
    assert_eq!(events(&app, &id).await.len(), before);
    assert_eq!(get(&app, &id).await["status"], "active");
    decide(&app, &id, "revoke", 200).await;
    for a in ["reinstate", "suspend", "approve", "revoke"] {
        decide(&app, &id, a, 409).await;
    }
    assert_eq!(get(&app, &id).await["status"], "revoked");
    // Not an admin action.
    let r = app
        .post(
            &format!("/v1/accreditations/{id}/decisions"),
            &app.admin_token,
            &json!({"action": "fee_paid", "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn gates_need_an_accreditation_in_force() {
    let app = spawn().await;
    // An unaccredited provider cannot buy a course-content licence.
    let (pid, _) = app
        .create_provider("Unaccredited GmbH", "education_center")
        .await;
    let token = app.provider_token(&pid).await;
    let r = app
        .post(
            "/v1/licences",
            &token,
            &json!({"product_code": "base_text_syllabus_licence"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        r.body["type"],
        "https://accredit.example/problems/provider-not-accredited"
    );
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("no accreditation"),
        "{}",
        r.body
    );
    // An active AT can.
    let (at_pid, at_token, _, _, _) = active_at(&app).await;
    let r = app
        .post(
            "/v1/licences",
            &at_token,
            &json!({"product_code": "base_text_syllabus_licence"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // A trainer cannot be the referring centre, nor an unaccredited centre; nothing is written.
    let (_, _, ctoken) = candidate(&app, "Cand", "Idate").await;
    let (vid, _) = vendor(&app, "V").await;
    for referrer in [&at_pid, &pid] {
        let r = app
            .post("/v1/exam-orders", &ctoken, &json!({"exam_code": "PCEP", "testing_vendor_id": vid, "referring_provider_id": referrer}))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            r.body["type"],
            "https://accredit.example/problems/referrer-not-accredited"
        );
    }
    let orders = app.get("/v1/exam-orders", &ctoken).await;
    assert_eq!(
        orders.body["data"].as_array().unwrap().len(),
        0,
        "{}",
        orders.body
    );
    // A lapsed AEC cannot refer either.
    let (aec, _, _) = app.provider("Lapsing Centre").await;
    let ok = app
        .post(
            "/v1/exam-orders",
            &ctoken,
            &json!({"exam_code": "PCEP", "testing_vendor_id": vid, "referring_provider_id": aec}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let lapse_on =
        (start().date_naive() + chrono::Months::new(12) + Duration::days(30)).to_string();
    sweep(&app, &lapse_on).await;
    let r = app
        .post(
            "/v1/exam-orders",
            &ctoken,
            &json!({"exam_code": "PCAP", "testing_vendor_id": vid, "referring_provider_id": aec}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body["detail"].as_str().unwrap().contains("lapsed"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn providers_see_and_act_only_on_their_own() {
    let app = spawn().await;
    let (_, token_a, id_a, _, _) = active_at(&app).await;
    let (_, _, token_b) = app.provider("Other Centre").await;
    // Foreign ids look like unknown ones.
    for path in [
        format!("/v1/accreditations/{id_a}"),
        format!("/v1/accreditations/{id_a}/events"),
        format!("/v1/accreditations/{id_a}/certificate"),
    ] {
        assert_eq!(app.get(&path, &token_b).await.status, 404, "{path}");
    }
    let r = app
        .post(
            &format!("/v1/accreditations/{id_a}/renewals"),
            &token_b,
            &json!(null),
        )
        .await;
    assert_eq!(r.status, 404);
    // Lists are scoped.
    let mine = app.get("/v1/accreditations", &token_b).await;
    let data = mine.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_ne!(data[0]["id"], id_a.as_str());
    assert_eq!(
        app.get("/v1/accreditations?limit=1", &app.admin_token)
            .await
            .body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Admin transitions are admin-only.
    let r = app
        .post(
            &format!("/v1/accreditations/{id_a}/decisions"),
            &token_a,
            &json!({"action": "suspend", "reason": "me"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Bootstrap admission is admin-only too.
    let r = app
        .post("/v1/accreditations", &token_b, &json!({"kind": "education_center", "statement": "s", "basis": "bootstrap_review", "case": "c"}))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn the_audit_trail_is_append_only_in_the_database() {
    use diesel::RunQueryDsl;
    let app = spawn().await;
    let (_, _, id, _, _) = active_at(&app).await;
    let n = events(&app, &id).await.len();
    for sql in [
        "UPDATE accreditation_events SET reason = 'rewritten'",
        "DELETE FROM accreditation_events",
    ] {
        let res = app
            .ctx
            .db(move |c| Ok(diesel::sql_query(sql).execute(c)))
            .await
            .unwrap();
        assert!(res.is_err(), "{sql} must be refused");
    }
    let trail = events(&app, &id).await;
    assert_eq!(trail.len(), n);
    assert!(trail.iter().all(|e| e["reason"] != "rewritten"));
}
