//! Pages a person opens, checked in a real browser: headless Chromium (Debian
//! `chromium`, installed by scripts/test.sh) loads the verification page and the
//! hosted invoice page from the live test server; the tests assert on the
//! rendered DOM (`--dump-dom`) and save a 375 × 812 screenshot under
//! `target/screenshots/`. Content negotiation of `GET /v1/verify/{number}` is
//! checked with reqwest.

use std::path::PathBuf;

use chrono::{Duration, TimeZone, Utc};
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY};
use serde_json::json;

use crate::exams::candidate;
use crate::helpers::{backend, Options, TestApp};
use crate::licences::LICENCE;

/// What a browser sends when it navigates.
pub const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// The Chromium executable; a missing browser fails the test, never skips it.
fn chromium() -> PathBuf {
    let name = std::env::var("ACCREDIT_TEST_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(&name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "`{name}` (Debian package chromium) is not installed: these tests load the pages \
             in a real browser. Run the suite with scripts/test.sh, which installs it, or \
             `apt-get install chromium`."
        )
    })
}

/// Runs headless Chromium on `url` with `args` and returns its stdout.
async fn run_chromium(url: &str, args: Vec<String>) -> String {
    let exe = chromium();
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().expect("profile dir");
        let out = std::process::Command::new(&exe)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(&args)
            .arg(&url)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
        assert!(
            out.status.success(),
            "chromium failed on {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
    .await
    .expect("chromium task")
}

/// The DOM Chromium built from `url`, serialised.
pub async fn dump_dom(url: &str) -> String {
    run_chromium(url, vec!["--dump-dom".into()]).await
}

/// Saves a phone-sized screenshot of `url` as `target/screenshots/<name>-<backend>.png`
/// and checks it is a 375 px wide PNG.
pub async fn screenshot(url: &str, name: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    let path = dir.join(format!("{name}-{}.png", backend()));
    let _ = std::fs::remove_file(&path);
    run_chromium(
        url,
        vec![
            format!("--screenshot={}", path.display()),
            "--window-size=375,812".into(),
        ],
    )
    .await;
    let png = std::fs::read(&path).unwrap_or_else(|e| panic!("no screenshot at {path:?}: {e}"));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, 375, "screenshot width");
    path
}

#[tokio::test]
async fn verify_answers_html_to_a_browser_and_json_to_clients_with_the_same_facts() {
    let app = TestApp::spawn().await;
    let evil = "<script>alert(1)</script>";
    let (cid, email, _) = candidate(&app, evil, "Łukasiewicz").await;
    let r = app
        .post(
            "/v1/certifications",
            &app.admin_token,
            &json!({"candidate_id": cid, "credential_code": "PCEP", "basis": "bootstrap_review", "case": "review 7"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let number = r.body["certificate_number"].as_str().unwrap().to_owned();
    let url = format!("{}/v1/verify/{number}", app.address);

    // API clients: JSON by default, for `*/*`, and when JSON is preferred.
    for accept in [None, Some("*/*"), Some("application/json, text/html;q=0.5")] {
        let mut rb = app.http.get(&url);
        if let Some(a) = accept {
            rb = rb.header(ACCEPT, a);
        }
        let r = rb.send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        assert_eq!(r.headers()[VARY], "Accept");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["holder_name"], format!("{evil} Łukasiewicz"));
        assert_eq!(v["status"], "valid");
    }

    // A browser: the same facts as a page, escaped, without script.
    let r = app
        .http
        .get(&url)
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = r.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("<script"),
        "a script tag reached the page:\n{html}"
    );

    let dom = dump_dom(&url).await;
    for fact in [
        number.as_str(),
        "Valid",
        "PCEP",
        "Python Certification Foundation",
        "&lt;script&gt;alert(1)&lt;/script&gt; Łukasiewicz",
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
    for private in [email.as_str(), cid.as_str(), "review 7"] {
        assert!(!dom.contains(private), "{private:?} is private:\n{dom}");
    }
    screenshot(&url, "verify").await;

    // Unknown numbers: a friendly 404 page to a browser, problem+json otherwise.
    let unknown = format!("{}/v1/verify/NO-SUCH-1", app.address);
    let r = app
        .http
        .get(&unknown)
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let r = app.http.get(&unknown).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    let dom = dump_dom(&unknown).await;
    assert!(dom.contains("We have no record of this number"), "{dom}");
}

/// The link after "View the invoice online" in the plain-text invoice mail.
fn link_in_mail(text: &str) -> String {
    let after = text
        .split("View the invoice online:")
        .nth(1)
        .unwrap_or_else(|| panic!("no invoice link in:\n{text}"));
    after.split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn the_hosted_invoice_page_shows_the_invoice_and_refuses_tampered_and_expired_links() {
    let start = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap();
    let app = TestApp::spawn_with(Options {
        clock_at: Some(start),
        ..Default::default()
    })
    .await;
    let clock = app.clock.clone().unwrap();
    let (pid, email, token) = app.provider("Hosted <b>Page</b> GmbH").await;
    let bought = app.buy(&token, LICENCE).await;
    let invoice_id = bought["invoice_id"].as_str().unwrap().to_owned();
    app.run_jobs().await;
    let mails = app.emails_to(&email);
    let mail = mails
        .iter()
        .find(|m| m.subject.starts_with("Invoice"))
        .expect("invoice mail");
    let link = link_in_mail(&mail.text);
    assert!(
        link.starts_with(&format!("{}/i/{invoice_id}?exp=", app.address)),
        "{link}"
    );
    assert!(mail.html.contains("View the invoice online"));
    // (minijinja escapes `/` and `&` in the attribute; the browser decodes them.)
    let link_sig = link.split("sig=").nth(1).unwrap();
    assert!(mail.html.contains(link_sig), "{}", mail.html);

    // The API exposes the same link to finance and to the owner; never the /v1 route.
    let inv = app
        .get(&format!("/v1/invoices/{invoice_id}"), &app.finance_token)
        .await;
    assert_eq!(inv.body["hosted_invoice_url"], link.as_str());
    let own = app.get(&format!("/v1/invoices/{invoice_id}"), &token).await;
    assert_eq!(own.body["hosted_invoice_url"], link.as_str());
    let listed = app.get("/v1/invoices", &app.finance_token).await;
    assert_eq!(listed.body["data"][0]["hosted_invoice_url"], link.as_str());
    let number = inv.body["number"].as_str().unwrap().to_owned();

    // A person opens it: no login, the invoice and how to pay it.
    let r = app.http.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    let dom = dump_dom(&link).await;
    let amount_due = inv.body["amount_due"]["amount_minor"].as_i64().unwrap();
    assert!(amount_due > 0);
    for fact in [
        number.as_str(),
        "Open, awaiting payment",
        "Hosted &lt;b&gt;Page&lt;/b&gt; GmbH",
        "Unter den Linden 5",
        "IBAN: US00 0000 0000 0000 0000 00",
        "Download the PDF",
        inv.body["lines"][0]["description"].as_str().unwrap(),
    ] {
        assert!(
            dom.contains(fact),
            "{fact:?} missing from the rendered page:\n{dom}"
        );
    }
    assert!(!dom.contains("<script"), "{dom}");
    assert!(
        !dom.contains("<b>Page"),
        "the buyer name was not escaped:\n{dom}"
    );
    for private in [
        email.as_str(),
        pid.as_str(),
        "DE123456789",
        inv.body["pdf_sha256"].as_str().unwrap(),
    ] {
        assert!(!dom.contains(private), "{private:?} is private:\n{dom}");
    }
    screenshot(&link, "hosted-invoice").await;

    // The PDF through the same signature: the archived bytes.
    let pdf_link = link.replacen("?", "/pdf?", 1);
    assert!(
        dom.contains(&pdf_link[app.address.len()..].replace('&', "&amp;")),
        "{dom}"
    );
    let r = app.http.get(&pdf_link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    let archived = app
        .get(
            &format!("/v1/invoices/{invoice_id}/pdf"),
            &app.finance_token,
        )
        .await;
    assert_eq!(bytes.to_vec(), archived.bytes);

    // Tampered: another signature, another id with this signature, another expiry.
    let (base, query) = link.split_once('?').unwrap();
    let sig = query.split("sig=").nth(1).unwrap();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('A') { "B" } else { "A" },
        &sig[1..]
    );
    let other = app.buy(&token, LICENCE).await["invoice_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let exp: i64 = query.split('&').next().unwrap()[4..].parse().unwrap();
    for bad in [
        link.replace(sig, &flipped),
        link.replace(&invoice_id, &other),
        link.replace(&format!("exp={exp}"), &format!("exp={}", exp + 86_400)),
        base.to_owned(),
        pdf_link.replace(sig, &flipped),
    ] {
        let r = app.http.get(&bad).send().await.unwrap();
        assert_eq!(r.status(), 403, "{bad}");
        assert!(r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    let tampered = link.replace(sig, &flipped);
    let dom = dump_dom(&tampered).await;
    assert!(dom.contains("This link is not valid"), "{dom}");
    assert!(
        !dom.contains(&number),
        "a tampered link showed the invoice:\n{dom}"
    );
    screenshot(&tampered, "hosted-invoice-tampered").await;

    // Paid: the page says so. Expired: 410 with a friendly page, PDF too.
    let r = app.pay_by_bank(&invoice_id, "2026-11-22").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let dom = dump_dom(&link).await;
    assert!(dom.contains("Paid") && !dom.contains("How to pay"), "{dom}");
    clock.advance(Duration::days(91));
    for expired in [&link, &pdf_link] {
        let r = app.http.get(expired.as_str()).send().await.unwrap();
        assert_eq!(r.status(), 410, "{expired}");
    }
    let dom = dump_dom(&link).await;
    assert!(dom.contains("This link has expired"), "{dom}");
    assert!(!dom.contains(&number), "{dom}");
    screenshot(&link, "hosted-invoice-expired").await;
    // A fresh read of the invoice mints a link valid again.
    let fresh = app
        .get(&format!("/v1/invoices/{invoice_id}"), &app.finance_token)
        .await;
    let fresh = fresh.body["hosted_invoice_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(fresh, link);
    assert_eq!(app.http.get(&fresh).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_hosted_page_says_card_payment_is_available_when_stripe_holds_a_payment_intent() {
    let app = TestApp::spawn_with(Options {
        stripe: true,
        ..Default::default()
    })
    .await;
    let (_, _, token) = app.provider("Card GmbH").await;
    let bought = app.buy(&token, LICENCE).await;
    assert!(
        bought["payment"]["payment_intent_id"].is_string(),
        "{bought}"
    );
    let invoice_id = bought["invoice_id"].as_str().unwrap();
    let inv = app.get(&format!("/v1/invoices/{invoice_id}"), &token).await;
    let link = inv.body["hosted_invoice_url"].as_str().unwrap();
    let html = app
        .http
        .get(link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Card payment is available"), "{html}");
    assert!(html.contains("IBAN"), "{html}");
}
