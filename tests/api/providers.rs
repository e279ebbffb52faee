use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

fn valid() -> serde_json::Value {
    json!({
        "kind": "education_center", "legal_name": "Zoë Łukasiewicz Training GmbH", "email": "billing@zl.example",
        "country": "de", "billing_address": {"line1": "Hauptstraße 1", "city": "München", "postal_code": "80331"}
    })
}

#[tokio::test]
async fn admin_registers_and_reads_providers() {
    let app = TestApp::spawn().await;
    let r = app.post("/v1/providers", &app.admin_token, &valid()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(
        r.headers["location"],
        format!("/v1/providers/{id}").as_str()
    );
    assert_eq!(r.body["country"], "DE");
    assert_eq!(r.body["legal_name"], "Zoë Łukasiewicz Training GmbH");
    let g = app
        .get(&format!("/v1/providers/{id}"), &app.finance_token)
        .await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body["billing_address"]["city"], "München");
}

#[tokio::test]
async fn invalid_providers_are_refused_with_every_bad_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let mut bad = valid();
    bad["country"] = json!("XX");
    bad["email"] = json!("not-an-email");
    bad["legal_name"] = json!("  ");
    let r = app.post("/v1/providers", &app.admin_token, &bad).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/validation-error"
    );
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"country") && fields.contains(&"email") && fields.contains(&"legal_name"),
        "{fields:?}"
    );

    let mut unknown = valid();
    unknown["colour"] = json!("blue");
    let r = app.post("/v1/providers", &app.admin_token, &unknown).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/unknown-field"
    );

    let r = app
        .http
        .post(format!("{}/v1/providers", app.address))
        .bearer_auth(&app.admin_token)
        .header("Idempotency-Key", "k-malformed")
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        b["type"],
        "https://accredit.example/problems/malformed-json"
    );

    let mut huge = valid();
    huge["legal_name"] = json!("x".repeat(1_100_000));
    let r = app.post("/v1/providers", &app.admin_token, &huge).await;
    assert_eq!(r.status, 413);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/payload-too-large"
    );

    let r = app
        .request(
            Method::POST,
            "/v1/providers",
            Some(&app.admin_token),
            None,
            Some(&valid()),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/idempotency-key-missing"
    );

    let list = app.get("/v1/providers", &app.admin_token).await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        0,
        "a refused request wrote something"
    );
}

#[tokio::test]
async fn providers_are_listed_with_a_cursor_and_a_capped_limit() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.create_provider(&format!("Provider {i}"), "trainer")
            .await;
    }
    let first = app.get("/v1/providers?limit=2", &app.finance_token).await;
    assert_eq!(first.body["data"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/v1/providers?limit=2&cursor={cursor}"),
            &app.finance_token,
        )
        .await;
    assert_eq!(second.body["data"][0]["legal_name"], "Provider 2");
    let third = app
        .get(
            &format!(
                "/v1/providers?limit=2&cursor={}",
                second.body["next_cursor"].as_str().unwrap()
            ),
            &app.finance_token,
        )
        .await;
    assert_eq!(third.body["data"].as_array().unwrap().len(), 1);
    assert!(third.body["next_cursor"].is_null());
    let all = app
        .get("/v1/providers?limit=100000", &app.finance_token)
        .await;
    assert_eq!(all.status, 200);
    assert_eq!(all.body["data"].as_array().unwrap().len(), 5);
    let bad = app
        .get("/v1/providers?cursor=a%2Fb", &app.finance_token)
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn a_provider_sees_only_itself() {
    let app = TestApp::spawn().await;
    let (a, _, token_a) = app.provider("A GmbH").await;
    let (b, _, _) = app.provider("B GmbH").await;
    assert_eq!(
        app.get(&format!("/v1/providers/{a}"), &token_a)
            .await
            .status,
        200
    );
    let r = app.get(&format!("/v1/providers/{b}"), &token_a).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/not-found"
    );
    assert_eq!(
        app.get("/v1/providers/not-a-uuid", &token_a).await.status,
        404
    );
}
