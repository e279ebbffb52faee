//! Training materials (issue 8): submission by an active AT with its fee invoice,
//! review after payment, approval capped by the Python version's end of life, the
//! sweep (`reaccreditation_due`, `expired`), `accredited` false while the AT is
//! suspended (and its provider out of the public register's Python-version
//! filter), the admin-editable end-of-life table and scoping. Every test runs on
//! the injected manual clock, starting 2026-01-10.

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::accreditation::{decide, professional, sweep};
use crate::helpers::{Options, TestApp};

fn start() -> DateTime<Utc> {
    "2026-01-10T09:00:00Z".parse().unwrap()
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(Options {
        clock_at: Some(start()),
        ..Options::default()
    })
    .await
}

/// An AT provider admitted by bootstrap review for a professional-level person.
/// Returns (provider id, token, accreditation id).
async fn active_at(app: &TestApp) -> (String, String, String) {
    let (cid, _) = professional(app).await;
    let (pid, _) = app.create_provider("Hopper Training", "trainer").await;
    let r = app
        .post(
            "/v1/accreditations",
            &app.admin_token,
            &json!({"kind": "trainer", "provider_id": pid, "candidate_id": cid,
                "statement": "Founding trainer", "basis": "bootstrap_review", "case": "Reviewed"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "active", "{}", r.body);
    let token = app.provider_token(&pid).await;
    (pid, token, r.body["id"].as_str().unwrap().to_owned())
}

fn body(version: &str) -> Value {
    json!({"title": "Python in Practice", "level": "associate", "python_version": version,
        "language": "pt-BR", "delivery_method": "classroom"})
}

async fn submit(app: &TestApp, token: &str, version: &str) -> Value {
    let r = app
        .post("/v1/training-materials", token, &body(version))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

async fn get(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&format!("/v1/training-materials/{id}"), &app.admin_token)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

async fn decision(app: &TestApp, token: &str, id: &str, action: &str) -> crate::helpers::Resp {
    app.post(
        &format!("/v1/training-materials/{id}/decisions"),
        token,
        &json!({"action": action, "reason": "reviewed by the committee"}),
    )
    .await
}

/// Submits, pays the fee by bank transfer and approves; returns the approved view.
async fn approved(app: &TestApp, token: &str, version: &str) -> Value {
    let m = submit(app, token, version).await;
    let today = app.ctx.clock.today().to_string();
    let paid = app
        .pay_by_bank(m["invoice_id"].as_str().unwrap(), &today)
        .await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    let r = decision(app, &app.admin_token, m["id"].as_str().unwrap(), "approve").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

#[tokio::test]
async fn an_active_at_submits_pays_and_is_approved_until_the_python_end_of_life() {
    let app = spawn().await;
    let (pid, token, _) = active_at(&app).await;
    let m = submit(&app, &token, "3.10").await;
    assert_eq!(m["status"], "submitted");
    assert_eq!(m["provider_id"], pid.as_str());
    assert_eq!(m["accredited"], false);
    let invoice = m["invoice_id"].as_str().unwrap();
    let inv = app
        .get(&format!("/v1/invoices/{invoice}"), &app.admin_token)
        .await;
    assert_eq!(inv.status, 200, "{}", inv.body);
    assert_eq!(inv.body["total"]["amount_minor"], 30_000);
    assert_eq!(inv.body["subject"]["kind"], "training_material_fee");
    // Not under review before the fee is paid.
    let id = m["id"].as_str().unwrap();
    let r = decision(&app, &app.admin_token, id, "approve").await;
    assert_eq!(r.status, 409, "{}", r.body);
    let paid = app.pay_by_bank(invoice, "2026-01-10").await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(get(&app, id).await["status"], "under_review");
    // The provider does not decide.
    let r = decision(&app, &token, id, "approve").await;
    assert_eq!(r.status, 403, "{}", r.body);
    // 24 months from 2026-01-10 would be 2028-01-10; Python 3.10 ends on 2026-10-31.
    let r = decision(&app, &app.admin_token, id, "approve").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(r.body["approved_on"], "2026-01-10");
    assert_eq!(r.body["approved_until"], "2026-10-31");
    assert_eq!(r.body["accredited"], true);
    // A later version is capped by the period instead.
    let m = approved(&app, &token, "3.13").await;
    assert_eq!(m["approved_until"], "2028-01-10");
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn only_an_active_at_submits_and_only_for_a_known_supported_version() {
    let app = spawn().await;
    let (_, token, _) = active_at(&app).await;
    // An accredited education centre is not an AT.
    let (_, _, aec_token) = app.provider("Campus GmbH").await;
    let r = app
        .post("/v1/training-materials", &aec_token, &body("3.13"))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.problem_type()
            .ends_with("provider-not-accredited-trainer"),
        "{}",
        r.body
    );
    // A trainer provider without an accreditation neither.
    let (pid, _) = app.create_provider("Lovelace Training", "trainer").await;
    let t = app.provider_token(&pid).await;
    let r = app.post("/v1/training-materials", &t, &body("3.13")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.problem_type()
            .ends_with("provider-not-accredited-trainer"),
        "{}",
        r.body
    );
    let r = app
        .post("/v1/training-materials", &token, &body("3.99"))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.problem_type().ends_with("python-version-unknown"),
        "{}",
        r.body
    );
    let r = app
        .post("/v1/training-materials", &token, &body("3.9"))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.problem_type().ends_with("python-version-end-of-life"),
        "{}",
        r.body
    );
    let mut bad = body("3.x");
    bad["language"] = json!("en_US");
    let r = app.post("/v1/training-materials", &token, &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let text = r.body.to_string();
    assert!(
        text.contains("python_version") && text.contains("language"),
        "{text}"
    );
    // Nothing was written.
    let list = app.get("/v1/training-materials", &token).await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        0,
        "{}",
        list.body
    );
}

#[tokio::test]
async fn the_sweep_moves_approved_materials_to_reaccreditation_due_then_expired() {
    let app = spawn().await;
    let (_, token, _) = active_at(&app).await;
    let m = approved(&app, &token, "3.10").await;
    let id = m["id"].as_str().unwrap();
    // approved_until 2026-10-31; the 60-day window opens on 2026-09-01.
    let r = sweep(&app, "2026-08-31").await;
    assert_eq!(r["materials"]["reaccreditation_due"], 0, "{r}");
    assert_eq!(get(&app, id).await["status"], "approved");
    for n in [1, 0] {
        let r = sweep(&app, "2026-09-01").await;
        assert_eq!(r["materials"]["reaccreditation_due"], n, "{r}");
    }
    let v = get(&app, id).await;
    assert_eq!(v["status"], "reaccreditation_due");
    assert_eq!(v["accredited"], true);
    let r = sweep(&app, "2026-10-31").await;
    assert_eq!(r["materials"]["expired"], 0, "{r}");
    for n in [1, 0] {
        let r = sweep(&app, "2026-11-01").await;
        assert_eq!(r["materials"]["expired"], n, "{r}");
    }
    let v = get(&app, id).await;
    assert_eq!(v["status"], "expired");
    assert_eq!(v["accredited"], false);
}

async fn accredited_materials(app: &TestApp, pid: &str) -> Vec<String> {
    let pid: accredit::domain::ids::ProviderId = pid.parse().unwrap();
    app.ctx
        .db(move |c| accredit::services::accreditation::materials::accredited_materials(c, &[pid]))
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id.to_string())
        .collect()
}

#[tokio::test]
async fn a_suspended_ats_materials_are_not_accredited() {
    let app = spawn().await;
    let (pid, token, at) = active_at(&app).await;
    let m = approved(&app, &token, "3.13").await;
    let id = m["id"].as_str().unwrap().to_owned();
    assert_eq!(accredited_materials(&app, &pid).await, vec![id.clone()]);
    let number = get_accreditation_number(&app, &at).await;
    let listed = register(&app, "?python_version=3.13").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["accreditation_number"], number.as_str());
    assert_eq!(
        listed[0]["materials"],
        json!([{"title": "Python in Practice", "python_version": "3.13"}])
    );
    assert!(register(&app, "?python_version=3.12").await.is_empty());
    decide(&app, &at, "suspend", 200).await;
    // The suspended AT leaves the register, with or without the version filter.
    assert!(register(&app, "?python_version=3.13").await.is_empty());
    assert!(register(&app, "").await.is_empty());
    let v = get(&app, &id).await;
    assert_eq!(
        (v["status"].as_str(), v["accredited"].as_bool()),
        (Some("approved"), Some(false))
    );
    assert!(accredited_materials(&app, &pid).await.is_empty());
    // A suspended AT cannot submit more.
    let r = app
        .post("/v1/training-materials", &token, &body("3.13"))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    decide(&app, &at, "reinstate", 200).await;
    assert_eq!(get(&app, &id).await["accredited"], true);
    assert_eq!(accredited_materials(&app, &pid).await, vec![id]);
    let listed = register(&app, "?python_version=3.13").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["accreditation_number"], number.as_str());
}

/// The accreditation number of accreditation `id`.
async fn get_accreditation_number(app: &TestApp, id: &str) -> String {
    let a = crate::accreditation::get(app, id).await;
    a["number"].as_str().expect("number").to_owned()
}

/// The public register's entries for `query` (no token).
async fn register(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app
        .http
        .get(format!("{}/v1/register/providers{query}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn materials_are_scoped_and_the_end_of_life_table_is_admin_edited() {
    let app = spawn().await;
    let (_, token, _) = active_at(&app).await;
    let m = submit(&app, &token, "3.13").await;
    let id = m["id"].as_str().unwrap();
    let (_, _, other) = app.provider("Other Campus").await;
    let r = app
        .get(&format!("/v1/training-materials/{id}"), &other)
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app.get("/v1/training-materials", &other).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 0, "{}", r.body);
    let r = app.get("/v1/training-materials?limit=1", &token).await;
    assert_eq!(r.body["data"][0]["id"], id, "{}", r.body);
    // The table: seeded, ordered numerically, admin only.
    let r = app.get("/v1/python-versions", &app.admin_token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let versions: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]);
    assert_eq!(
        app.get("/v1/python-versions/3.12", &app.admin_token)
            .await
            .body["end_of_life"],
        "2028-10-31"
    );
    assert_eq!(app.get("/v1/python-versions", &token).await.status, 403);
    assert_eq!(
        app.get("/v1/python-versions/2.7", &app.admin_token)
            .await
            .status,
        404
    );
    let put = |v: &str, eol: &str| {
        let (path, b) = (
            format!("/v1/python-versions/{v}"),
            json!({"end_of_life": eol}),
        );
        let app = &app;
        async move {
            app.request(Method::PUT, &path, Some(&app.admin_token), None, Some(&b))
                .await
        }
    };
    let r = put("3.15", "2031-10-31").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = put("3.x", "2031-10-31").await;
    assert_eq!(r.status, 422, "{}", r.body);
    // An earlier end of life caps the approval.
    let r = put("3.13", "2026-06-30").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["end_of_life"], "2026-06-30");
    let paid = app
        .pay_by_bank(m["invoice_id"].as_str().unwrap(), "2026-01-10")
        .await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    let r = decision(&app, &app.admin_token, id, "approve").await;
    assert_eq!(r.body["approved_until"], "2026-06-30", "{}", r.body);
    let d: NaiveDate = r.body["approved_until"].as_str().unwrap().parse().unwrap();
    assert!(d < "2028-01-10".parse().unwrap());
    // A decided submission takes no second decision.
    let r = decision(&app, &app.admin_token, id, "reject").await;
    assert_eq!(r.status, 409, "{}", r.body);
}
