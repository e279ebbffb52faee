//! Exam-order uniqueness under concurrency, cursor pagination of every listing,
//! and recertification after a certification expired.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::exams::{buy_voucher, candidate, sit, vendor};
use crate::helpers::{Options, TestApp};

/// Walks `path` page by page with `limit`, following `next_cursor` until it is
/// null; asserts every page is at most `limit` long and returns every item's `key`.
async fn walk(app: &TestApp, path: &str, token: &str, limit: usize, key: &str) -> Vec<String> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let r = app.get(&url, token).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        let data = r.body["data"].as_array().expect("data is an array");
        assert!(
            data.len() <= limit,
            "{url}: {} items on a page of {limit}",
            data.len()
        );
        seen.extend(data.iter().map(|i| i[key].as_str().unwrap().to_owned()));
        match r.body["next_cursor"].as_str() {
            Some(c) => {
                assert!(!data.is_empty(), "{url}: an empty page with a cursor");
                cursor = Some(c.to_owned());
            }
            None => {
                assert!(
                    r.body["next_cursor"].is_null(),
                    "{url}: next_cursor present"
                );
                return seen;
            }
        }
    }
    panic!("{path}: pagination did not end");
}

fn assert_each_once(seen: &[String], expected: usize, what: &str) {
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "{what}: an item seen twice: {seen:?}"
    );
    assert_eq!(seen.len(), expected, "{what}: {seen:?}");
}

#[tokio::test]
async fn concurrent_exam_orders_leave_one_unpaid_order_and_one_invoice() {
    // Arrange
    let app = TestApp::spawn().await;
    let (_, _, token) = candidate(&app, "Mỹ", "Nguyễn").await;
    let (vid, _) = vendor(&app, "Concurrent Testing").await;
    let body = json!({"exam_code": "PCEP", "testing_vendor_id": vid});

    // Act: ten orders released together, each with its own Idempotency-Key.
    let calls = (0..10).map(|_| app.post("/v1/exam-orders", &token, &body));
    let results = futures_util::future::join_all(calls).await;

    // Assert
    let created: Vec<_> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(created.len(), 1, "exactly one order is placed");
    for r in results.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            r.problem_type(),
            "https://accredit.example/problems/exam-not-allowed",
            "{}",
            r.body
        );
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "{}",
            r.body
        );
    }
    let orders = app.get("/v1/exam-orders?limit=200", &token).await;
    assert_eq!(orders.body["data"].as_array().unwrap().len(), 1);
    let invoices = app.get("/v1/invoices?limit=200", &app.finance_token).await;
    let invoices = invoices.body["data"].as_array().unwrap().clone();
    assert_eq!(invoices.len(), 1, "one invoice issued: {invoices:?}");
    let first = invoices[0]["number"].as_str().unwrap().to_owned();
    assert!(first.ends_with("000001"), "{first}");

    // The refused attempts used no invoice number: the next invoice follows on.
    let (_, _, other) = candidate(&app, "Ada", "Lovelace").await;
    let r = app.post("/v1/exam-orders", &other, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let numbers: Vec<String> = app
        .get("/v1/invoices?limit=200", &app.finance_token)
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_owned())
        .collect();
    let prefix = first.trim_end_matches("000001");
    assert_eq!(
        numbers,
        vec![format!("{prefix}000001"), format!("{prefix}000002")]
    );
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn every_listing_is_walked_with_a_cursor_seeing_each_item_once() {
    // Arrange: 5 exam orders (5 candidates), 5 certifications (PCEP..PCPP2 granted
    // and CEPP completing them), 5 split policies, 5 providers.
    let app = TestApp::spawn().await;
    let (vid, _) = vendor(&app, "Paging Testing").await;
    for i in 0..5 {
        let (_, _, token) = candidate(&app, "Page", &format!("Candidate {i}")).await;
        let r = app
            .post(
                "/v1/exam-orders",
                &token,
                &json!({"exam_code": "PCEP", "testing_vendor_id": vid}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (cid, _, ctoken) = candidate(&app, "Grace", "Hopper").await;
    for code in ["PCEP", "PCAP", "PCPP1", "PCPP2"] {
        let r = app
            .post(
                "/v1/certifications",
                &app.admin_token,
                &json!({"candidate_id": cid, "credential_code": code, "basis": "bootstrap_review", "case": "formal review"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    for day in 1..=5 {
        let r = app
            .post(
                "/v1/split-policies",
                &app.admin_token,
                &json!({"exam_code": "PCEP", "effective_from": format!("2026-01-0{day}"),
                        "parts": {"foundation": 3000, "testing_vendor": 6000, "referring_provider": 1000}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    for i in 0..5 {
        app.create_provider(&format!("Paged Provider {i}"), "trainer")
            .await;
    }

    // Act + Assert
    let fin = app.finance_token.clone();
    let orders = walk(&app, "/v1/exam-orders", &fin, 2, "id").await;
    assert_each_once(&orders, 5, "exam orders");
    let certs = walk(&app, "/v1/certifications", &ctoken, 2, "id").await;
    assert_each_once(&certs, 5, "certifications");
    let certs = walk(
        &app,
        &format!("/v1/certifications?candidate_id={cid}"),
        &app.admin_token,
        1,
        "id",
    )
    .await;
    assert_each_once(&certs, 5, "certifications (staff, filtered)");
    let policies = walk(&app, "/v1/split-policies", &fin, 2, "id").await;
    assert_each_once(&policies, 5, "split policies");
    let providers = walk(&app, "/v1/providers", &fin, 2, "id").await;
    assert_each_once(&providers, 5, "providers");
    let invoices = walk(&app, "/v1/invoices", &fin, 2, "id").await;
    assert_each_once(&invoices, 5, "invoices");
    let exams = walk(&app, "/v1/exams", &fin, 2, "code").await;
    assert_each_once(&exams, 8, "exam catalogue");
    let products = walk(&app, "/v1/products", &fin, 3, "code").await;
    let all_products = app.get("/v1/products?limit=200", &fin).await;
    assert_each_once(
        &products,
        all_products.body["data"].as_array().unwrap().len(),
        "products",
    );
}

#[tokio::test]
async fn payables_and_payments_are_paginated() {
    let app = TestApp::spawn().await;
    let mut invoice = String::new();
    for i in 0..3 {
        let (vid, _) = vendor(&app, &format!("Vendor {i}")).await;
        let (_, _, token) = candidate(&app, "Pay", &format!("Able {i}")).await;
        let r = app
            .post(
                "/v1/exam-orders",
                &token,
                &json!({"exam_code": "PCEP", "testing_vendor_id": vid}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        invoice = r.body["invoice_id"].as_str().unwrap().to_owned();
        let paid = app
            .pay_by_bank(&invoice, &app.ctx.clock.today().to_string())
            .await;
        assert_eq!(paid.status, 201, "{}", paid.body);
    }
    let fin = app.finance_token.clone();
    let owed = walk(&app, "/v1/payables", &fin, 2, "partner_id").await;
    assert_each_once(&owed, 3, "payables");
    let payments = walk(
        &app,
        &format!("/v1/invoices/{invoice}/payments"),
        &fin,
        1,
        "id",
    )
    .await;
    assert_each_once(&payments, 1, "payments");
}

#[tokio::test]
async fn bad_page_requests_are_refused_or_capped() {
    let app = TestApp::spawn().await;
    let fin = app.finance_token.clone();
    for path in [
        "/v1/exam-orders",
        "/v1/certifications",
        "/v1/split-policies",
        "/v1/payables",
        "/v1/providers",
        "/v1/invoices",
        "/v1/licences",
        "/v1/exams",
        "/v1/products",
    ] {
        for bad in [
            "limit=0",
            "limit=-3",
            "cursor=not%20a%20cursor",
            "cursor=a%2Fb",
            "cursor=",
        ] {
            let r = app.get(&format!("{path}?{bad}"), &fin).await;
            assert_eq!(r.status, 422, "{path}?{bad}: {}", r.body);
            assert_eq!(
                r.problem_type(),
                "https://accredit.example/problems/validation-error",
                "{path}?{bad}"
            );
        }
        // A cursor of the documented form is a position, issued by this API or not:
        // the items after it are served (before every key, after every key, or
        // among them).
        for cursor in [
            "0",
            "zzzz",
            "not-a-cursor",
            "0192e4a0-7b1c-7000-8000-000000000000",
        ] {
            let r = app.get(&format!("{path}?cursor={cursor}"), &fin).await;
            assert_eq!(r.status, 200, "{path}?cursor={cursor}: {}", r.body);
            assert!(r.body["data"].is_array(), "{path}?cursor={cursor}");
        }
        let r = app.get(&format!("{path}?cursor=zzzz"), &fin).await;
        assert_eq!(r.body["data"], serde_json::json!([]), "{path}?cursor=zzzz");
        let r = app.get(&format!("{path}?limit=abc"), &fin).await;
        assert_eq!(r.status, 400, "{path}?limit=abc: {}", r.body);
        // Over the cap: served, at most 200 items.
        let r = app.get(&format!("{path}?limit=1000"), &fin).await;
        assert_eq!(r.status, 200, "{path}?limit=1000: {}", r.body);
        assert!(r.body["data"].as_array().unwrap().len() <= 200);
        assert!(r.body.as_object().unwrap().contains_key("next_cursor"));
    }
}

/// Gives PCEP a 36-month validity (the seed catalogue holds it for life).
async fn pcep_expires_after_36_months(app: &TestApp) {
    app.ctx
        .db(|c| {
            use accredit::db::schema::credentials as cr;
            diesel::update(cr::table.find("PCEP"))
                .set(cr::validity_months.eq(Some(36)))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// Orders PCEP, pays it by bank transfer today, sits and passes it; returns the attempt.
async fn earn_pcep(app: &TestApp, token: &str, vid: &str, vtoken: &str) -> Value {
    let (_, voucher) = buy_voucher(app, token, "PCEP", vid, None).await;
    sit(app, vtoken, &voucher, true).await
}

#[tokio::test]
async fn an_expired_certification_can_be_earned_again_and_history_keeps_both() {
    // Arrange
    let app = TestApp::spawn_with(Options {
        clock_at: Some(Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()),
        ..Default::default()
    })
    .await;
    pcep_expires_after_36_months(&app).await;
    let (_, _, token) = candidate(&app, "Zoë", "Łukasiewicz").await;
    let (vid, vtoken) = vendor(&app, "Recert Testing").await;
    let first = earn_pcep(&app, &token, &vid, &vtoken).await;
    assert!(first["certification_id"].is_string(), "{first}");

    // While it is valid, it cannot be ordered again.
    let again = app
        .post(
            "/v1/exam-orders",
            &token,
            &json!({"exam_code": "PCEP", "testing_vendor_id": vid}),
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.body);

    // Act: past expiry (2029-03-02), recertify.
    app.clock
        .as_ref()
        .unwrap()
        .set(Utc.with_ymd_and_hms(2029, 4, 1, 10, 0, 0).unwrap());
    let second = earn_pcep(&app, &token, &vid, &vtoken).await;

    // Assert
    assert!(second["certification_id"].is_string(), "{second}");
    assert_ne!(second["certification_id"], first["certification_id"]);
    let certs = app.get("/v1/certifications", &token).await;
    assert_eq!(certs.status, 200);
    let data = certs.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{data:?}");
    assert_eq!(data[0]["id"], first["certification_id"]);
    assert_eq!(data[0]["status"], "expired");
    assert_eq!(data[0]["expires_on"], "2029-03-02");
    assert_eq!(data[1]["id"], second["certification_id"]);
    assert_eq!(data[1]["status"], "valid");
    assert_eq!(data[1]["expires_on"], "2032-04-01");
    for (cert, status) in [(&data[0], "expired"), (&data[1], "valid")] {
        let number = cert["certificate_number"].as_str().unwrap();
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
        assert_eq!(v.body["status"], status);
    }

    // The old record cannot be suspended back into force next to the new one.
    let old = data[0]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/v1/certifications/{old}/suspension"),
            &app.admin_token,
            &json!({"reason": "audit"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/certification-expired"
    );
}
