//! Card payments against localstripe (the wrapper in tests/support), which confirms
//! PaymentIntents and delivers signed webhooks itself. Events localstripe cannot
//! produce on demand (duplicates, bad or stale signatures) are signed in the test.

use std::time::Duration;

use accredit::integrations::stripe::sign_payload;
use serde_json::{json, Value};

use crate::helpers::{env, Options, TestApp};

const LICENCE: &str = "base_text_syllabus_licence";

pub async fn stripe_app() -> TestApp {
    TestApp::spawn_with(Options {
        stripe: true,
        ..Default::default()
    })
    .await
}

/// Registers this app's webhook endpoint with localstripe.
pub async fn register_webhook(app: &TestApp) {
    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    let id = uuid::Uuid::new_v4().simple().to_string();
    let r = app
        .http
        .post(format!("{base}_config/webhooks/{id}"))
        .json(&json!({
            "url": format!("{}/v1/webhooks/stripe", app.address),
            "secret": app.webhook_secret,
            "events": ["payment_intent.succeeded", "payment_intent.payment_failed"],
        }))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "webhook registration: {}",
        r.status()
    );
}

/// Confirms a PaymentIntent at localstripe with a test card PaymentMethod.
pub async fn confirm(app: &TestApp, intent: &str, payment_method: &str) -> reqwest::StatusCode {
    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    app.http
        .post(format!("{base}v1/payment_intents/{intent}/confirm"))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .form(&[("payment_method", payment_method)])
        .send()
        .await
        .unwrap()
        .status()
}

pub async fn wait_for_invoice_status(app: &TestApp, invoice: &str, status: &str) -> Value {
    for _ in 0..100 {
        let r = app
            .get(&format!("/v1/invoices/{invoice}"), &app.finance_token)
            .await;
        if r.body["status"] == status {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("invoice {invoice} never became {status}");
}

#[tokio::test]
async fn full_sale_with_stripe_and_a_webhook_from_localstripe() {
    let app = stripe_app().await;
    register_webhook(&app).await;
    let (_, email, token) = app.provider("Card Payer GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    assert_eq!(order["payment"]["method"], "card");
    let intent = order["payment"]["payment_intent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(intent.starts_with("pi_"), "{intent}");
    assert!(order["payment"]["client_secret"]
        .as_str()
        .is_some_and(|s| s.starts_with(&intent)));
    let invoice = order["invoice_id"].as_str().unwrap().to_owned();

    // The PaymentIntent carries our invoice id and the amount due.
    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    let pi: Value = app
        .http
        .get(format!("{base}v1/payment_intents/{intent}"))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pi["amount"], 250000);
    assert_eq!(pi["currency"], "usd");
    assert_eq!(pi["metadata"]["invoice_id"], invoice.as_str());

    assert!(confirm(&app, &intent, "pm_card_visa").await.is_success());
    wait_for_invoice_status(&app, &invoice, "paid").await;
    let lic = app
        .get(
            &format!("/v1/licences/{}", order["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(lic.body["status"], "active");
    let payments = app
        .get(&format!("/v1/invoices/{invoice}/payments"), &token)
        .await;
    assert_eq!(payments.body["data"][0]["method"], "card");
    assert_eq!(payments.body["data"][0]["reference"], intent.as_str());
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(
        TestApp::account_balance(&tb, "cash:stripe_clearing"),
        250_000
    );
    assert_eq!(TestApp::account_balance(&tb, "receivables"), 0);

    app.run_jobs().await;
    let mails = app.emails_to(&email);
    assert_eq!(mails.len(), 2, "invoice issued + licence active");

    // A second purchase reuses the provider's Stripe Customer.
    let second = app.buy(&token, "exam_materials_licence").await;
    let pi2: Value = app
        .http
        .get(format!(
            "{base}v1/payment_intents/{}",
            second["payment"]["payment_intent_id"].as_str().unwrap()
        ))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pi2["customer"], pi["customer"]);
}

#[tokio::test]
async fn a_declined_card_leaves_the_invoice_open() {
    let app = stripe_app().await;
    register_webhook(&app).await;
    let (_, _, token) = app.provider("Declined GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let intent = order["payment"]["payment_intent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invoice: accredit::domain::ids::InvoiceId =
        order["invoice_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        confirm(&app, &intent, "pm_card_visa_chargeDeclined").await,
        402
    );
    let mut stored = None;
    for _ in 0..100 {
        let s = app
            .ctx
            .db(move |c| {
                accredit::services::billing::stripe_payments::intent_for_invoice(c, invoice)
            })
            .await
            .unwrap();
        if s.as_ref().is_some_and(|s| s.last_error.is_some()) {
            stored = s;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stored = stored.expect("payment_failed webhook recorded");
    assert!(stored.last_error.unwrap().contains("declined"));
    let inv = app.get(&format!("/v1/invoices/{invoice}"), &token).await;
    assert_eq!(inv.body["status"], "open");
}

#[tokio::test]
async fn webhooks_are_verified_and_deduplicated() {
    let app = stripe_app().await;
    let (_, _, token) = app.provider("Webhook GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    let invoice = order["invoice_id"].as_str().unwrap();
    let now = chrono::Utc::now().timestamp();
    let event = json!({
        "id": "evt_test_dup_1", "object": "event", "type": "payment_intent.succeeded", "created": now,
        "data": {"object": {"id": intent, "object": "payment_intent", "status": "succeeded", "amount": 250000, "amount_received": 250000, "currency": "usd"}}
    });
    let payload = event.to_string();
    let send = |header: String, body: String| {
        let (http, url) = (
            app.http.clone(),
            format!("{}/v1/webhooks/stripe", app.address),
        );
        async move {
            http.post(url)
                .header("Stripe-Signature", header)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };

    // Bad signature, stale timestamp, no header: 400 and no effect.
    let r = send(
        sign_payload(payload.as_bytes(), "whsec_wrong", now),
        payload.clone(),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = send(
        sign_payload(payload.as_bytes(), &app.webhook_secret, now - 301),
        payload.clone(),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = app
        .http
        .post(format!("{}/v1/webhooks/stripe", app.address))
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = send(
        sign_payload(payload.as_bytes(), &app.webhook_secret, now),
        payload.replace("250000", "1"),
    )
    .await;
    assert_eq!(r.status(), 400, "tampered body");
    let inv = app.get(&format!("/v1/invoices/{invoice}"), &token).await;
    assert_eq!(inv.body["status"], "open");

    // One valid v1 among several (secret rotation) is enough.
    let good = sign_payload(payload.as_bytes(), &app.webhook_secret, now);
    let v1 = good.split(',').find(|p| p.starts_with("v1=")).unwrap();
    let rotated = format!("t={now},v1={},{v1}", "0".repeat(64));
    let r = send(rotated, payload.clone()).await;
    assert_eq!(r.status(), 200);
    let inv = app.get(&format!("/v1/invoices/{invoice}"), &token).await;
    assert_eq!(inv.body["status"], "paid");

    // The same event again: 200, nothing happens twice.
    let tb = app.assert_ledger_balanced().await;
    let r = send(good, payload.clone()).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["duplicate"], true);
    assert_eq!(
        app.get(&format!("/v1/invoices/{invoice}/payments"), &token)
            .await
            .body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.assert_ledger_balanced().await, tb);

    // Unknown event types are acknowledged.
    let other = json!({"id": "evt_other", "object": "event", "type": "customer.created", "created": now, "data": {"object": {"id": "cus_1"}}}).to_string();
    let r = send(
        sign_payload(other.as_bytes(), &app.webhook_secret, now),
        other,
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_exam_fee_paid_by_card_issues_the_voucher() {
    let app = stripe_app().await;
    register_webhook(&app).await;
    let (_, email, token) = crate::exams::candidate(&app, "Mỹ", "Nguyễn").await;
    let (vid, vtoken) = crate::exams::vendor(&app, "Card Vendor").await;
    let order = app
        .post(
            "/v1/exam-orders",
            &token,
            &json!({"exam_code": "PCEP", "testing_vendor_id": vid}),
        )
        .await;
    assert_eq!(order.status, 201, "{}", order.body);
    assert_eq!(order.body["payment"]["method"], "card");
    let intent = order.body["payment"]["payment_intent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(confirm(&app, &intent, "pm_card_visa").await.is_success());
    wait_for_invoice_status(&app, order.body["invoice_id"].as_str().unwrap(), "paid").await;
    let o = app
        .get(
            &format!("/v1/exam-orders/{}", order.body["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(o.body["status"], "paid");
    let voucher = o.body["voucher_code"].as_str().unwrap().to_owned();
    assert!(o.body["voucher_expires_on"].is_string());
    app.run_jobs().await;
    assert!(app
        .emails_to(&email)
        .iter()
        .any(|m| m.text.contains(&voucher)));
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "cash:stripe_clearing"), 5900);

    // And on to the certificate, its email, verification and revocation.
    let attempt = crate::exams::sit(&app, &vtoken, &voucher, true).await;
    let cert = attempt["certification_id"].as_str().unwrap().to_owned();
    app.run_jobs().await;
    let pdf = app
        .get(&format!("/v1/certifications/{cert}/certificate"), &token)
        .await;
    let mail = app
        .emails_to(&email)
        .into_iter()
        .find(|m| m.subject.contains("certified"))
        .expect("certificate mail");
    assert_eq!(mail.attachments[0].2, pdf.bytes);
    let number = app.get("/v1/certifications", &token).await.body["data"][0]["certificate_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/verify/{number}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(v.body["status"], "valid");
    assert_eq!(v.body["holder_name"], "Mỹ Nguyễn");
    app.post(
        &format!("/v1/certifications/{cert}/revocation"),
        &app.admin_token,
        &json!({"reason": "r"}),
    )
    .await;
    let v = app
        .request(
            reqwest::Method::GET,
            &format!("/v1/verify/{number}"),
            None,
            None,
            None,
        )
        .await;
    assert_eq!(v.body["status"], "revoked");
}

/// Stripe Connect transfers: localstripe has none, so the wrapper in tests/support
/// carries an in-memory stand-in for `POST /v1/transfers` (a mock, said so there).
#[tokio::test]
async fn vendor_payouts_go_out_as_idempotent_connect_transfers() {
    let app = stripe_app().await;
    let (_, _, token) = crate::exams::candidate(&app, "Payout", "Test").await;
    let acct = format!("acct_{}", uuid::Uuid::new_v4().simple());
    let v = app
        .post(
            "/v1/testing-vendors",
            &app.admin_token,
            &json!({"name": "Connected Vendor", "country": "US", "stripe_account_id": acct}),
        )
        .await;
    assert_eq!(v.status, 201, "{}", v.body);
    let vid = v.body["id"].as_str().unwrap().to_owned();
    let order = app
        .post(
            "/v1/exam-orders",
            &token,
            &json!({"exam_code": "PCEP", "testing_vendor_id": vid}),
        )
        .await;
    let paid = app
        .pay_by_bank(
            order.body["invoice_id"].as_str().unwrap(),
            &crate::helpers::today(),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.body);

    let body = json!({"partner_type": "testing_vendor", "partner_id": vid, "currency": "USD", "method": "stripe_transfer"});
    let key = "payout-key-1";
    let first = app
        .request(
            reqwest::Method::POST,
            "/v1/payouts",
            Some(&app.finance_token),
            Some(key),
            Some(&body),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["status"], "paid");
    assert_eq!(first.body["amount"]["amount_minor"], 3540);
    assert!(first.body["reference"].as_str().unwrap().starts_with("tr_"));
    let again = app
        .request(
            reqwest::Method::POST,
            "/v1/payouts",
            Some(&app.finance_token),
            Some(key),
            Some(&body),
        )
        .await;
    assert_eq!(again.body, first.body, "replayed, not paid twice");

    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    let transfers: Value = app
        .http
        .get(format!("{base}v1/transfers?destination={acct}"))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = transfers["data"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["amount"], 3540);
    assert_eq!(list[0]["metadata"]["payout_id"], first.body["id"]);
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "payables:partners"), 0);
    assert_eq!(TestApp::account_balance(&tb, "cash:stripe_clearing"), -3540);

    // Nothing left to pay; a vendor without a connected account is refused.
    let r = app.post("/v1/payouts", &app.finance_token, &body).await;
    assert_eq!(r.status, 422, "nothing-to-pay: {}", r.body);
    let (plain, _) = crate::exams::vendor(&app, "Unconnected").await;
    let r = app.post("/v1/payouts", &app.finance_token, &json!({"partner_type": "testing_vendor", "partner_id": plain, "currency": "USD", "method": "stripe_transfer"})).await;
    assert_eq!(r.status, 422);
}
