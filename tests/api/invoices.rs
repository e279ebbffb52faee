//! Invoice numbering and pricing: a price change applies to new invoices only,
//! and concurrent purchases get gap-free invoice numbers.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::licences::LICENCE;

#[tokio::test]
async fn a_price_change_applies_to_new_invoices_only() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Price GmbH").await;
    let first = app.buy(&token, LICENCE).await;
    let r = app
        .post(
            &format!("/v1/products/{LICENCE}/prices"),
            &app.admin_token,
            &json!({"price": {"amount_minor": 275000, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    let p = app.get(&format!("/v1/products/{LICENCE}"), &token).await;
    assert_eq!(p.body["price"]["amount_minor"], 275000);
    let second = app.buy(&token, LICENCE).await;
    assert_eq!(second["payment"]["amount_due"]["amount_minor"], 275000);
    let old = app
        .get(
            &format!("/v1/invoices/{}", first["invoice_id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(
        old.body["total"]["amount_minor"], 250000,
        "issued invoices keep their price"
    );
    let catalogue = app.get("/v1/products", &token).await;
    let codes: Vec<&str> = catalogue.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    for code in [
        "base_text_syllabus_licence",
        "exam_materials_licence",
        "base_text_print",
        "exam_pcep",
        "exam_pcap",
        "exam_pcpp1",
        "exam_pcpp2",
    ] {
        assert!(codes.contains(&code), "{code} missing");
    }
    let r = app
        .post(
            &format!("/v1/products/{LICENCE}/prices"),
            &token,
            &json!({"price": {"amount_minor": 1, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn concurrent_purchases_get_gap_free_invoice_numbers() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Busy GmbH").await;
    let n = 100;
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (http, address, token) = (app.http.clone(), app.address.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(format!("{address}/v1/licences"))
                .bearer_auth(token)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(&json!({"product_code": "exam_materials_licence"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["payment"]["invoice_number"]
                .as_str()
                .unwrap()
                .to_owned()
        }));
    }
    let mut seqs: Vec<i64> = Vec::new();
    for t in tasks {
        let number = t.await.unwrap();
        seqs.push(number.rsplit('-').next().unwrap().parse().unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=n).collect::<Vec<i64>>());
    app.assert_ledger_balanced().await;
}
