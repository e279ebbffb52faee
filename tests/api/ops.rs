use serde_json::Value;

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
    let r = app
        .http
        .get(format!("{}/metrics", app.address))
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
