//! Payments that cannot be applied in full (customer credit), concurrent bank
//! transfers, the status history of an invoice's payments, and the PaymentIntent
//! client secret kept out of the idempotency store.

use std::time::Duration;

use accredit::integrations::stripe::sign_payload;
use serde_json::{json, Value};

use crate::helpers::{env, today, Options, Resp, TestApp};

const LICENCE: &str = "base_text_syllabus_licence";
/// `finance_email` in the default settings (src/config/mod.rs).
const FINANCE: &str = "finance@accredit.example";

async fn stripe_app() -> TestApp {
    TestApp::spawn_with(Options {
        stripe: true,
        ..Default::default()
    })
    .await
}

/// A `payment_intent.succeeded` event for `intent` that received `amount` USD cents.
fn succeeded_event(id: &str, intent: &str, amount: i64) -> String {
    json!({
        "id": id, "object": "event", "type": "payment_intent.succeeded",
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": {"id": intent, "object": "payment_intent", "status": "succeeded",
            "amount": amount, "amount_received": amount, "currency": "usd"}}
    })
    .to_string()
}

/// Delivers `payload` to the webhook endpoint, signed with the app's secret.
async fn deliver(app: &TestApp, payload: &str) -> (u16, Value) {
    let header = sign_payload(
        payload.as_bytes(),
        &app.webhook_secret,
        chrono::Utc::now().timestamp(),
    );
    let r = app
        .http
        .post(format!("{}/v1/webhooks/stripe", app.address))
        .header("Stripe-Signature", header)
        .header("content-type", "application/json")
        .body(payload.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn pay(app: &TestApp, invoice: &str, amount: i64, reference: &str) -> Resp {
    app.post(
        &format!("/v1/invoices/{invoice}/payments"),
        &app.finance_token,
        &json!({"amount": {"amount_minor": amount, "currency": "USD"}, "method": "bank_transfer",
            "reference": reference, "received_on": today()}),
    )
    .await
}

async fn credits(app: &TestApp) -> Vec<Value> {
    let r = app.get("/v1/customer-credits", &app.finance_token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("next_cursor").is_some(), "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

async fn payments_of(app: &TestApp, invoice: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/v1/invoices/{invoice}/payments"),
            &app.finance_token,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_card_payment_after_a_bank_transfer_becomes_customer_credit() {
    // Arrange: a card purchase whose invoice finance then settles by bank transfer.
    let app = stripe_app().await;
    let (provider, _, token) = app.provider("Twice Paid GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    let invoice = order["invoice_id"].as_str().unwrap();
    assert_eq!(pay(&app, invoice, 250_000, "BANK-1").await.status, 201);

    // Act: the card payment succeeds anyway.
    let payload = succeeded_event("evt_late_card_1", intent, 250_000);
    let (status, body) = deliver(&app, &payload).await;

    // Assert: acknowledged, recorded, held as credit, finance told.
    assert_eq!(status, 200, "{body}");
    let paid = payments_of(&app, invoice).await;
    assert_eq!(paid.len(), 2, "{paid:?}");
    assert_eq!(paid[1]["method"], "card");
    assert_eq!(paid[1]["amount"]["amount_minor"], 250_000);
    assert_eq!(paid[1]["applied"]["amount_minor"], 0);
    assert_eq!(paid[1]["unapplied"]["amount_minor"], 250_000);
    assert_eq!(paid[1]["invoice_status"], "paid");
    let inv = app
        .get(&format!("/v1/invoices/{invoice}"), &app.finance_token)
        .await;
    assert_eq!(inv.body["amount_paid"]["amount_minor"], 250_000);
    let held = credits(&app).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["amount"]["amount_minor"], 250_000);
    assert_eq!(held[0]["amount"]["currency"], "USD");
    assert_eq!(held[0]["provider_id"], provider.as_str());
    assert_eq!(held[0]["invoice_id"], invoice);
    assert_eq!(held[0]["payment_id"], paid[1]["id"]);
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "receivables"), 0);
    assert_eq!(TestApp::account_balance(&tb, "cash:bank"), 250_000);
    assert_eq!(
        TestApp::account_balance(&tb, "cash:stripe_clearing"),
        250_000
    );
    assert_eq!(TestApp::account_balance(&tb, "customer_credit"), -250_000);
    app.run_jobs().await;
    let mails = app.emails_to(FINANCE);
    let mail = mails
        .iter()
        .find(|m| m.text.contains(intent))
        .expect("finance is told about the credit");
    assert!(mail.subject.contains("credit"), "{}", mail.subject);
    assert!(mail.text.contains("2,500.00"), "{}", mail.text);

    // The same event again: acknowledged, nothing new.
    let (status, body) = deliver(&app, &payload).await;
    assert_eq!(status, 200);
    assert_eq!(body["duplicate"], true);
    assert_eq!(payments_of(&app, invoice).await.len(), 2);
    assert_eq!(credits(&app).await.len(), 1);
    assert_eq!(app.assert_ledger_balanced().await, tb);
}

#[tokio::test]
async fn a_card_payment_above_the_amount_due_credits_the_excess() {
    // Arrange: the PaymentIntent is for the full amount; a partial bank transfer
    // arrives first; then localstripe confirms the card and sends the webhook.
    let app = stripe_app().await;
    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    let r = app
        .http
        .post(format!(
            "{base}_config/webhooks/{}",
            uuid::Uuid::new_v4().simple()
        ))
        .json(
            &json!({"url": format!("{}/v1/webhooks/stripe", app.address),
            "secret": app.webhook_secret, "events": ["payment_intent.succeeded"]}),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (_, _, token) = app.provider("Over Paid GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    let invoice = order["invoice_id"].as_str().unwrap();
    assert_eq!(pay(&app, invoice, 100_000, "BANK-PART").await.status, 201);

    // Act
    let confirmed = app
        .http
        .post(format!("{base}v1/payment_intents/{intent}/confirm"))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .form(&[("payment_method", "pm_card_visa")])
        .send()
        .await
        .unwrap();
    assert!(confirmed.status().is_success());

    // Assert: the due 150,000 applied, 100,000 held as credit, licence active.
    let mut held = Vec::new();
    for _ in 0..100 {
        held = credits(&app).await;
        if !held.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(held.len(), 1, "no credit recorded");
    assert_eq!(held[0]["amount"]["amount_minor"], 100_000);
    let paid = payments_of(&app, invoice).await;
    assert_eq!(paid.len(), 2);
    assert_eq!(paid[1]["amount"]["amount_minor"], 250_000);
    assert_eq!(paid[1]["applied"]["amount_minor"], 150_000);
    assert_eq!(paid[1]["unapplied"]["amount_minor"], 100_000);
    let inv = app
        .get(&format!("/v1/invoices/{invoice}"), &app.finance_token)
        .await;
    assert_eq!(inv.body["status"], "paid");
    assert_eq!(inv.body["amount_paid"]["amount_minor"], 250_000);
    let lic = app
        .get(
            &format!("/v1/licences/{}", order["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(lic.body["status"], "active");
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "receivables"), 0);
    assert_eq!(TestApp::account_balance(&tb, "customer_credit"), -100_000);
    assert_eq!(
        TestApp::account_balance(&tb, "cash:stripe_clearing"),
        250_000
    );
    // Providers don't read the finance list.
    let r = app.get("/v1/customer-credits", &token).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn concurrent_bank_transfers_pay_an_invoice_exactly_once() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Race GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let invoice = order["invoice_id"].as_str().unwrap().to_owned();

    // Ten transfers for the full amount, released together (distinct keys).
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (http, barrier) = (app.http.clone(), barrier.clone());
        let url = format!("{}/v1/invoices/{invoice}/payments", app.address);
        let token = app.finance_token.clone();
        tasks.spawn(async move {
            let body = json!({"amount": {"amount_minor": 250_000, "currency": "USD"},
                "method": "bank_transfer", "reference": format!("BANK-RACE-{i}"), "received_on": today()});
            barrier.wait().await;
            let r = http
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let ctype = r.headers()["content-type"].to_str().unwrap().to_owned();
            (status, ctype, r.json::<Value>().await.unwrap())
        });
    }
    let results = tasks.join_all().await;

    let created = results.iter().filter(|r| r.0 == 201).count();
    assert_eq!(created, 1, "exactly one transfer applies: {results:?}");
    for (status, ctype, body) in results.iter().filter(|r| r.0 != 201) {
        assert!(*status == 409 || *status == 422, "{status} {body}");
        assert_eq!(ctype, "application/problem+json");
    }
    assert_eq!(payments_of(&app, &invoice).await.len(), 1);
    let inv = app
        .get(&format!("/v1/invoices/{invoice}"), &app.finance_token)
        .await;
    assert_eq!(inv.body["status"], "paid");
    assert_eq!(inv.body["amount_paid"]["amount_minor"], 250_000);
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "receivables"), 0);
    assert_eq!(TestApp::account_balance(&tb, "cash:bank"), 250_000);
    // A transfer above the amount due is refused (finance corrects the amount).
    let (_, _, token) = app.provider("Over Typed GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let r = pay(&app, order["invoice_id"].as_str().unwrap(), 250_001, "TYPO").await;
    assert_eq!(r.status, 422, "{}", r.body);
}

#[tokio::test]
async fn each_payment_shows_the_invoice_status_after_it() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Two Parts GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let invoice = order["invoice_id"].as_str().unwrap();

    let first = pay(&app, invoice, 100_000, "PART-1").await;
    assert_eq!(first.body["invoice_status"], "open");
    let second = pay(&app, invoice, 150_000, "PART-2").await;
    assert_eq!(second.body["invoice_status"], "paid");

    let history = payments_of(&app, invoice).await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["reference"], "PART-1");
    assert_eq!(history[0]["invoice_status"], "open");
    assert_eq!(history[1]["reference"], "PART-2");
    assert_eq!(history[1]["invoice_status"], "paid");
}

#[tokio::test]
async fn the_client_secret_is_not_kept_in_the_idempotency_store() {
    use accredit::db::schema::{idempotency_keys as ik, payment_intents as pi};
    use diesel::prelude::*;

    let app = stripe_app().await;
    let (_, _, token) = app.provider("Secretive GmbH").await;
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({"product_code": LICENCE});
    let buy = || {
        app.request(
            reqwest::Method::POST,
            "/v1/licences",
            Some(&token),
            Some(&key),
            Some(&body),
        )
    };

    let first = buy().await;
    assert_eq!(first.status, 201, "{}", first.body);
    let intent = first.body["payment"]["payment_intent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = first.body["payment"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with(&format!("{intent}_secret_")));

    let k = key.clone();
    let (stored, kept): (Vec<Option<String>>, Vec<Option<String>>) = app
        .ctx
        .db(move |c| {
            let stored = ik::table
                .filter(ik::idempotency_key.eq(&k))
                .select(ik::response_body)
                .load(c)?;
            let kept = pi::table.select(pi::client_secret).load(c)?;
            Ok((stored, kept))
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let stored = stored[0].clone().expect("response stored");
    assert!(stored.contains(&intent), "{stored}");
    for needle in ["client_secret", "_secret_", secret.as_str()] {
        assert!(!stored.contains(needle), "{needle} kept at rest: {stored}");
    }
    assert!(kept.iter().all(Option::is_none), "{kept:?}");

    // A replay still hands the payer a working client secret, fetched from Stripe.
    let again = buy().await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["payment"]["client_secret"], secret.as_str());
}
