//! Credentials as admin-edited data: the seeded PCAT / PCED -> PCAD track,
//! creation and edits with validated prerequisites (no cycles), deactivation that
//! refuses exam orders but keeps held certifications, and the audit trail.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{actions, assert_problem, patch};
use crate::exams::{buy_voucher, candidate, sit, vendor};
use crate::helpers::TestApp;

#[tokio::test]
async fn seeds_hold_the_testing_and_data_analytics_track() {
    let app = TestApp::spawn().await;
    let exams = app.get("/v1/exams?limit=200", &app.finance_token).await;
    assert_eq!(exams.status, 200, "{}", exams.body);
    let find = |code: &str| -> Value {
        exams.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code} missing: {}", exams.body))
    };
    let pcat = find("PCAT");
    assert_eq!(pcat["tier"], "associate");
    assert_eq!(pcat["exam"], true);
    assert_eq!(pcat["fee"]["amount_minor"], 29500);
    let pced = find("PCED");
    assert_eq!(pced["tier"], "entry");
    assert_eq!(pced["prerequisites"], json!([]));
    assert_eq!(pced["fee"]["amount_minor"], 5900);
    let pcad = find("PCAD");
    assert_eq!(pcad["tier"], "associate");
    assert_eq!(pcad["prerequisites"], json!(["PCED"]));
    assert_eq!(pcad["fee"]["amount_minor"], 29500);
    for code in ["exam_pcat", "exam_pced", "exam_pcad"] {
        let p = app
            .get(&format!("/v1/products/{code}"), &app.finance_token)
            .await;
        assert_eq!(p.status, 200, "{code}: {}", p.body);
        assert_eq!(p.body["kind"], "exam_fee");
    }
    // PCAD needs PCED first.
    let (vid, _) = vendor(&app, "Seed Vendor").await;
    let (_cid, _, cand) = candidate(&app, "Grace", "Seed").await;
    let r = app
        .post(
            "/v1/exam-orders",
            &cand,
            &json!({"exam_code": "PCAD", "testing_vendor_id": vid}),
        )
        .await;
    assert_problem(&r, 422, "exam-not-allowed");
    assert!(r.body.to_string().contains("PCED"), "{}", r.body);
}

#[tokio::test]
async fn credentials_are_admin_data_with_validated_prerequisites() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();

    let new = json!({"code": "PCXT", "name": "Certified Associate Test Engineer", "tier": "associate",
        "prerequisites": ["PCEP"], "exam_fee_product": "exam_pcat", "reason": "pilot"});
    let key = uuid::Uuid::new_v4().to_string();
    let created = app
        .request(
            Method::POST,
            "/v1/credentials",
            Some(&admin),
            Some(&key),
            Some(&new),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["prerequisites"], json!(["PCEP"]));
    assert_eq!(created.body["retake_wait_days"], 14);
    assert_eq!(created.body["voucher_validity_months"], 12);
    assert_eq!(created.body["validity_months"], Value::Null);
    assert_eq!(created.body["active"], true);
    let replay = app
        .request(
            Method::POST,
            "/v1/credentials",
            Some(&admin),
            Some(&key),
            Some(&new),
        )
        .await;
    assert_eq!(replay.body, created.body);
    assert_problem(
        &app.post("/v1/credentials", &admin, &new).await,
        409,
        "credential-exists",
    );

    // Validation: unknown prerequisite, wrong fee product kind, numbers out of range.
    let r = app
        .post(
            "/v1/credentials",
            &admin,
            &json!({"code": "PCZZ", "name": "Z", "tier": "entry",
            "prerequisites": ["NOPE"], "exam_fee_product": "base_text_print",
            "retake_wait_days": 400, "voucher_validity_months": 0, "validity_months": 121}),
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
        [
            "retake_wait_days",
            "voucher_validity_months",
            "validity_months",
            "prerequisites",
            "exam_fee_product"
        ]
    );
    let r = app
        .post(
            "/v1/credentials",
            &admin,
            &json!({"code": "PCZZ", "name": "Z", "tier": "entry"}),
        )
        .await;
    assert_problem(&r, 422, "validation-error");
    assert_eq!(r.body["errors"][0]["field"], "exam_fee_product");
    let r = app
        .post(
            "/v1/credentials",
            &admin,
            &json!({"code": "lower", "name": "Z", "tier": "entry",
            "exam_fee_product": "exam_pcat"}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "code", "{}", r.body);

    // Cycles are refused: direct, through the chain, and on itself.
    let r = patch(
        &app,
        "/v1/credentials/PCEP",
        &admin,
        &json!({"prerequisites": ["PCXT"]}),
    )
    .await;
    assert_problem(&r, 409, "prerequisite-cycle");
    let r = patch(
        &app,
        "/v1/credentials/PCED",
        &admin,
        &json!({"prerequisites": ["PCAD"]}),
    )
    .await;
    assert_problem(&r, 409, "prerequisite-cycle");
    let r = patch(
        &app,
        "/v1/credentials/PCXT",
        &admin,
        &json!({"prerequisites": ["PCXT"]}),
    )
    .await;
    assert_problem(&r, 409, "prerequisite-cycle");
    let r = patch(
        &app,
        "/v1/credentials/PCXT",
        &admin,
        &json!({"prerequisites": ["NOPE"]}),
    )
    .await;
    assert_problem(&r, 422, "validation-error");

    // Edits: prerequisites replaced, waits and validities set, then lifetime again.
    let key = uuid::Uuid::new_v4().to_string();
    let change = json!({"prerequisites": ["PCAP", "PCEP"], "retake_wait_days": 30,
        "validity_months": 36, "tier": "professional", "reason": "tightened"});
    let r = app
        .request(
            Method::PATCH,
            "/v1/credentials/PCXT",
            Some(&admin),
            Some(&key),
            Some(&change),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["prerequisites"], json!(["PCAP", "PCEP"]));
    assert_eq!(r.body["retake_wait_days"], 30);
    assert_eq!(r.body["validity_months"], 36);
    assert_eq!(r.body["tier"], "professional");
    // A retried PATCH replays and is audited once.
    let again = app
        .request(
            Method::PATCH,
            "/v1/credentials/PCXT",
            Some(&admin),
            Some(&key),
            Some(&change),
        )
        .await;
    assert_eq!(again.body, r.body);
    let r = patch(
        &app,
        "/v1/credentials/PCXT",
        &admin,
        &json!({"validity_months": null, "tier": "associate"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["validity_months"], Value::Null);
    let exams = app.get("/v1/exams?limit=200", &app.finance_token).await;
    let pcxt = exams.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "PCXT")
        .unwrap();
    assert_eq!(pcxt["prerequisites"], json!(["PCAP", "PCEP"]));
    assert_eq!(pcxt["retake_wait_days"], 30);
    let r = patch(
        &app,
        "/v1/credentials/PCXT",
        &admin,
        &json!({"exam_fee_product": "at_maintenance"}),
    )
    .await;
    assert_problem(&r, 422, "validation-error");

    let ev = app
        .get("/v1/credentials/PCXT/events", &app.finance_token)
        .await;
    assert_eq!(ev.status, 200, "{}", ev.body);
    assert_eq!(actions(&ev), ["created", "updated", "updated"]);
    let e = ev.body.as_array().unwrap();
    assert_eq!(e[1]["reason"], "tightened");
    assert_eq!(e[1]["before"]["prerequisites"], json!(["PCEP"]));
    assert_eq!(e[1]["after"]["prerequisites"], json!(["PCAP", "PCEP"]));

    // Scoping.
    let (_pid, _, provider) = app.provider("Cred Scope AEC").await;
    let (_cid, _, cand) = candidate(&app, "Alan", "Scope").await;
    for token in [&provider, &cand, &app.finance_token] {
        assert_eq!(
            app.post("/v1/credentials", token, &new).await.status,
            StatusCode::FORBIDDEN
        );
        let r = patch(&app, "/v1/credentials/PCXT", token, &json!({"name": "Y"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    for token in [&provider, &cand] {
        assert_eq!(
            app.get("/v1/credentials/PCXT/events", token).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let r = patch(&app, "/v1/credentials/NOPE", &admin, &json!({"name": "Y"})).await;
    assert_problem(&r, 404, "not-found");
    assert_eq!(
        app.get("/v1/credentials/NOPE/events", &admin).await.status,
        404
    );
}

#[tokio::test]
async fn deactivated_credentials_and_fee_products_cannot_be_bought_but_stay_held() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();
    let (vid, vtoken) = vendor(&app, "Deact Vendor").await;
    let (cid, _, cand) = candidate(&app, "Edsger", "Held").await;
    let order = |code: &str| json!({"exam_code": code, "testing_vendor_id": vid});

    // A PCED voucher bought and passed, and an open PCEP order, before deactivation.
    let (pced_order, voucher) = buy_voucher(&app, &cand, "PCED", &vid, None).await;
    sit(&app, &vtoken, &voucher, true).await;
    let open = app.post("/v1/exam-orders", &cand, &order("PCEP")).await;
    assert_eq!(open.status, 201, "{}", open.body);

    let r = patch(
        &app,
        "/v1/credentials/PCED",
        &admin,
        &json!({"active": false}),
    )
    .await;
    assert_problem(&r, 422, "validation-error");
    let r = patch(
        &app,
        "/v1/credentials/PCED",
        &admin,
        &json!({"active": false, "reason": "line retired"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    let (_c2, _, cand2) = candidate(&app, "Barbara", "New").await;
    let r = app.post("/v1/exam-orders", &cand2, &order("PCED")).await;
    assert_problem(&r, 409, "credential-inactive");

    // The held certification stays, and still meets PCAD's prerequisite.
    let certs = app
        .get(&format!("/v1/certifications?candidate_id={cid}"), &admin)
        .await;
    let held: Vec<(&str, &str)> = certs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["credential_code"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(held.contains(&("PCED", "valid")), "{held:?}");
    let r = app.post("/v1/exam-orders", &cand, &order("PCAD")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The paid invoice still shows the PCED fee.
    let inv = app
        .get(
            &format!(
                "/v1/invoices/{}",
                pced_order["invoice_id"].as_str().unwrap()
            ),
            &cand,
        )
        .await;
    assert_eq!(inv.status, 200);
    assert_eq!(inv.body["lines"][0]["product_code"], "exam_pced");

    // A deactivated exam fee product refuses the exam's sale too.
    let r = patch(
        &app,
        "/v1/products/exam_pcat",
        &admin,
        &json!({"active": false, "reason": "price review"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.post("/v1/exam-orders", &cand2, &order("PCAT")).await;
    assert_problem(&r, 409, "product-inactive");
    // The open PCEP order's invoice is untouched and payable.
    let paid = app
        .pay_by_bank(
            open.body["invoice_id"].as_str().unwrap(),
            &app.ctx.clock.today().to_string(),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.body);

    // Reactivated, both sell again.
    let r = patch(
        &app,
        "/v1/credentials/PCED",
        &admin,
        &json!({"active": true, "reason": "back"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.post("/v1/exam-orders", &cand2, &order("PCED"))
            .await
            .status,
        201
    );
    let r = patch(
        &app,
        "/v1/products/exam_pcat",
        &admin,
        &json!({"active": true, "reason": "done"}),
    )
    .await;
    assert_eq!(r.status, 200);
    let (_c3, _, cand3) = candidate(&app, "Tony", "Later").await;
    assert_eq!(
        app.post("/v1/exam-orders", &cand3, &order("PCAT"))
            .await
            .status,
        201
    );

    let ev = app.get("/v1/credentials/PCED/events", &admin).await;
    assert_eq!(actions(&ev), ["deactivated", "reactivated"]);
    assert_eq!(ev.body[0]["reason"], "line retired");
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn concurrent_edits_cannot_close_a_prerequisite_cycle() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token.clone();
    for code in ["PCRA", "PCRB"] {
        let r = app
            .post(
                "/v1/credentials",
                &admin,
                &json!({"code": code, "name": code, "tier": "entry",
                "exam_fee_product": "exam_pcep"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let (a_needs_b, b_needs_a) = (
        json!({"prerequisites": ["PCRB"]}),
        json!({"prerequisites": ["PCRA"]}),
    );
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            patch(&app, "/v1/credentials/PCRA", &admin, &a_needs_b),
            patch(&app, "/v1/credentials/PCRB", &admin, &b_needs_a),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
        // Undo whichever won, for the next round.
        for code in ["PCRA", "PCRB"] {
            let r = patch(
                &app,
                &format!("/v1/credentials/{code}"),
                &admin,
                &json!({"prerequisites": []}),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    }
}
