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
        let r = app.token_response(cid, sec).await;
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

/// Signs a token with the service's own key (read from its key file), as someone
/// holding a leaked key or a misconfigured issuer would.
fn hand_signed(app: &TestApp, iat: i64, ttl: u32) -> String {
    let keys =
        SigningKeys::load_or_generate(&app.ctx.settings.jwt_key_path(), "accredit", "accredit-api")
            .unwrap();
    keys.issue(&Principal::unscoped("x".into(), Role::Admin), iat, ttl)
        .unwrap()
}

#[tokio::test]
async fn tokens_longer_than_the_ttl_or_issued_in_the_future_are_refused() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let path = "/v1/providers";
    // Within the configured lifetime (900 s): accepted.
    assert_eq!(
        app.get(path, &hand_signed(&app, now, 900)).await.status,
        200
    );
    // A day-long token with a valid signature and exp.
    let r = app.get(path, &hand_signed(&app, now, 86_400)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    // Issued an hour from now (beyond the 30 s leeway), exp within the lifetime.
    assert_eq!(
        app.get(path, &hand_signed(&app, now + 3_600, 600))
            .await
            .status,
        401
    );
    // Within the leeway: accepted.
    assert_eq!(
        app.get(path, &hand_signed(&app, now + 10, 600))
            .await
            .status,
        200
    );
}

/// A provider with an API client: (provider id, client id, client secret, token).
async fn provider_client(app: &TestApp) -> (String, String, String, String) {
    let (pid, _) = app.create_provider("Revocable GmbH", "trainer").await;
    let c = app
        .post(
            &format!("/v1/providers/{pid}/clients"),
            &app.admin_token,
            &json!({"name": "booking"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    let id = c.body["client_id"].as_str().unwrap().to_owned();
    let secret = c.body["client_secret"].as_str().unwrap().to_owned();
    let token = app.token(&id, &secret).await;
    (pid, id, secret, token)
}

#[tokio::test]
async fn a_revoked_clients_tokens_are_refused_and_admins_list_clients() {
    let app = TestApp::spawn().await;
    let (pid, client_id, secret, token) = provider_client(&app).await;
    let mine = format!("/v1/providers/{pid}");
    assert_eq!(app.get(&mine, &token).await.status, 200);

    // Providers may neither list nor revoke clients.
    let r = app.get("/v1/clients", &token).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/forbidden"
    );
    let revocation = format!("/v1/clients/{client_id}/revocation");
    let r = app
        .post(&revocation, &token, &json!({"reason": "self-service"}))
        .await;
    assert_eq!(r.status, 403);

    // Revocation needs an Idempotency-Key and a reason; unknown clients are 404.
    let r = app
        .request(
            Method::POST,
            &revocation,
            Some(&app.admin_token),
            None,
            Some(&json!({"reason": "leaked"})),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = app
        .post(&revocation, &app.admin_token, &json!({"reason": " "}))
        .await;
    assert_eq!(r.status, 422);
    for unknown in ["00000000-0000-7000-8000-000000000000", "not-an-id"] {
        let r = app
            .post(
                &format!("/v1/clients/{unknown}/revocation"),
                &app.admin_token,
                &json!({"reason": "leaked"}),
            )
            .await;
        assert_eq!(r.status, 404, "{unknown}: {}", r.body);
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }

    // Revoke: the same token is now refused.
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({"reason": "secret leaked in a CI log"});
    let r = app
        .request(
            Method::POST,
            &revocation,
            Some(&app.admin_token),
            Some(&key),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "revoked");
    assert_eq!(r.body["revocation_reason"], "secret leaked in a CI log");
    let revoked_at = r.body["revoked_at"].clone();
    let r = app.get(&mine, &token).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert!(r.body["detail"].as_str().unwrap().contains("revoked"));

    // Replay with the same key; another body with it is 422; a new key is idempotent.
    let replay = app
        .request(
            Method::POST,
            &revocation,
            Some(&app.admin_token),
            Some(&key),
            Some(&body),
        )
        .await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.body, r_body_of(&app, &client_id).await);
    let r = app
        .request(
            Method::POST,
            &revocation,
            Some(&app.admin_token),
            Some(&key),
            Some(&json!({"reason": "another"})),
        )
        .await;
    assert_eq!(r.status, 422);
    let again = app
        .post(&revocation, &app.admin_token, &json!({"reason": "again"}))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["revoked_at"], revoked_at);
    assert_eq!(again.body["revocation_reason"], "secret leaked in a CI log");

    // The list shows it revoked and the admin's own client active; no secrets.
    let listed = r_body_of(&app, &client_id).await;
    assert_eq!(listed["status"], "revoked");
    assert_eq!(listed["role"], "provider");
    assert_eq!(listed["provider_id"], pid.as_str());
    assert!(listed.get("secret_hash").is_none());
    // Paging: one per page still reaches every client.
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/clients?limit=1&cursor={c}"),
            None => "/v1/clients?limit=1".to_owned(),
        };
        let page = app.get(&path, &app.admin_token).await;
        assert_eq!(page.status, 200, "{}", page.body);
        seen += page.body["data"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, 3, "admin, finance and the provider client");

    // No new tokens either.
    let r = app
        .token_response(client_id.as_str(), secret.as_str())
        .await;
    assert_eq!(r.status(), 401);
}

/// The client `id` as `GET /v1/clients` lists it.
async fn r_body_of(app: &TestApp, id: &str) -> Value {
    let page = app.get("/v1/clients?limit=200", &app.admin_token).await;
    page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_token_endpoint_is_rate_limited_per_client_with_retry_after() {
    let app = TestApp::spawn().await;
    let (_, a, _, _) = provider_client(&app).await;
    let (_, b_id, b_secret, _) = provider_client(&app).await;
    let limit = app.ctx.settings.token_rate_limit_per_minute;
    let mut limited = None;
    for _ in 0..=limit + 1 {
        let r = app.token_response(a.as_str(), "guess").await;
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 401);
    }
    let r = limited.expect("a burst beyond the limit is refused");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another client id (same IP) is unaffected.
    let r = app.token_response(b_id.as_str(), b_secret.as_str()).await;
    assert_eq!(r.status(), 200, "client b is not rate limited");
}

#[tokio::test]
async fn public_rate_limits_send_retry_after() {
    let app = TestApp::spawn().await;
    let limit = app.ctx.settings.public_rate_limit_per_minute;
    let mut last = None;
    for _ in 0..=limit {
        let r = app
            .request(Method::GET, "/v1/verify/ACC-NOPE", None, None, None)
            .await;
        if r.status == 429 {
            last = Some(r);
            break;
        }
    }
    let r = last.expect("rate limited");
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/rate-limited"
    );
    assert!(r.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse::<u64>()
        .is_ok_and(|s| s >= 1));
}

#[tokio::test]
async fn oversized_token_requests_are_problem_json_413() {
    let app = TestApp::spawn().await;
    for size in [64 * 1024, 2 * 1024 * 1024] {
        let r = app
            .http
            .post(format!("{}/v1/auth/token", app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&client_id={}",
                "x".repeat(size)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413, "{size}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}

#[tokio::test]
async fn candidate_sign_up_takes_an_idempotency_key() {
    let app = TestApp::spawn().await;
    let body = json!({"email": format!("idem+{}@example.org", uuid::Uuid::new_v4().simple()),
        "given_name": "Zoë", "family_name": "Łukasiewicz", "country": "PL", "password": "correct horse battery"});
    let r = app
        .request(Method::POST, "/v1/candidates", None, None, Some(&body))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/idempotency-key-missing"
    );
    let key = uuid::Uuid::new_v4().to_string();
    let first = app
        .request(
            Method::POST,
            "/v1/candidates",
            None,
            Some(&key),
            Some(&body),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let replay = app
        .request(
            Method::POST,
            "/v1/candidates",
            None,
            Some(&key),
            Some(&body),
        )
        .await;
    assert_eq!(
        replay.status, 201,
        "a retry replays, not 422 duplicate email"
    );
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.headers["location"], first.headers["location"]);
    let mut other = body.clone();
    other["given_name"] = json!("Zofia");
    let r = app
        .request(
            Method::POST,
            "/v1/candidates",
            None,
            Some(&key),
            Some(&other),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/idempotency-key-reused"
    );
}

/// An admin client may not revoke itself (409 `cannot-revoke-self`): it would
/// lock itself out in the middle of its work, possibly as the last admin access.
/// Another admin client can revoke it.
#[tokio::test]
async fn an_admin_client_cannot_revoke_itself() {
    let app = TestApp::spawn().await;
    let now = app.ctx.clock.now();
    let creds = app
        .ctx
        .db(move |c| {
            accredit::services::parties::clients::create(
                c,
                Role::Admin,
                accredit::services::parties::clients::ClientOwner::Staff,
                "ops console",
                now,
            )
        })
        .await
        .unwrap();
    let token = app.token(&creds.client_id, &creds.client_secret).await;
    let revocation = format!("/v1/clients/{}/revocation", creds.client_id);
    let r = app
        .post(&revocation, &token, &json!({"reason": "tidying up"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/cannot-revoke-self"
    );
    // Still usable, and still listed as active.
    assert_eq!(app.get("/v1/clients", &token).await.status, 200);

    // Another admin client can.
    let r = app
        .post(
            &revocation,
            &app.admin_token,
            &json!({"reason": "tidying up"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.get("/v1/clients", &token).await.status, 401);
}
