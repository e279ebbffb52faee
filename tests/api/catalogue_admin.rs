//! The catalogue as data an admin runs: products and credentials created, edited,
//! deactivated and reactivated, audited; deactivated ones cannot be bought but stay
//! on issued invoices and held certifications; validation, scoping, idempotency and
//! the seeded PCAT / PCED -> PCAD track.

use accredit::domain::role::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::exams::candidate;
use crate::helpers::{Resp, TestApp};

mod credentials;

pub(crate) async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> Resp {
    let key = uuid::Uuid::new_v4().to_string();
    app.request(Method::PATCH, path, Some(token), Some(&key), Some(body))
        .await
}

pub(crate) fn actions(events: &Resp) -> Vec<String> {
    events
        .body
        .as_array()
        .unwrap_or_else(|| panic!("events: {}", events.body))
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn assert_problem(r: &Resp, status: u16, kind: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert!(
        r.problem_type().ends_with(kind),
        "type {} is not {kind}: {}",
        r.problem_type(),
        r.body
    );
}

#[tokio::test]
async fn products_are_created_renamed_deactivated_and_reactivated() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();
    let (_pid, _, provider) = app.provider("Catalogue Test AEC").await;

    // A course licence created without a price exists but cannot be bought yet.
    let body = json!({"code": "python_workshop_licence", "kind": "course_licence",
        "name": "Python workshop licence", "description": "Yearly workshop licence.",
        "term_months": 12, "reason": "new workshop line"});
    let key = uuid::Uuid::new_v4().to_string();
    let created = app
        .request(
            Method::POST,
            "/v1/products",
            Some(&admin),
            Some(&key),
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["price"], Value::Null);
    // The same key and body replays the stored response; no second creation.
    let replay = app
        .request(
            Method::POST,
            "/v1/products",
            Some(&admin),
            Some(&key),
            Some(&body),
        )
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, created.body);
    let mut other = body.clone();
    other["name"] = json!("Another name");
    let reused = app
        .request(
            Method::POST,
            "/v1/products",
            Some(&admin),
            Some(&key),
            Some(&other),
        )
        .await;
    assert_problem(&reused, 422, "idempotency-key-reused");
    assert_problem(
        &app.post("/v1/products", &admin, &body).await,
        409,
        "product-exists",
    );
    let r = app
        .post(
            "/v1/licences",
            &provider,
            &json!({"product_code": "python_workshop_licence"}),
        )
        .await;
    assert_problem(&r, 422, "unknown-product");

    // A price version makes it buyable.
    let r = app
        .post(
            "/v1/products/python_workshop_licence/prices",
            &admin,
            &json!({"price": {"amount_minor": 70000, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let first = app.buy(&provider, "python_workshop_licence").await;
    let invoice_id = first["invoice_id"].as_str().unwrap().to_owned();

    // Rename, then deactivate (a reason is required).
    let r = patch(
        &app,
        "/v1/products/python_workshop_licence",
        &admin,
        &json!({"name": "Python workshop licence (2027)"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["name"], "Python workshop licence (2027)");
    let r = patch(
        &app,
        "/v1/products/python_workshop_licence",
        &admin,
        &json!({"active": false}),
    )
    .await;
    assert_problem(&r, 422, "validation-error");
    assert_eq!(r.body["errors"][0]["field"], "reason");
    let r = patch(
        &app,
        "/v1/products/python_workshop_licence",
        &admin,
        &json!({"active": false, "reason": "workshop withdrawn"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);

    // Deactivated: not buyable, still listed, still on the issued invoice.
    let r = app
        .post(
            "/v1/licences",
            &provider,
            &json!({"product_code": "python_workshop_licence"}),
        )
        .await;
    assert_problem(&r, 409, "product-inactive");
    let p = app
        .get("/v1/products/python_workshop_licence", &provider)
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["active"], false);
    let inv = app
        .get(&format!("/v1/invoices/{invoice_id}"), &provider)
        .await;
    assert_eq!(inv.status, 200);
    assert_eq!(
        inv.body["lines"][0]["product_code"],
        "python_workshop_licence"
    );
    assert_eq!(inv.body["lines"][0]["unit_price"]["amount_minor"], 70000);

    // Reactivated: buyable again.
    let r = patch(
        &app,
        "/v1/products/python_workshop_licence",
        &admin,
        &json!({"active": true, "reason": "workshop back"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.buy(&provider, "python_workshop_licence").await;

    // The audit trail, readable by finance.
    let ev = app
        .get(
            "/v1/products/python_workshop_licence/events",
            &app.finance_token,
        )
        .await;
    assert_eq!(ev.status, 200, "{}", ev.body);
    assert_eq!(
        actions(&ev),
        [
            "created",
            "price_added",
            "updated",
            "deactivated",
            "reactivated"
        ]
    );
    let e = ev.body.as_array().unwrap();
    assert_eq!(e[0]["before"], Value::Null);
    assert_eq!(e[0]["reason"], "new workshop line");
    assert!(e[0]["actor"].as_str().unwrap().starts_with("admin:"));
    assert_eq!(e[2]["before"]["name"], "Python workshop licence");
    assert_eq!(e[2]["after"]["name"], "Python workshop licence (2027)");
    assert_eq!(e[3]["reason"], "workshop withdrawn");
    assert_eq!(e[3]["before"]["active"], true);
    assert_eq!(e[3]["after"]["active"], false);

    // A product created with its price is buyable at once.
    let r = app
        .post(
            "/v1/products",
            &admin,
            &json!({"code": "base_text_workbook", "kind": "base_text",
            "name": "Base Text workbook", "price": {"amount_minor": 1900, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["price"]["price"]["amount_minor"], 1900);
    assert_eq!(r.body["price"]["version"], 1);
}

#[tokio::test]
async fn product_admin_validates_and_is_scoped() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();
    let (_pid, _, provider) = app.provider("Scoped AEC").await;
    let (_cid, _, cand) = candidate(&app, "Ada", "Scope").await;
    let finance = app.finance_token.clone();

    let r = app
        .post(
            "/v1/products",
            &admin,
            &json!({"code": "Bad Code", "kind": "base_text", "name": " ",
            "term_months": 0, "price": {"amount_minor": -1, "currency": "USD"}}),
        )
        .await;
    assert_problem(&r, 422, "validation-error");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["code", "name", "term_months", "price.amount_minor"]
    );
    let r = app
        .post(
            "/v1/products",
            &admin,
            &json!({"code": "no_term", "kind": "course_licence", "name": "X"}),
        )
        .await;
    assert_problem(&r, 422, "validation-error");
    assert_eq!(r.body["errors"][0]["field"], "term_months");
    let r = app
        .post(
            "/v1/products",
            &admin,
            &json!({"code": "x_kind", "kind": "spaceship", "name": "X"}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = patch(&app, "/v1/products/base_text_print", &admin, &json!({})).await;
    assert_problem(&r, 422, "validation-error");
    let r = patch(
        &app,
        "/v1/products/base_text_print",
        &admin,
        &json!({"kind": "exam_fee"}),
    )
    .await;
    assert_eq!(r.status, 400, "kind is fixed: {}", r.body);

    // Writes are admin-only; events are admin and finance.
    let new = json!({"code": "scoped_product", "kind": "base_text", "name": "X"});
    for token in [&provider, &cand, &finance] {
        assert_eq!(
            app.post("/v1/products", token, &new).await.status,
            StatusCode::FORBIDDEN
        );
        let r = patch(
            &app,
            "/v1/products/base_text_print",
            token,
            &json!({"name": "Y"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    for token in [&provider, &cand] {
        let r = app.get("/v1/products/base_text_print/events", token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        app.get("/v1/products/base_text_print/events", &admin)
            .await
            .status,
        200
    );
    let r = patch(
        &app,
        "/v1/products/no_such_product",
        &admin,
        &json!({"name": "Y"}),
    )
    .await;
    assert_problem(&r, 404, "not-found");
    assert_eq!(
        app.get("/v1/products/no_such_product/events", &finance)
            .await
            .status,
        404
    );
    let r = app
        .post(
            "/v1/products/no_such_product/prices",
            &admin,
            &json!({"price": {"amount_minor": 100, "currency": "USD"}}),
        )
        .await;
    assert_eq!(r.status, 404);
    let scheduler = app.staff_token(Role::Scheduler).await;
    assert_eq!(
        app.get("/v1/products/base_text_print/events", &scheduler)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn concurrent_creations_of_one_code_make_one_product() {
    let app = TestApp::spawn().await;
    let body = json!({"code": "raced_product", "kind": "base_text", "name": "Raced",
        "price": {"amount_minor": 1000, "currency": "USD"}});
    let calls = (0..6).map(|_| app.post("/v1/products", &app.admin_token, &body));
    let results = futures_util::future::join_all(calls).await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [201, 409, 409, 409, 409, 409],
        "{:?}",
        results
            .iter()
            .map(|r| r.body.to_string())
            .collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status == 409) {
        assert_problem(r, 409, "product-exists");
    }
    let ev = app
        .get("/v1/products/raced_product/events", &app.admin_token)
        .await;
    assert_eq!(actions(&ev), ["created"]);
}
