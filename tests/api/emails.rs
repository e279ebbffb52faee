//! Outgoing email (issue 11, "Delivery"): every attempt of one outbox row sends
//! the same `Message-ID`; an SMTP outage loses nothing and duplicates nothing;
//! an email that used up its attempts is `failed`, listed for admins and retried
//! by one; template previews; admin-only scoping.

use std::sync::Arc;

use accredit::integrations::mail::Mailer;
use accredit::jobs::outbox::OutboxWorker;
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{Options, TestApp};

async fn spawn() -> TestApp {
    let start: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
    TestApp::spawn_with(Options {
        clock_at: Some(start),
        ..Options::default()
    })
    .await
}

fn advance(app: &TestApp, by: Duration) {
    app.clock.as_ref().expect("manual clock").advance(by);
}

async fn emails(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/v1/emails{query}"), &app.admin_token)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

/// Queues a certificate mail whose attachment names no certification, so every
/// attempt fails.
async fn queue_broken_email(app: &TestApp, to: &str) -> String {
    use accredit::services::mails::{self, CertificateAwardedMail};
    use accredit::services::outbox::AttachmentRef;
    let (to, now) = (to.to_owned(), app.ctx.clock.now());
    app.ctx
        .db(move |c| {
            mails::send(
                c,
                &CertificateAwardedMail {
                    to,
                    attachments: vec![AttachmentRef::CertificatePdf {
                        certification_id: accredit::domain::ids::CertificationId::new(),
                    }],
                    org_name: "Foundation".into(),
                    candidate_name: "Ada".into(),
                    credential_code: "PCEP".into(),
                    credential_name: "Entry".into(),
                    certificate_number: "PCEP-2026-00000000".into(),
                    issued_on: "2026-03-02".into(),
                    expires_on: "does not expire".into(),
                    verification_url: "https://accredit.example/v1/verify/x".into(),
                },
                now,
            )
        })
        .await
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_smtp_outage_loses_nothing_and_every_mail_keeps_one_message_id() {
    let app = spawn().await;
    let (_, email, token) = app.provider("Outage Academy").await;
    let mut invoices = Vec::new();
    for _ in 0..3 {
        invoices.push(app.buy(&token, "base_text_syllabus_licence").await);
    }

    // The relay is down: every attempt fails and stays pending with a backoff.
    let down = Mailer::smtp("smtp://127.0.0.1:1").unwrap();
    let broken = OutboxWorker::new(
        app.ctx.clone(),
        Arc::new(down),
        app.ctx.email_templates.clone(),
    );
    assert!(broken.run_once().await.unwrap() >= 3);
    let pending = emails(&app, "?status=pending").await;
    let mine: Vec<&Value> = pending
        .iter()
        .filter(|e| e["to"] == email.as_str())
        .collect();
    assert_eq!(mine.len(), 3, "{pending:?}");
    for e in &mine {
        assert_eq!(e["attempts"], 1, "{e}");
        assert!(e["last_error"].as_str().unwrap_or("").len() > 3, "{e}");
        let due: DateTime<Utc> = e["next_attempt_at"].as_str().unwrap().parse().unwrap();
        let wait = due - app.ctx.clock.now();
        assert!(
            wait >= Duration::seconds(15) && wait <= Duration::seconds(30),
            "first retry 15–30 s later: {wait}"
        );
    }
    // Not due yet: nothing is attempted.
    assert_eq!(app.run_jobs().await, 0);

    // The relay is back and the backoff has passed: each mail is delivered once,
    // with the Message-ID of its outbox row.
    advance(&app, Duration::seconds(31));
    assert_eq!(app.run_jobs().await, 3);
    let delivered = app.emails_to(&email);
    assert_eq!(delivered.len(), 3);
    let listed = emails(&app, "?status=done").await;
    let mut expected: Vec<String> = listed
        .iter()
        .filter(|e| e["to"] == email.as_str())
        .map(|e| format!("<outbox-{}@accredit.example>", e["id"].as_str().unwrap()))
        .collect();
    let mut got: Vec<String> = delivered.iter().map(|m| m.message_id.clone()).collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    for e in listed.iter().filter(|e| e["to"] == email.as_str()) {
        assert_eq!(
            (e["attempts"].as_i64(), e["template"].as_str()),
            (Some(2), Some("invoice_issued"))
        );
    }
    assert_eq!(app.run_jobs().await, 0, "nothing left, nothing sent twice");
}

#[tokio::test]
async fn an_email_that_used_up_its_attempts_is_failed_until_an_admin_retries_it() {
    let app = spawn().await;
    let to = format!("broken+{}@example.org", uuid::Uuid::new_v4().simple());
    let id = queue_broken_email(&app, &to).await;
    let max = app.ctx.settings.outbox.max_attempts;
    for attempt in 1..=max {
        assert_eq!(app.run_jobs().await, 1, "attempt {attempt}");
        advance(&app, Duration::hours(7));
    }
    assert_eq!(
        app.run_jobs().await,
        0,
        "failed rows are not attempted again"
    );
    let failed = emails(&app, "?status=failed").await;
    let e = failed
        .iter()
        .find(|e| e["id"] == id.as_str())
        .expect("listed as failed");
    assert_eq!(e["attempts"], i64::from(max));
    assert!(
        e["last_error"].as_str().unwrap().contains("certification"),
        "{e}"
    );
    assert!(e["next_attempt_at"].is_null());
    assert!(emails(&app, "?status=done")
        .await
        .iter()
        .all(|e| e["id"] != id.as_str()));

    // Only an admin retries; finance, providers and unknown ids are refused.
    let path = format!("/v1/emails/{id}/retry");
    assert_eq!(
        app.post(&path, &app.finance_token, &json!(null))
            .await
            .status,
        403
    );
    let (_, _, provider) = app.provider("Curious Academy").await;
    assert_eq!(app.get("/v1/emails", &provider).await.status, 403);
    let unknown = app
        .post(
            &format!("/v1/emails/{}/retry", uuid::Uuid::now_v7()),
            &app.admin_token,
            &json!(null),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    let r = app.post(&path, &app.admin_token, &json!(null)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["status"].as_str(), r.body["attempts"].as_i64()),
        (Some("pending"), Some(0))
    );
    assert!(r.body["retried_by"].is_string() && r.body["retried_at"].is_string());
    let again = app.post(&path, &app.admin_token, &json!(null)).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(
        again.problem_type(),
        "https://accredit.example/problems/email-not-failed"
    );
    // Retried: attempted again at once (and still failing, so pending with a backoff).
    assert_eq!(app.run_jobs().await, 1);
    let e = emails(&app, "?status=pending").await;
    assert!(e
        .iter()
        .any(|e| e["id"] == id.as_str() && e["attempts"] == 1));

    let bad = app.get("/v1/emails?status=lost", &app.admin_token).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[tokio::test]
async fn an_admin_previews_every_template_in_the_shared_layout() {
    let app = spawn().await;
    let names = app.get("/v1/email-templates", &app.admin_token).await;
    assert_eq!(names.status, 200);
    let names: Vec<String> = serde_json::from_value(names.body).unwrap();
    assert!(names.contains(&"invoice_issued".to_owned()), "{names:?}");
    for name in &names {
        let r = app
            .get(
                &format!("/v1/email-templates/{name}/preview"),
                &app.admin_token,
            )
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        let html = r.body["html"].as_str().unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("role=\"presentation\""));
        assert!(!r.body["subject"].as_str().unwrap().is_empty());
        assert!(r.body["sample"].is_object());
    }
    let r = app
        .get(
            "/v1/email-templates/invoice_issued/preview",
            &app.admin_token,
        )
        .await;
    assert!(
        r.body["text"].as_str().unwrap().contains("INV-2025-000042"),
        "{}",
        r.body
    );

    let unknown = app
        .get("/v1/email-templates/nope/preview", &app.admin_token)
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.problem_type(),
        "https://accredit.example/problems/not-found"
    );
    let r = app
        .request(
            Method::GET,
            "/v1/email-templates",
            Some(&app.finance_token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 403);
}
