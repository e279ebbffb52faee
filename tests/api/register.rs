//! The public register of accredited providers (`GET /v1/register/providers`)
//! and the public verification of accreditation certificate numbers
//! (`GET /v1/verify/{number}` for `AT-…`/`AEC-…`): only accreditations in
//! force, filters, pagination, no private data, escaping, and both as pages in
//! headless Chromium (DOM and a 375 px screenshot under `target/screenshots/`).

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};

use crate::accreditation::{active_at, decide, spawn};
use crate::helpers::TestApp;
use crate::pages::{dump_dom, screenshot, BROWSER_ACCEPT};

/// Street, postal code and tax id every provider of these tests is created with.
const PRIVATE: [&str; 4] = [
    "Rue de Rivoli 1",
    "75001",
    "FR999999999",
    "Unter den Linden",
];

/// Creates a provider of `kind` in `country`/`city` (street, postal code and tax
/// id from [`PRIVATE`]); returns (id, email).
async fn provider(
    app: &TestApp,
    name: &str,
    kind: &str,
    country: &str,
    city: &str,
) -> (String, String) {
    let email = format!("register+{}@example.org", uuid::Uuid::new_v4().simple());
    let r = app
        .post(
            "/v1/providers",
            &app.admin_token,
            &json!({
                "kind": kind, "legal_name": name, "email": email, "country": country,
                "billing_address": {"line1": PRIVATE[0], "city": city, "postal_code": PRIVATE[1]},
                "tax_id": PRIVATE[2]
            }),
        )
        .await;
    assert_eq!(r.status, 201, "create provider: {}", r.body);
    (r.body["id"].as_str().unwrap().to_owned(), email)
}

/// An AEC admitted by bootstrap review (in force at once, certificate issued).
/// Returns (accreditation id, accreditation number, email).
async fn aec(app: &TestApp, name: &str, country: &str, city: &str) -> (String, String, String) {
    let (pid, email) = provider(app, name, "education_center", country, city).await;
    let a = app.admit(&pid, "education_center").await;
    (
        a["id"].as_str().unwrap().to_owned(),
        a["number"].as_str().unwrap().to_owned(),
        email,
    )
}

/// `GET path` without a token; JSON unless `accept` says otherwise.
async fn public(app: &TestApp, path: &str, accept: Option<&str>) -> (u16, String, String) {
    let mut rb = app.http.get(format!("{}{path}", app.address));
    if let Some(a) = accept {
        rb = rb.header(ACCEPT, a);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    (status, ct, r.text().await.unwrap())
}

async fn page(app: &TestApp, query: &str) -> Value {
    let (status, ct, body) = public(app, &format!("/v1/register/providers{query}"), None).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert!(ct.starts_with("application/json"), "{ct}");
    serde_json::from_str(&body).unwrap()
}

fn numbers(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["accreditation_number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_register_lists_only_accreditations_in_force_filters_pages_and_hides_private_data() {
    let app = spawn().await;
    let evil = "<script>alert(1)</script> Academy";
    let (_, paris, paris_mail) = aec(&app, "Paris Python School", "FR", "Paris").await;
    let (_, evil_no, evil_mail) = aec(&app, evil, "DE", "Berlin").await;
    let (susp_id, susp_no, _) = aec(&app, "Suspended Center", "DE", "Munich").await;
    decide(&app, &susp_id, "suspend", 200).await;
    let (_, _, at_id, _, _) = active_at(&app).await; // "Hopper Training", DE, Berlin
    let at_no = crate::accreditation::get(&app, &at_id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // An application not yet decided is not in the register either.
    let (applicant, _) = provider(&app, "Applicant Center", "education_center", "DE", "Bonn").await;
    let token = app.provider_token(&applicant).await;
    let r = app
        .post(
            "/v1/accreditations",
            &token,
            &json!({"kind": "education_center", "statement": "We teach.", "trainer_accreditation_ids": [at_id],
                "facility": {"address": "Somewhere 1, Bonn", "capacity": 5, "attestation": "We have a room."}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let applied_no = r.body["number"].as_str().unwrap().to_owned();

    // Everything in force, and only that.
    let all = page(&app, "").await;
    let listed = numbers(&all);
    assert_eq!(
        listed,
        vec![paris.clone(), evil_no.clone(), at_no.clone()],
        "{all}"
    );
    assert!(!listed.contains(&susp_no) && !listed.contains(&applied_no));
    let first = &all["data"][0];
    assert_eq!(first["provider_name"], "Paris Python School");
    assert_eq!(first["country"], "FR");
    assert_eq!(first["city"], "Paris");
    assert_eq!(first["kind"], "education_center");
    assert_eq!(first["status"], "active");
    assert_eq!(first["materials"], json!([]));
    assert!(
        first["valid_from"].is_string() && first["valid_until"].is_string(),
        "{first}"
    );
    assert_eq!(all["data"][2]["kind"], "trainer");
    assert_eq!(all["data"][1]["provider_name"], evil);

    // No private data: no email, tax id, street, postal code or ids.
    let raw = all.to_string();
    for private in PRIVATE.iter().copied().chain([
        paris_mail.as_str(),
        evil_mail.as_str(),
        at_id.as_str(),
        "billing+",
        "DE123456789",
        "10117",
        "provider_id",
        "statement",
    ]) {
        assert!(!raw.contains(private), "{private:?} leaked: {raw}");
    }

    // Filters.
    assert_eq!(
        numbers(&page(&app, "?country=fr").await),
        vec![paris.clone()]
    );
    assert_eq!(
        numbers(&page(&app, "?country=DE&kind=education_center").await),
        vec![evil_no.clone()]
    );
    assert_eq!(
        numbers(&page(&app, "?kind=trainer").await),
        vec![at_no.clone()]
    );
    // No accredited training materials exist yet: a Python-version filter matches none.
    assert_eq!(page(&app, "?python_version=3.12").await["data"], json!([]));
    let (status, ct, body) = public(&app, "/v1/register/providers?country=FRA", None).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        ct.starts_with("application/problem+json") && body.contains("country"),
        "{body}"
    );
    let (status, _, body) = public(&app, "/v1/register/providers?kind=wizard", None).await;
    assert_eq!(status, 400, "{body}");

    // Pagination: a walk of pages of 2 sees each entry once, in order.
    let p1 = page(&app, "?limit=2").await;
    assert_eq!(numbers(&p1), listed[..2]);
    let cursor = p1["next_cursor"].as_str().expect("a second page");
    let p2 = page(&app, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(numbers(&p2), listed[2..]);
    assert!(p2["next_cursor"].is_null());
    let (status, _, _) = public(&app, "/v1/register/providers?cursor=not%20a%20key", None).await;
    assert_eq!(status, 422);

    // A browser gets the page: escaped, no script, no private data, next link kept.
    let (status, ct, html) =
        public(&app, "/v1/register/providers?limit=2", Some(BROWSER_ACCEPT)).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(
        !html.contains("<script"),
        "a script tag reached the page:\n{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; Academy"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "register&#x2f;providers?limit=2&amp;cursor={cursor}\""
        )),
        "{html}"
    );
    for private in PRIVATE
        .iter()
        .copied()
        .chain([paris_mail.as_str(), evil_mail.as_str()])
    {
        assert!(!html.contains(private), "{private:?} leaked:\n{html}");
    }

    // In a real browser, at phone width.
    let url = format!("{}/v1/register/providers", app.address);
    let dom = dump_dom(&url).await;
    for fact in [
        "Register of accredited providers",
        "Paris Python School",
        "&lt;script&gt;alert(1)&lt;/script&gt; Academy",
        "Paris, FR",
        "Authorized Education Center",
        "Authorized Trainer",
        &paris,
        &at_no,
        "name=\"viewport\"",
    ] {
        assert!(
            dom.contains(fact),
            "{fact:?} missing from the rendered page:\n{dom}"
        );
    }
    assert!(
        !dom.contains("<script"),
        "script element in the DOM:\n{dom}"
    );
    assert!(!dom.contains(&susp_no), "{dom}");
    screenshot(&url, "register").await;
}

#[tokio::test]
async fn an_accreditation_number_verifies_and_a_suspended_provider_leaves_the_register() {
    let app = spawn().await;
    let (id, number, email) = aec(&app, "Lovelace Learning", "GB", "London").await;

    // The QR code of the certificate points at the verification URL of the number.
    let a = crate::accreditation::get(&app, &id).await;
    assert_eq!(a["number"], number.as_str());
    let url = format!("{}/v1/verify/{number}", app.address);

    let (status, ct, body) =
        public(&app, &format!("/v1/verify/{}", number.to_lowercase()), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("application/json"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["accreditation_number"], number.as_str());
    assert_eq!(v["holder_name"], "Lovelace Learning");
    assert_eq!(v["accredited_as"], "Authorized Education Center");
    assert_eq!(v["status"], "active");
    assert!(
        v["valid_from"].is_string() && v["valid_until"].is_string() && v["pdf_sha256"].is_string(),
        "{v}"
    );
    assert!(
        !body.contains(&email) && !body.contains(PRIVATE[0]),
        "{body}"
    );

    let dom = dump_dom(&url).await;
    for fact in [
        "Accreditation certificate",
        number.as_str(),
        "Active",
        "Lovelace Learning",
        "Authorized Education Center",
        "Accredited as",
    ] {
        assert!(dom.contains(fact), "{fact:?} missing:\n{dom}");
    }
    screenshot(&url, "verify-accreditation").await;
    assert_eq!(numbers(&page(&app, "").await), vec![number.clone()]);

    // Suspended: gone from the register; its number verifies as suspended, with the reason.
    decide(&app, &id, "suspend", 200).await;
    assert_eq!(page(&app, "").await["data"], json!([]));
    let (_, _, html) = public(&app, "/v1/register/providers", Some(BROWSER_ACCEPT)).await;
    assert!(
        html.contains("No accredited provider matches") && !html.contains(&number),
        "{html}"
    );
    let (status, _, body) = public(&app, &format!("/v1/verify/{number}"), None).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "suspended");
    assert_eq!(v["reason"], "suspend by the committee");
    let dom = dump_dom(&url).await;
    assert!(
        dom.contains("Suspended") && dom.contains("suspend by the committee"),
        "{dom}"
    );

    // A number only applied for (no certificate issued) is unknown.
    let (cid, _) = crate::accreditation::professional(&app).await;
    let (_, _, r) = crate::accreditation::apply_at(&app, &cid).await;
    let applied = r["number"].as_str().expect("applied").to_owned();
    let (status, ct, _) = public(&app, &format!("/v1/verify/{applied}"), None).await;
    assert_eq!(status, 404);
    assert!(ct.starts_with("application/problem+json"));
}

#[tokio::test]
async fn the_register_is_rate_limited_like_verification() {
    let app = TestApp::spawn().await;
    let limit = app.ctx.settings.public_rate_limit_per_minute;
    let mut last = 0;
    for _ in 0..=limit {
        last = public(&app, "/v1/register/providers", None).await.0;
    }
    assert_eq!(last, 429);
}
