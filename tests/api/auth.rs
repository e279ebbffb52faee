use accredit::auth::{Principal, SigningKeys};
use accredit::domain::role::Role;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

#[tokio::test]
async fn client_credentials_grant_issues_a_short_lived_eddsa_jwt() {
    let app = TestApp::spawn().await;
    let (pid, _) = app.create_provider("Acme Training", "trainer").await;
    let creds = app
        .post(
            &format!("/v1/providers/{pid}/clients"),
            &app.admin_token,
            &json!({"name": "x"}),
        )
        .await;
    let (id, secret) = (
        creds.body["client_id"].as_str().unwrap(),
        creds.body["client_secret"].as_str().unwrap(),
    );

    // JSON body.
    let r = app
        .http
        .post(format!("{}/v1/auth/token", app.address))
        .json(
            &json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() <= 900);
    let token = body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    assert!(header.kid.is_some());
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["role"], "provider");
    assert_eq!(claims["provider_id"], pid.as_str());
    for c in ["sub", "iss", "aud", "iat", "exp", "jti"] {
        assert!(!claims[c].is_null(), "claim {c} missing");
    }

    // HTTP Basic.
    let r = app
        .http
        .post(format!("{}/v1/auth/token", app.address))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Wrong secret, unknown client, wrong grant.
    for (cid, sec) in [
        (id, "wrong"),
        ("00000000-0000-7000-8000-000000000000", secret),
    ] {
        let r = app
            .http
            .post(format!("{}/v1/auth/token", app.address))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", cid),
                ("client_secret", sec),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let b: Value = r.json().await.unwrap();
        assert_eq!(
            b["type"],
            "https://accredit.example/problems/invalid-client"
        );
    }
    let r = app
        .http
        .post(format!("{}/v1/auth/token", app.address))
        .form(&[
            ("grant_type", "password"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn bad_tokens_are_401_and_wrong_roles_403() {
    let app = TestApp::spawn().await;
    let path = "/v1/providers";
    // No token.
    let r = app.request(Method::GET, path, None, None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert!(r.headers.contains_key("www-authenticate"));
    // Expired (past the 30 s leeway).
    let admin = Principal::unscoped("x".into(), Role::Admin);
    let expired = app
        .ctx
        .keys
        .issue(&admin, chrono::Utc::now().timestamp() - 1_000, 900)
        .unwrap();
    assert_eq!(app.get(path, &expired).await.status, 401);
    // alg: none.
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let now = chrono::Utc::now().timestamp();
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(
            &json!({"sub": "x", "role": "admin", "iss": "accredit", "aud": "accredit-api", "iat": now, "exp": now + 600, "jti": "j"})
        )
    );
    assert_eq!(app.get(path, &none).await.status, 401);
    // Wrong audience, signed with the service's own key.
    let key_path = app.ctx.settings.jwt_key_path();
    let other = SigningKeys::load_or_generate(&key_path, "accredit", "someone-else").unwrap();
    let wrong_aud = other.issue(&admin, now, 600).unwrap();
    assert_eq!(app.get(path, &wrong_aud).await.status, 401);
    // Wrong issuer.
    let other = SigningKeys::load_or_generate(&key_path, "evil", "accredit-api").unwrap();
    assert_eq!(
        app.get(path, &other.issue(&admin, now, 600).unwrap())
            .await
            .status,
        401
    );
    // Garbage.
    assert_eq!(app.get(path, "not.a.jwt").await.status, 401);
    // A valid token works...
    assert_eq!(app.get(path, &app.admin_token).await.status, 200);
    // ...but a provider may not list providers, record payments or register providers.
    let (_, _, provider) = app.provider("Role Test GmbH").await;
    let r = app.get(path, &provider).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/forbidden"
    );
    let r = app.post("/v1/providers", &provider, &json!({})).await;
    assert_eq!(r.status, 403);
    let r = app.get("/v1/ledger/trial-balance", &provider).await;
    assert_eq!(r.status, 403);
    // Finance may read but not create providers.
    assert_eq!(app.get(path, &app.finance_token).await.status, 200);
    let r = app
        .post("/v1/providers", &app.finance_token, &json!({}))
        .await;
    assert_eq!(r.status, 403);
}
