//! Paying an existing invoice by card (`POST /v1/invoices/{id}/payment-intent`),
//! exercised on accreditation fee invoices against localstripe: the PaymentIntent
//! is created once per invoice and amount due, the signed webhook settles the
//! invoice and the fee's fulfilment activates the accreditation.

use futures_util::future::join_all;
use serde_json::Value;

use crate::accreditation::{apply_at, decide, get, professional};
use crate::helpers::{backend, env, TestApp};
use crate::stripe::{confirm, register_webhook, stripe_app, wait_for_invoice_status};

/// An approved AT application on `app`: (provider token, accreditation id, fee invoice id).
async fn approved_at(app: &TestApp) -> (String, String, String) {
    let (cid, _) = professional(app).await;
    let (_, token, a) = apply_at(app, &cid).await;
    let id = a["id"].as_str().expect("applied").to_owned();
    decide(app, &id, "approve", 200).await;
    let invoice = get(app, &id).await["fee_invoice_id"]
        .as_str()
        .expect("a fee invoice")
        .to_owned();
    (token, id, invoice)
}

async fn create_intent(app: &TestApp, invoice: &str, token: &str) -> crate::helpers::Resp {
    app.post(
        &format!("/v1/invoices/{invoice}/payment-intent"),
        token,
        &Value::Null,
    )
    .await
}

async fn localstripe_intent(app: &TestApp, intent: &str) -> Value {
    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    app.http
        .get(format!("{base}v1/payment_intents/{intent}"))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_accreditation_fee_paid_by_card_activates_the_accreditation() {
    let app = stripe_app().await;
    register_webhook(&app).await;
    let (token, id, invoice) = approved_at(&app).await;
    let inv = app
        .get(&format!("/v1/invoices/{invoice}"), &app.finance_token)
        .await;
    let total = inv.body["total"]["amount_minor"].as_i64().unwrap();

    // Someone else's invoice does not exist for them.
    let (other, _) = app.create_provider("Other Training", "trainer").await;
    let other_token = app.provider_token(&other).await;
    let r = create_intent(&app, &invoice, &other_token).await;
    assert_eq!(r.status, 404, "{}", r.body);

    let r = create_intent(&app, &invoice, &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let intent = r.body["payment_intent_id"].as_str().unwrap().to_owned();
    assert!(intent.starts_with("pi_"), "{intent}");
    assert!(r.body["client_secret"]
        .as_str()
        .is_some_and(|s| s.starts_with(&intent)));
    assert_eq!(r.body["amount_due"]["amount_minor"], total);
    assert_eq!(r.body["invoice_id"], invoice.as_str());

    // A retry (new key, or finance for the buyer) returns the same intent.
    let again = create_intent(&app, &invoice, &app.finance_token).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["payment_intent_id"], intent.as_str());
    assert_eq!(again.body["client_secret"], r.body["client_secret"]);

    let pi = localstripe_intent(&app, &intent).await;
    assert_eq!(pi["amount"], total);
    assert_eq!(pi["metadata"]["invoice_id"], invoice.as_str());

    assert!(confirm(&app, &intent, "pm_card_visa").await.is_success());
    wait_for_invoice_status(&app, &invoice, "paid").await;
    assert_eq!(get(&app, &id).await["status"], "active");
    let payments = app
        .get(&format!("/v1/invoices/{invoice}/payments"), &token)
        .await;
    assert_eq!(payments.body["data"][0]["method"], "card");
    assert_eq!(payments.body["data"][0]["reference"], intent.as_str());
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "cash:stripe_clearing"), total);
    assert_eq!(TestApp::account_balance(&tb, "receivables"), 0);

    // Paid: no further card payment.
    let r = create_intent(&app, &invoice, &token).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("invoice-not-open")));
}

#[tokio::test]
async fn without_stripe_a_fee_invoice_cannot_be_paid_by_card() {
    let app = TestApp::spawn().await;
    let (token, _, invoice) = approved_at(&app).await;
    let r = create_intent(&app, &invoice, &token).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body["type"]
        .as_str()
        .is_some_and(|t| t.ends_with("stripe-not-configured")));
    assert!(r.body["detail"].as_str().unwrap().contains("bank transfer"));
    // Unknown invoice: 404 all the same.
    let r = create_intent(&app, "00000000-0000-0000-0000-000000000000", &token).await;
    assert_eq!(r.status, 404, "{}", r.body);
}

#[tokio::test]
async fn concurrent_requests_share_one_payment_intent() {
    if backend() != "postgres" {
        return;
    }
    let app = stripe_app().await;
    let (token, _, invoice) = approved_at(&app).await;
    let url = format!("{}/v1/invoices/{invoice}/payment-intent", app.address);
    let calls = (0..8).map(|_| {
        app.http
            .post(&url)
            .bearer_auth(&token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .send()
    });
    let mut ids = Vec::new();
    for r in join_all(calls).await {
        let r = r.unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        ids.push(body["payment_intent_id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one PaymentIntent for all: {ids:?}");
    let stored = create_intent(&app, &invoice, &token).await;
    assert_eq!(stored.body["payment_intent_id"], ids[0].as_str());
    // Stripe itself holds one PaymentIntent for this invoice.
    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    let listed: Value = app
        .http
        .get(format!("{base}v1/payment_intents?limit=100"))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mine: Vec<&Value> = listed["data"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|pi| pi["metadata"]["invoice_id"] == invoice.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
}

#[tokio::test]
async fn a_canceled_payment_intent_is_replaced_and_the_new_one_pays() {
    let app = stripe_app().await;
    register_webhook(&app).await;
    let (token, id, invoice) = approved_at(&app).await;
    let first = create_intent(&app, &invoice, &token).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let old = first.body["payment_intent_id"].as_str().unwrap().to_owned();
    let base = env("ACCREDIT_TEST_STRIPE_API_BASE");
    let r = app
        .http
        .post(format!("{base}v1/payment_intents/{old}/cancel"))
        .bearer_auth(env("ACCREDIT_TEST_STRIPE_SECRET_KEY"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "cancel: {}", r.status());

    let second = create_intent(&app, &invoice, &token).await;
    assert_eq!(second.status, 200, "{}", second.body);
    let new = second.body["payment_intent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old, "a canceled intent cannot be paid");
    assert_eq!(second.body["status"], "requires_payment_method");
    let third = create_intent(&app, &invoice, &token).await;
    assert_eq!(third.body["payment_intent_id"], new.as_str());

    assert!(confirm(&app, &new, "pm_card_visa").await.is_success());
    wait_for_invoice_status(&app, &invoice, "paid").await;
    assert_eq!(get(&app, &id).await["status"], "active");
    app.assert_ledger_balanced().await;
}
