use accredit::domain::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

#[tokio::test]
async fn health_readiness_metrics_and_jwks_answer() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let metrics = app.staff_token(Role::Metrics).await;
    let r = app
        .http
        .get(format!("{}/metrics", app.address))
        .bearer_auth(&metrics)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("accredit_http_requests_total"), "{text}");
    let r = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.address))
        .send()
        .await
        .unwrap();
    let jwks: Value = r.json().await.unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert!(jwks["keys"][0]["kid"]
        .as_str()
        .is_some_and(|k| !k.is_empty()));
    let r = app
        .http
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("redoc"));
}

#[tokio::test]
async fn unknown_routes_are_problem_json_404() {
    let app = TestApp::spawn().await;
    let r = app
        .http
        .get(format!("{}/v1/nope", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["type"], "https://accredit.example/problems/not-found");
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn committed_openapi_document_matches_the_code() {
    let app = TestApp::spawn().await;
    let generated = accredit::http::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("ACCREDIT_UPDATE_OPENAPI").is_ok() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).expect("openapi/openapi.json is committed");
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: regenerate with `cargo run -- openapi > openapi/openapi.json`"
    );
    // The served document is the same one.
    let served: Value = app
        .http
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(served, committed);
}

#[test]
fn migration_trees_have_the_same_names() {
    let names = |d: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{d}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[tokio::test]
async fn metrics_need_a_metrics_token_and_that_token_nothing_else() {
    let app = TestApp::spawn().await;
    let metrics = app.request(Method::GET, "/metrics", None, None, None).await;
    assert_eq!(metrics.status, 401);
    assert_eq!(metrics.headers["content-type"], "application/problem+json");
    assert_eq!(app.get("/metrics", &app.admin_token).await.status, 403);
    let scraper = app.staff_token(Role::Metrics).await;
    let r = app.get("/metrics", &scraper).await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    // The metrics role reads nothing else.
    assert_eq!(app.get("/v1/providers", &scraper).await.status, 403);
    assert_eq!(app.get("/v1/products", &scraper).await.status, 403);
}

#[tokio::test]
async fn metrics_can_be_served_on_a_separate_address_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = accredit::config::Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_addr = free.local_addr().unwrap();
    drop(free);
    settings.metrics_bind = Some(metrics_addr.to_string());
    settings.outbox.run_worker = false;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = accredit::startup::Application::build_with_listener(
        settings,
        std::sync::Arc::new(accredit::domain::clock::SystemClock),
        listener,
    )
    .unwrap();
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let _ = http
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    let r = http
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/healthz"));
    // The main address still wants a token.
    let r = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn every_response_has_security_headers_and_html_a_csp() {
    let app = TestApp::spawn().await;
    for path in [
        "/healthz",
        "/v1/nope",
        "/v1/providers",
        "/openapi.json",
        "/docs",
    ] {
        let r = app.request(Method::GET, path, None, None, None).await;
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(r.headers["x-frame-options"], "DENY", "{path}");
        assert!(r.headers.contains_key("content-security-policy"), "{path}");
    }
    let docs = app.request(Method::GET, "/docs", None, None, None).await;
    assert!(docs.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = docs.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .expect("a script-src directive");
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    // The page's scripts are all allowed by that policy: no inline script.
    let html = String::from_utf8(docs.bytes.clone()).unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("spec-url=\"/openapi.json\""));
}

#[tokio::test]
async fn errors_outside_the_json_extractor_are_problem_json() {
    let app = TestApp::spawn().await;
    let problem = |r: &crate::helpers::Resp, status: u16, slug: &str| {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
        assert_eq!(
            r.problem_type(),
            format!("https://accredit.example/problems/{slug}")
        );
    };
    // Unsupported method on a known path: 405 with Allow.
    let r = app
        .request(
            Method::DELETE,
            "/v1/providers",
            Some(&app.admin_token),
            None,
            None,
        )
        .await;
    problem(&r, 405, "method-not-allowed");
    let allow = r.headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    // Unknown route.
    let r = app.get("/v1/nothing/here", &app.admin_token).await;
    problem(&r, 404, "not-found");
    // Unknown query parameter, bad value, oversized query string.
    let r = app.get("/v1/providers?limt=5", &app.admin_token).await;
    problem(&r, 400, "unknown-query-parameter");
    assert!(r.body["detail"].as_str().unwrap().contains("limt"));
    let r = app.get("/v1/providers?limit=many", &app.admin_token).await;
    problem(&r, 400, "invalid-query");
    let long = format!("/v1/providers?cursor={}", "a".repeat(4096));
    let r = app.get(&long, &app.admin_token).await;
    problem(&r, 414, "query-too-long");
    // A malformed path parameter.
    let r = app.get("/v1/providers/not-a-uuid", &app.admin_token).await;
    problem(&r, 404, "not-found");
    // Documented query parameters still work.
    assert_eq!(
        app.get("/v1/providers?limit=2", &app.admin_token)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn voucher_codes_stay_out_of_metrics_labels() {
    let app = TestApp::spawn().await;
    let (_, vendor) = crate::exams::vendor(&app, "Label Test Vendor").await;
    // An attempted redemption (unknown code), a mistyped path and a wrong method.
    let r = app
        .post(
            "/v1/vouchers/SECRETCODE0001/redemptions",
            &vendor,
            &json!(null),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = app.get("/v1/vouchers/SECRETCODE0002", &vendor).await;
    assert_eq!(r.status, 404);
    let r = app
        .get("/v1/vouchers/SECRETCODE0003/redemptions", &vendor)
        .await;
    assert!(r.status.is_client_error());
    let scraper = app.staff_token(Role::Metrics).await;
    let text = String::from_utf8(app.get("/metrics", &scraper).await.bytes).unwrap();
    assert!(text.contains("/v1/vouchers/{code}/redemptions"), "{text}");
    assert!(!text.contains("SECRETCODE"), "{text}");
}
