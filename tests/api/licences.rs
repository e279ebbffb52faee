use chrono::{TimeZone, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{run_tool, today, Options, TestApp};

pub const LICENCE: &str = "base_text_syllabus_licence";

#[tokio::test]
async fn full_sale_with_manual_payment() {
    let app = TestApp::spawn().await;
    let (pid, email, token) = app.provider("Zoë Łukasiewicz Training GmbH").await;

    // Purchase: licence pending payment, invoice issued, bank instructions.
    let order = app.buy(&token, LICENCE).await;
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["product_code"], LICENCE);
    assert_eq!(order["provider_id"], pid.as_str());
    assert_eq!(order["payment"]["method"], "bank_transfer");
    assert_eq!(
        order["payment"]["amount_due"],
        json!({"amount_minor": 250000, "currency": "USD"})
    );
    let invoice_id = order["invoice_id"].as_str().unwrap().to_owned();
    let licence_id = order["id"].as_str().unwrap().to_owned();
    let year = Utc::now().format("%Y").to_string();

    let inv = app.get(&format!("/v1/invoices/{invoice_id}"), &token).await;
    assert_eq!(inv.status, 200);
    assert_eq!(inv.body["number"], format!("ACC-{year}-000001"));
    assert_eq!(inv.body["status"], "open");
    // The invoice records what it is for: the licence's first term.
    assert_eq!(inv.body["subject"]["kind"], "licence_term");
    let licence = app.get(&format!("/v1/licences/{licence_id}"), &token).await;
    assert!(
        licence
            .body
            .to_string()
            .contains(inv.body["subject"]["id"].as_str().unwrap()),
        "the subject names a term of this licence: {}",
        licence.body
    );
    assert_eq!(
        inv.body["total"],
        json!({"amount_minor": 250000, "currency": "USD"})
    );
    assert_eq!(inv.body["lines"][0]["product_code"], LICENCE);
    assert_eq!(inv.body["lines"][0]["quantity"], 1);
    assert_eq!(inv.body["lines"][0]["unit_price"]["amount_minor"], 250000);
    assert_eq!(inv.body["buyer"]["name"], "Zoë Łukasiewicz Training GmbH");
    assert_eq!(inv.body["issued_on"], today());

    // Ledger: receivable against deferred revenue.
    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "receivables"), 250_000);
    assert_eq!(
        TestApp::account_balance(&tb, "deferred_revenue:course_licences"),
        -250_000
    );

    // "Invoice issued" mail with the PDF attached, byte-identical to GET .../pdf.
    assert_eq!(app.run_jobs().await, 1);
    let pdf = app
        .get(&format!("/v1/invoices/{invoice_id}/pdf"), &token)
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let mails = app.emails_to(&email);
    assert_eq!(mails.len(), 1, "one invoice mail");
    assert!(
        mails[0].subject.contains(&format!("ACC-{year}-000001")),
        "{}",
        mails[0].subject
    );
    assert!(
        !mails[0].text.is_empty() && !mails[0].html.is_empty(),
        "multipart text + html"
    );
    assert_eq!(mails[0].attachments.len(), 1);
    assert_eq!(mails[0].attachments[0].1, "application/pdf");
    assert_eq!(
        mails[0].attachments[0].2, pdf.bytes,
        "attachment equals the archived PDF"
    );

    // Finance records the bank transfer.
    let paid = app.pay_by_bank(&invoice_id, &today()).await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(paid.body["invoice_status"], "paid");
    let inv = app
        .get(&format!("/v1/invoices/{invoice_id}"), &app.finance_token)
        .await;
    assert_eq!(inv.body["status"], "paid");
    assert_eq!(inv.body["amount_due"]["amount_minor"], 0);

    let lic = app.get(&format!("/v1/licences/{licence_id}"), &token).await;
    assert_eq!(lic.body["status"], "active");
    let starts =
        chrono::NaiveDate::parse_from_str(lic.body["starts_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let expires =
        chrono::NaiveDate::parse_from_str(lic.body["expires_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    assert_eq!(starts.to_string(), today());
    assert_eq!(
        expires,
        starts.checked_add_months(chrono::Months::new(12)).unwrap()
    );

    let tb = app.assert_ledger_balanced().await;
    assert_eq!(TestApp::account_balance(&tb, "receivables"), 0);
    assert_eq!(TestApp::account_balance(&tb, "cash:bank"), 250_000);

    // "Licence active" receipt.
    assert_eq!(app.run_jobs().await, 1);
    let mails = app.emails_to(&email);
    assert_eq!(mails.len(), 2);
    assert!(
        mails.iter().any(|m| m.text.contains(&expires.to_string())),
        "receipt names the expiry"
    );

    // The PDF is archived: every read returns the same bytes.
    let again = app
        .get(&format!("/v1/invoices/{invoice_id}/pdf"), &app.admin_token)
        .await;
    assert_eq!(again.bytes, pdf.bytes);

    // A second payment on a paid invoice is refused and changes nothing.
    let r = app.pay_by_bank(&invoice_id, &today()).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/invoice-not-open"
    );
    let tb2 = app.assert_ledger_balanced().await;
    assert_eq!(tb, tb2);
}

#[tokio::test]
async fn invoice_pdf_is_a_real_invoice() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Zoë Łukasiewicz Training GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let pdf = app
        .get(
            &format!("/v1/invoices/{}/pdf", order["invoice_id"].as_str().unwrap()),
            &token,
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, &pdf.bytes).unwrap();
    let p = path.to_str().unwrap();
    let (ok, text) = run_tool("pdftotext", &["-layout", p, "-"]);
    assert!(ok, "{text}");
    assert!(text.contains("Zoë Łukasiewicz Training GmbH"), "{text}");
    assert!(
        text.contains(&format!("ACC-{}-000001", Utc::now().format("%Y"))),
        "{text}"
    );
    assert!(text.contains("US$2,500.00"), "{text}");
    let (ok, out) = run_tool("qpdf", &["--check", p]);
    assert!(ok, "qpdf --check: {out}");
    let (ok, fonts) = run_tool("pdffonts", &[p]);
    assert!(ok);
    let embedded: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!embedded.is_empty());
    for line in embedded {
        let name = line.split_whitespace().next().unwrap();
        assert!(
            name.len() > 7 && name.as_bytes()[6] == b'+',
            "font not subset: {line}"
        );
    }
}

#[tokio::test]
async fn purchases_are_idempotent_per_caller_and_key() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Idem GmbH").await;
    let body = json!({"product_code": LICENCE});
    let first = app
        .request(
            Method::POST,
            "/v1/licences",
            Some(&token),
            Some("key-1"),
            Some(&body),
        )
        .await;
    assert_eq!(first.status, 201);
    let again = app
        .request(
            Method::POST,
            "/v1/licences",
            Some(&token),
            Some("key-1"),
            Some(&body),
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "same key + body → same response");
    let other = app
        .request(
            Method::POST,
            "/v1/licences",
            Some(&token),
            Some("key-1"),
            Some(&json!({"product_code": "exam_materials_licence"})),
        )
        .await;
    assert_eq!(other.status, 422);
    assert_eq!(
        other.problem_type(),
        "https://accredit.example/problems/idempotency-key-reused"
    );
    let list = app.get("/v1/licences", &token).await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        1,
        "nothing new was created"
    );
    let invoices = app.get("/v1/invoices", &app.finance_token).await;
    assert_eq!(invoices.body["data"].as_array().unwrap().len(), 1);

    // Keys are scoped to the caller: another provider's "key-1" is its own.
    let (_, _, token_b) = app.provider("Other GmbH").await;
    let b = app
        .request(
            Method::POST,
            "/v1/licences",
            Some(&token_b),
            Some("key-1"),
            Some(&body),
        )
        .await;
    assert_eq!(b.status, 201);
    assert_ne!(b.body["id"], first.body["id"]);
}

#[tokio::test]
async fn bad_purchases_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (pid, _, token) = app.provider("Refused GmbH").await;
    let r = app
        .post(
            "/v1/licences",
            &token,
            &json!({"product_code": "no_such_thing"}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/unknown-product"
    );
    let r = app
        .post(
            "/v1/licences",
            &token,
            &json!({"product_code": "exam_pcep"}),
        )
        .await;
    assert_eq!(
        r.problem_type(),
        "https://accredit.example/problems/unknown-product",
        "an exam fee is not a licence"
    );
    let r = app
        .post(
            "/v1/licences",
            &token,
            &json!({"product_code": LICENCE, "seats": 0}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .post(
            "/v1/licences",
            &token,
            &json!({"product_code": LICENCE, "colour": 1}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = app
        .post(
            "/v1/licences",
            &app.admin_token,
            &json!({"product_code": LICENCE}),
        )
        .await;
    assert_eq!(r.status, 422, "admin must name the provider");
    let (other, _, _) = app.provider("Someone Else").await;
    let r = app
        .post(
            "/v1/licences",
            &token,
            &json!({"product_code": LICENCE, "provider_id": other}),
        )
        .await;
    assert_eq!(r.status, 404, "a provider cannot buy for another");
    assert_eq!(
        app.get("/v1/invoices", &app.finance_token).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/v1/licences", &app.admin_token).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // An admin buying on behalf of the provider works, with seats for an AEC.
    let r = app
        .post(
            "/v1/licences",
            &app.admin_token,
            &json!({"product_code": LICENCE, "provider_id": pid, "seats": 3}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["payment"]["amount_due"]["amount_minor"], 750_000);
}

#[tokio::test]
async fn providers_cannot_see_each_others_licences_invoices_or_pdfs() {
    let app = TestApp::spawn().await;
    let (_, _, token_a) = app.provider("A Training").await;
    let (_, _, token_b) = app.provider("B Training").await;
    let order = app.buy(&token_a, LICENCE).await;
    let (lic, inv) = (
        order["id"].as_str().unwrap(),
        order["invoice_id"].as_str().unwrap(),
    );
    for path in [
        format!("/v1/licences/{lic}"),
        format!("/v1/invoices/{inv}"),
        format!("/v1/invoices/{inv}/pdf"),
        format!("/v1/invoices/{inv}/payments"),
    ] {
        assert_eq!(app.get(&path, &token_a).await.status, 200, "{path}");
        let r = app.get(&path, &token_b).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(
            r.problem_type(),
            "https://accredit.example/problems/not-found"
        );
    }
    let r = app
        .post(
            &format!("/v1/licences/{lic}/renewals"),
            &token_b,
            &json!(null),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.get("/v1/licences", &token_b).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        app.get("/v1/invoices", &token_b).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A provider cannot record payments.
    let r = app
        .post(
            &format!("/v1/invoices/{inv}/payments"),
            &token_a,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn manual_payments_are_validated() {
    let app = TestApp::spawn().await;
    let (_, _, token) = app.provider("Pay GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let inv = order["invoice_id"].as_str().unwrap();
    let path = format!("/v1/invoices/{inv}/payments");
    let pay = |amount: Value, date: &str| json!({"amount": amount, "method": "bank_transfer", "reference": "R", "received_on": date});
    let r = app
        .post(
            &path,
            &app.finance_token,
            &pay(json!({"amount_minor": 250001, "currency": "USD"}), &today()),
        )
        .await;
    assert_eq!(r.status, 422, "overpayment");
    let r = app
        .post(
            &path,
            &app.finance_token,
            &pay(json!({"amount_minor": 250000, "currency": "EUR"}), &today()),
        )
        .await;
    assert_eq!(r.status, 422, "currency");
    let r = app
        .post(
            &path,
            &app.finance_token,
            &pay(json!({"amount_minor": 250000, "currency": "XYZ"}), &today()),
        )
        .await;
    assert_eq!(r.status, 400, "unknown currency");
    let r = app
        .post(
            &path,
            &app.finance_token,
            &pay(
                json!({"amount_minor": 250000, "currency": "USD"}),
                "2999-01-01",
            ),
        )
        .await;
    assert_eq!(r.status, 422, "future date");
    // A partial payment leaves the invoice open; the rest pays it.
    let r = app
        .post(
            &path,
            &app.finance_token,
            &pay(json!({"amount_minor": 100000, "currency": "USD"}), &today()),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["invoice_status"], "open");
    let lic = app
        .get(
            &format!("/v1/licences/{}", order["id"].as_str().unwrap()),
            &token,
        )
        .await;
    assert_eq!(lic.body["status"], "pending_payment");
    let r = app
        .post(
            &path,
            &app.finance_token,
            &pay(json!({"amount_minor": 150000, "currency": "USD"}), &today()),
        )
        .await;
    assert_eq!(r.body["invoice_status"], "paid");
    app.assert_ledger_balanced().await;
}

#[tokio::test]
async fn renewal_extends_from_the_old_expiry_or_from_payment_after_lapse() {
    let start = Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap();
    let app = TestApp::spawn_with(Options {
        clock_at: Some(start),
        ..Default::default()
    })
    .await;
    let clock = app.clock.clone().unwrap();
    let (_, _, token) = app.provider("Renew GmbH").await;
    let order = app.buy(&token, LICENCE).await;
    let id = order["id"].as_str().unwrap().to_owned();
    app.pay_by_bank(order["invoice_id"].as_str().unwrap(), "2026-03-10")
        .await;
    let lic = app.get(&format!("/v1/licences/{id}"), &token).await;
    assert_eq!(lic.body["expires_on"], "2027-03-10");

    // Renewing is refused while a term awaits payment.
    clock.set(Utc.with_ymd_and_hms(2027, 2, 1, 9, 0, 0).unwrap());
    let r = app
        .post(&format!("/v1/licences/{id}/renewals"), &token, &json!(null))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "active");
    let renewal_invoice = r.body["payment"]["invoice_number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        renewal_invoice, "ACC-2027-000001",
        "numbers restart each year"
    );
    let r2 = app
        .post(&format!("/v1/licences/{id}/renewals"), &token, &json!(null))
        .await;
    assert_eq!(r2.status, 409);
    assert_eq!(
        r2.problem_type(),
        "https://accredit.example/problems/term-awaiting-payment"
    );

    // Paid before expiry: continues from the old expiry.
    let inv_id = r.body["invoice_id"].as_str().unwrap().to_owned();
    app.pay_by_bank(&inv_id, "2027-02-01").await;
    let lic = app.get(&format!("/v1/licences/{id}"), &token).await;
    assert_eq!(lic.body["expires_on"], "2028-03-10");
    assert_eq!(lic.body["terms"].as_array().unwrap().len(), 2);

    // Lapsed (past the 30-day grace): the next term starts on the payment date.
    clock.set(Utc.with_ymd_and_hms(2028, 6, 1, 9, 0, 0).unwrap());
    let lic = app.get(&format!("/v1/licences/{id}"), &token).await;
    assert_eq!(lic.body["status"], "lapsed");
    let lapsed = app
        .get("/v1/licences?status=lapsed", &app.finance_token)
        .await;
    assert_eq!(lapsed.body["data"].as_array().unwrap().len(), 1);
    let active = app
        .get("/v1/licences?status=active", &app.finance_token)
        .await;
    assert_eq!(active.body["data"].as_array().unwrap().len(), 0);
    let r = app
        .post(&format!("/v1/licences/{id}/renewals"), &token, &json!(null))
        .await;
    app.pay_by_bank(r.body["invoice_id"].as_str().unwrap(), "2028-06-01")
        .await;
    let lic = app.get(&format!("/v1/licences/{id}"), &token).await;
    assert_eq!(lic.body["status"], "active");
    assert_eq!(lic.body["expires_on"], "2029-06-01");
    let soon = app
        .get("/v1/licences?expires_before=2029-07-01", &app.finance_token)
        .await;
    assert_eq!(soon.body["data"].as_array().unwrap().len(), 1);
    let none = app
        .get("/v1/licences?expires_before=2029-05-01", &app.finance_token)
        .await;
    assert_eq!(none.body["data"].as_array().unwrap().len(), 0);
    app.assert_ledger_balanced().await;
}
