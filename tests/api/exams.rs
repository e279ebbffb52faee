//! Candidates, exam orders, fee splits, vouchers, results, certifications and
//! public verification.

use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{run_tool, today, Options, TestApp};

/// Signs up a candidate and logs in; returns (id, email, token).
pub async fn candidate(app: &TestApp, given: &str, family: &str) -> (String, String, String) {
    let email = format!("cand+{}@example.org", uuid::Uuid::new_v4().simple());
    let r = app
        .request(Method::POST, "/v1/candidates", None, Some(&uuid::Uuid::new_v4().to_string()), Some(&json!({
            "email": email, "given_name": given, "family_name": family, "country": "PL", "password": "correct horse battery"
        })))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .request(
            Method::POST,
            "/v1/auth/login",
            None,
            None,
            Some(&json!({"email": email, "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    (
        id,
        email,
        r.body["access_token"].as_str().unwrap().to_owned(),
    )
}

/// Registers a testing vendor and returns (id, token).
pub async fn vendor(app: &TestApp, name: &str) -> (String, String) {
    let r = app
        .post(
            "/v1/testing-vendors",
            &app.admin_token,
            &json!({"name": name, "country": "US"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let c = app
        .post(
            &format!("/v1/testing-vendors/{id}/clients"),
            &app.admin_token,
            &json!({"name": "api"}),
        )
        .await;
    assert_eq!(c.status, 201);
    let token = app
        .token(
            c.body["client_id"].as_str().unwrap(),
            c.body["client_secret"].as_str().unwrap(),
        )
        .await;
    (id, token)
}

/// Orders and pays (bank transfer) an exam; returns the voucher code.
pub async fn buy_voucher(
    app: &TestApp,
    token: &str,
    exam: &str,
    vendor_id: &str,
    referrer: Option<&str>,
) -> (Value, String) {
    let mut body = json!({"exam_code": exam, "testing_vendor_id": vendor_id});
    if let Some(r) = referrer {
        body["referring_provider_id"] = json!(r);
    }
    let order = app.post("/v1/exam-orders", token, &body).await;
    assert_eq!(order.status, 201, "{}", order.body);
    let invoice = app
        .get(
            &format!(
                "/v1/invoices/{}",
                order.body["invoice_id"].as_str().unwrap()
            ),
            token,
        )
        .await;
    assert_eq!(
        invoice.body["subject"],
        json!({"kind": "exam_order", "id": order.body["id"]}),
        "the fee invoice is for this exam order"
    );
    let paid = app
        .pay_by_bank(
            order.body["invoice_id"].as_str().unwrap(),
            &app.ctx.clock.today().to_string(),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    let o = app
        .get(
            &format!("/v1/exam-orders/{}", order.body["id"].as_str().unwrap()),
            token,
        )
        .await;
    assert_eq!(o.body["status"], "paid");
    (
        order.body,
        o.body["voucher_code"].as_str().unwrap().to_owned(),
    )
}

pub async fn sit(app: &TestApp, vendor_token: &str, voucher: &str, passed: bool) -> Value {
    let a = app
        .post(
            &format!("/v1/vouchers/{voucher}/redemptions"),
            vendor_token,
            &json!(null),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["id"].as_str().unwrap();
    let taken_at = app.ctx.clock.now().to_rfc3339();
    let r = app
        .post(&format!("/v1/exam-attempts/{id}/result"), vendor_token, &json!({"passed": passed, "score_percent": if passed { 82 } else { 41 }, "taken_at": taken_at}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

#[tokio::test]
async fn full_path_sign_up_to_verification_and_revocation() {
    let app = TestApp::spawn().await;
    let (cid, email, token) = candidate(&app, "Zoë", "Łukasiewicz").await;
    let (vid, vtoken) = vendor(&app, "Pearson-like Testing").await;
    let (aec, _, _) = app.provider("Referring Centre GmbH").await;

    let (order, voucher) = buy_voucher(&app, &token, "PCEP", &vid, Some(&aec)).await;
    assert_eq!(
        order["payment"]["amount_due"],
        json!({"amount_minor": 5900, "currency": "USD"})
    );
    app.run_jobs().await;
    let mails = app.emails_to(&email);
    assert!(
        mails.iter().any(|m| m.text.contains(&voucher)),
        "voucher emailed"
    );

    // Default split 30/60/10 of US$59.00.
    let payables = app.get("/v1/payables", &app.finance_token).await;
    let owed = |t: &str| {
        payables.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["partner_type"] == t)
            .unwrap()["amount_due"]["amount_minor"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(owed("testing_vendor"), 3540);
    assert_eq!(owed("referring_provider"), 590);
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "revenue:exam_fees"), -1770);
    assert_eq!(TestApp::account_balance(&tb, "payables:partners"), -4130);

    let attempt = sit(&app, &vtoken, &voucher, true).await;
    let cert_id = attempt["certification_id"].as_str().unwrap().to_owned();
    app.run_jobs().await;
    let certs = app.get("/v1/certifications", &token).await;
    let cert = &certs.body["data"][0];
    assert_eq!(cert["credential_code"], "PCEP");
    assert_eq!(cert["level"], "certified");
    assert_eq!(cert["status"], "valid");
    let number = cert["certificate_number"].as_str().unwrap().to_owned();
    let pdf = app
        .get(&format!("/v1/certifications/{cert_id}/certificate"), &token)
        .await;
    assert_eq!(pdf.status, 200);
    let mail = app
        .emails_to(&email)
        .into_iter()
        .find(|m| m.subject.contains(&number))
        .expect("certificate mail");
    assert_eq!(mail.attachments[0].2, pdf.bytes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, &pdf.bytes).unwrap();
    let (ok, text) = run_tool("pdftotext", &[path.to_str().unwrap(), "-"]);
    assert!(
        ok && text.contains("Zoë Łukasiewicz") && text.contains(&number) && text.contains("PCEP"),
        "{text}"
    );
    let (ok, out) = run_tool("qpdf", &["--check", path.to_str().unwrap()]);
    assert!(ok, "{out}");

    let v = app
        .request(
            Method::GET,
            &format!("/v1/verify/{number}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(v.status, 200);
    assert_eq!(v.body["status"], "valid");
    assert_eq!(v.body["holder_name"], "Zoë Łukasiewicz");
    use sha2::Digest;
    assert_eq!(
        v.body["pdf_sha256"],
        hex::encode(sha2::Sha256::digest(&pdf.bytes))
    );
    assert_eq!(
        app.request(Method::GET, "/v1/verify/PCEP-2026-NOPE", None, None, None)
            .await
            .status,
        404
    );

    let r = app
        .post(
            &format!("/v1/certifications/{cert_id}/suspension"),
            &app.admin_token,
            &json!({"reason": "under investigation"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = app
        .request(
            Method::GET,
            &format!("/v1/verify/{number}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(v.body["status"], "suspended");
    assert_eq!(v.body["reason"], "under investigation");
    let exams = app.get("/v1/exams", &token).await;
    let pcpp1 = exams.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "PCPP1")
        .unwrap()
        .clone();
    assert_eq!(pcpp1["level"], "professional");
    assert_eq!(pcpp1["prerequisites"], json!(["PCAP"]));
    assert_eq!(pcpp1["fee"]["amount_minor"], 19500);

    let r = app
        .post(
            &format!("/v1/certifications/{cert_id}/revocation"),
            &app.admin_token,
            &json!({"reason": "exam fraud"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = app
        .request(
            Method::GET,
            &format!("/v1/verify/{number}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(v.body["status"], "revoked");
    assert_eq!(v.body["reason"], "exam fraud");
    let _ = cid;
}

#[tokio::test]
async fn prerequisites_retakes_and_unused_vouchers_refuse_orders() {
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let app = TestApp::spawn_with(Options {
        clock_at: Some(start),
        ..Default::default()
    })
    .await;
    let clock = app.clock.clone().unwrap();
    let (cid, _, token) = candidate(&app, "Mỹ", "Nguyễn").await;
    let (vid, vtoken) = vendor(&app, "V").await;
    let order = |exam: &str| json!({"exam_code": exam, "testing_vendor_id": vid});

    // PCAP needs PCEP; PCPP2 needs PCAP and PCPP1 (each listed).
    let r = app.post("/v1/exam-orders", &token, &order("PCAP")).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/exam-not-allowed"
    );
    assert!(r.body["detail"].as_str().unwrap().contains("PCEP"));
    let r = app.post("/v1/exam-orders", &token, &order("PCPP2")).await;
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("PCAP") && detail.contains("PCPP1"),
        "{detail}"
    );

    // Equivalent experience satisfies one prerequisite.
    let r = app
        .post(
            &format!("/v1/candidates/{cid}/equivalent-experience"),
            &app.admin_token,
            &json!({"credential_code": "PCEP", "reason": "10 years of Python at CERN"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, voucher) = buy_voucher(&app, &token, "PCAP", &vid, None).await;

    // An unused voucher blocks a second order of the same exam.
    let r = app.post("/v1/exam-orders", &token, &order("PCAP")).await;
    assert_eq!(r.status, 422);
    assert!(r.body["detail"].as_str().unwrap().contains("unused"));

    // Fail, then the retake waits 14 days.
    sit(&app, &vtoken, &voucher, false).await;
    let r = app.post("/v1/exam-orders", &token, &order("PCAP")).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body["detail"].as_str().unwrap().contains("2026-03-15"),
        "{}",
        r.body
    );
    clock.set(Utc.with_ymd_and_hms(2026, 3, 15, 0, 0, 1).unwrap());
    let (_, voucher2) = buy_voucher(&app, &token, "PCAP", &vid, None).await;

    // A voucher expires 12 months after purchase.
    clock.set(Utc.with_ymd_and_hms(2027, 3, 15, 0, 0, 1).unwrap());
    let r = app
        .post(
            &format!("/v1/vouchers/{voucher2}/redemptions"),
            &vtoken,
            &json!(null),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/voucher-expired"
    );
}

#[tokio::test]
async fn candidates_and_vendors_are_scoped() {
    let app = TestApp::spawn().await;
    let (a, _, token_a) = candidate(&app, "Ann", "A").await;
    let (_, _, token_b) = candidate(&app, "Bob", "B").await;
    let (vid, vtoken) = vendor(&app, "V1").await;
    let (_, vtoken2) = vendor(&app, "V2").await;
    let (order, voucher) = buy_voucher(&app, &token_a, "PCEP", &vid, None).await;
    let oid = order["id"].as_str().unwrap();
    let inv = order["invoice_id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/exam-orders/{oid}"), &token_b)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/v1/invoices/{inv}"), &token_b)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/v1/invoices/{inv}"), &token_a)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/v1/candidates/{a}"), &token_b)
            .await
            .status,
        404
    );
    // Vendor 2 cannot redeem vendor 1's voucher.
    assert_eq!(
        app.post(
            &format!("/v1/vouchers/{voucher}/redemptions"),
            &vtoken2,
            &json!(null)
        )
        .await
        .status,
        404
    );
    let att = app
        .post(
            &format!("/v1/vouchers/{voucher}/redemptions"),
            &vtoken,
            &json!(null),
        )
        .await;
    let aid = att.body["id"].as_str().unwrap();
    let res = json!({"passed": true, "score_percent": 90, "taken_at": Utc::now().to_rfc3339()});
    assert_eq!(
        app.post(&format!("/v1/exam-attempts/{aid}/result"), &vtoken2, &res)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/v1/exam-attempts/{aid}"), &vtoken2)
            .await
            .status,
        404
    );
    // A used voucher is refused.
    assert_eq!(
        app.post(
            &format!("/v1/vouchers/{voucher}/redemptions"),
            &vtoken,
            &json!(null)
        )
        .await
        .status,
        409
    );
    let r = app
        .post(&format!("/v1/exam-attempts/{aid}/result"), &vtoken, &res)
        .await;
    assert_eq!(r.status, 200);
    let cert = r.body["certification_id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/certifications/{cert}/certificate"), &token_b)
            .await
            .status,
        404
    );
    // Candidates cannot call vendor or finance endpoints.
    assert_eq!(
        app.post(
            &format!("/v1/vouchers/{voucher}/redemptions"),
            &token_a,
            &json!(null)
        )
        .await
        .status,
        403
    );
    assert_eq!(app.get("/v1/payables", &token_a).await.status, 403);
    assert_eq!(
        app.get("/v1/ledger/trial-balance", &token_a).await.status,
        403
    );
    assert_eq!(
        app.post(
            "/v1/exam-orders",
            &vtoken,
            &json!({"exam_code": "PCEP", "testing_vendor_id": vid})
        )
        .await
        .status,
        403
    );
}

#[tokio::test]
async fn split_policies_are_versioned_and_payouts_settle_payables() {
    let app = TestApp::spawn().await;
    let (_, _, token) = candidate(&app, "Split", "Test").await;
    let (vid, _) = vendor(&app, "V").await;
    let bad = app.post("/v1/split-policies", &app.admin_token, &json!({"exam_code": "PCEP", "effective_from": today(), "parts": {"foundation": 5000, "testing_vendor": 5000, "referring_provider": 1}})).await;
    assert_eq!(bad.status, 422);
    let r = app.post("/v1/split-policies", &app.admin_token, &json!({"exam_code": "PCEP", "testing_vendor_id": vid, "effective_from": today(), "parts": {"foundation": 2500, "testing_vendor": 7000, "referring_provider": 500}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    buy_voucher(&app, &token, "PCEP", &vid, None).await;
    let payables = app.get("/v1/payables", &app.finance_token).await;
    assert_eq!(
        payables.body["data"][0]["amount_due"]["amount_minor"], 4130,
        "70 % of 5900, no referrer"
    );
    let p = app.post("/v1/payouts", &app.finance_token, &json!({"partner_type": "testing_vendor", "partner_id": vid, "currency": "USD", "method": "bank_transfer", "reference": "WIRE-1"})).await;
    assert_eq!(p.status, 201, "{}", p.body);
    assert_eq!(p.body["amount"]["amount_minor"], 4130);
    assert_eq!(
        app.get("/v1/payables", &app.finance_token).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let again = app.post("/v1/payouts", &app.finance_token, &json!({"partner_type": "testing_vendor", "partner_id": vid, "currency": "USD", "method": "bank_transfer", "reference": "WIRE-2"})).await;
    assert_eq!(again.status, 422, "nothing-to-pay: {}", again.body);
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "payables:partners"), 0);
}

#[tokio::test]
async fn sign_up_validates_and_login_answers_alike() {
    let app = TestApp::spawn().await;
    let (_, email, _) = candidate(&app, "山田", "太郎").await;
    let r = app.request(Method::POST, "/v1/candidates", None, Some(&uuid::Uuid::new_v4().to_string()), Some(&json!({"email": email, "given_name": "X", "family_name": "Y", "country": "JP", "password": "another long password"}))).await;
    assert_eq!(r.status, 409, "duplicate email: {}", r.body);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/email-already-registered"
    );
    let r = app.request(Method::POST, "/v1/candidates", None, Some(&uuid::Uuid::new_v4().to_string()), Some(&json!({"email": "nope", "given_name": "", "family_name": "Y", "country": "ZZ", "password": "short"}))).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 4);
    let wrong = app
        .request(
            Method::POST,
            "/v1/auth/login",
            None,
            None,
            Some(&json!({"email": email, "password": "wrong password!"})),
        )
        .await;
    let unknown = app
        .request(
            Method::POST,
            "/v1/auth/login",
            None,
            None,
            Some(&json!({"email": "nobody@example.org", "password": "wrong password!"})),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body, unknown.body);
}

#[tokio::test]
async fn public_endpoints_are_rate_limited() {
    let app = TestApp::spawn().await;
    let mut last = 0;
    for _ in 0..40 {
        last = app
            .request(
                Method::GET,
                "/v1/verify/PCEP-2026-UNKNOWN1",
                None,
                None,
                None,
            )
            .await
            .status
            .as_u16();
        if last == 429 {
            break;
        }
        assert_eq!(last, 404);
    }
    assert_eq!(last, 429, "the 31st request within a minute is refused");
}
