//! `TestApp`: one application per test on port 0 with its own database (a SQLite
//! file, or a fresh PostgreSQL database dropped afterwards), chosen by
//! `ACCREDIT_TEST_DATABASE` (`sqlite` default, or `postgres` with
//! `ACCREDIT_TEST_POSTGRES_URL`). Mail goes to the SMTP sink named by
//! `ACCREDIT_TEST_SMTP_URL` / `ACCREDIT_TEST_MAILDIR` when set, else to `.eml` files;
//! Stripe tests use localstripe at `ACCREDIT_TEST_STRIPE_API_BASE`.
//! `scripts/test.sh` starts all of these.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use accredit::config::Settings;
use accredit::domain::clock::{Clock, ManualClock, SystemClock};
use accredit::domain::role::Role;
use accredit::services::AppContext;
use accredit::startup::Application;
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

/// Which database the suite runs on.
pub fn backend() -> String {
    std::env::var("ACCREDIT_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

/// A required test environment variable; panics with how to get it.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the suite with scripts/test.sh, which starts the test services"
        )
    })
}

/// A PostgreSQL database created for one test and dropped with it.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Options for [`TestApp::spawn_with`].
#[derive(Default)]
pub struct Options {
    /// Configure Stripe against localstripe.
    pub stripe: bool,
    /// Start the business clock here (manual clock); default: the system clock.
    pub clock_at: Option<DateTime<Utc>>,
}

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub ctx: AppContext,
    pub worker: accredit::jobs::outbox::OutboxWorker,
    pub clock: Option<ManualClock>,
    pub data_dir: tempfile::TempDir,
    pub webhook_secret: String,
    pub admin_token: String,
    pub finance_token: String,
    _pg: Option<PgDatabase>,
}

/// A response, its status and body.
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(opts: Options) -> TestApp {
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "warn");
        }
        accredit::telemetry::init();
        let data_dir = tempfile::tempdir().expect("tempdir");
        let defaults = Settings::default();
        let mut settings = Settings {
            data_dir: data_dir.path().to_path_buf(),
            bind: "127.0.0.1:0".into(),
            database_pool_size: 8,
            outbox: accredit::config::OutboxSettings {
                run_worker: false,
                ..defaults.outbox.clone()
            },
            ..defaults
        };
        let pg = if backend() == "postgres" {
            let admin_url = env("ACCREDIT_TEST_POSTGRES_URL");
            let name = format!("accredit_test_{}", uuid::Uuid::new_v4().simple());
            let mut c =
                diesel::PgConnection::establish(&admin_url).expect("connect to test PostgreSQL");
            c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin_url.clone());
            settings.database_url = Some(format!("{base}/{name}"));
            settings.database_pool_size = 30;
            Some(PgDatabase { admin_url, name })
        } else {
            None
        };
        if let Ok(smtp) = std::env::var("ACCREDIT_TEST_SMTP_URL") {
            settings.smtp_url = Some(SecretString::from(smtp));
        }
        let webhook_secret = format!("whsec_test_{}", uuid::Uuid::new_v4().simple());
        if opts.stripe {
            settings.stripe_secret_key =
                Some(SecretString::from(env("ACCREDIT_TEST_STRIPE_SECRET_KEY")));
            settings.stripe_api_base = Some(env("ACCREDIT_TEST_STRIPE_API_BASE"));
            settings.stripe_webhook_secret = Some(SecretString::from(webhook_secret.clone()));
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        settings.public_base_url = format!("http://127.0.0.1:{port}");
        let manual = opts.clock_at.map(ManualClock::new);
        let clock: Arc<dyn Clock> = match &manual {
            Some(m) => Arc::new(m.clone()),
            None => Arc::new(SystemClock),
        };
        let app = Application::build_with_listener(settings, clock, listener).expect("build app");
        let ctx = app.context();
        let worker = app.worker();
        tokio::spawn(app.run_until_stopped());
        let mut t = TestApp {
            address: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            ctx,
            worker,
            clock: manual,
            data_dir,
            webhook_secret,
            admin_token: String::new(),
            finance_token: String::new(),
            _pg: pg,
        };
        t.admin_token = t.staff_token(Role::Admin).await;
        t.finance_token = t.staff_token(Role::Finance).await;
        t
    }

    /// Creates staff credentials directly (as the CLI does) and exchanges them.
    pub async fn staff_token(&self, role: Role) -> String {
        let now = self.ctx.clock.now();
        let creds = self
            .ctx
            .db(move |c| {
                accredit::services::parties::clients::create(
                    c,
                    role,
                    accredit::services::parties::clients::ClientOwner::Staff,
                    "test",
                    now,
                )
            })
            .await
            .expect("create client");
        self.token(&creds.client_id, &creds.client_secret).await
    }

    /// `POST /v1/auth/token` with client credentials; the raw response.
    pub async fn token_response(&self, id: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/auth/token", self.address))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn token(&self, id: &str, secret: &str) -> String {
        let r = self.token_response(id, secret).await;
        assert_eq!(r.status(), 200, "token endpoint");
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut rb = self
            .http
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(k) = key {
            rb = rb.header("Idempotency-Key", k);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let r = rb.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None, None)
            .await
    }

    /// POST with a fresh idempotency key.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        let key = uuid::Uuid::new_v4().to_string();
        self.request(Method::POST, path, Some(token), Some(&key), Some(body))
            .await
    }

    /// Registers a provider (admin) and returns its id.
    pub async fn create_provider(&self, legal_name: &str, kind: &str) -> (String, String) {
        let email = format!("billing+{}@example.org", uuid::Uuid::new_v4().simple());
        let r = self
            .post(
                "/v1/providers",
                &self.admin_token,
                &json!({
                    "kind": kind, "legal_name": legal_name, "email": email, "country": "DE",
                    "billing_address": {"line1": "Unter den Linden 5", "city": "Berlin", "postal_code": "10117"},
                    "tax_id": "DE123456789"
                }),
            )
            .await;
        assert_eq!(r.status, 201, "create provider: {}", r.body);
        (r.body["id"].as_str().unwrap().to_owned(), email)
    }

    /// A provider-role token for `provider_id`, through the API.
    pub async fn provider_token(&self, provider_id: &str) -> String {
        let r = self
            .post(
                &format!("/v1/providers/{provider_id}/clients"),
                &self.admin_token,
                &json!({"name": "shop"}),
            )
            .await;
        assert_eq!(r.status, 201, "create client: {}", r.body);
        self.token(
            r.body["client_id"].as_str().unwrap(),
            r.body["client_secret"].as_str().unwrap(),
        )
        .await
    }

    /// A provider with its token: an education centre admitted by bootstrap review,
    /// so its accreditation is in force (licences and referrals need one).
    pub async fn provider(&self, legal_name: &str) -> (String, String, String) {
        let (id, email) = self.create_provider(legal_name, "education_center").await;
        self.admit(&id, "education_center").await;
        let token = self.provider_token(&id).await;
        (id, email, token)
    }

    /// Admits provider `id` of `kind` by bootstrap review (admin): its accreditation
    /// is in force at once, with no fee and no email. Returns the accreditation.
    pub async fn admit(&self, id: &str, kind: &str) -> Value {
        let mut body = json!({
            "kind": kind, "provider_id": id, "statement": "Founding provider",
            "basis": "bootstrap_review", "case": "Admitted by the oversight committee's formal review"
        });
        if kind == "education_center" {
            body["facility"] = json!({"address": "Unter den Linden 5, 10117 Berlin", "capacity": 20,
                "attestation": "We run a staffed training facility."});
        }
        let r = self
            .post("/v1/accreditations", &self.admin_token, &body)
            .await;
        assert_eq!(r.status, 201, "bootstrap admission: {}", r.body);
        r.body
    }

    /// Buys a licence as the provider; returns the response body.
    pub async fn buy(&self, token: &str, product: &str) -> Value {
        let r = self
            .post("/v1/licences", token, &json!({"product_code": product}))
            .await;
        assert_eq!(r.status, 201, "purchase: {}", r.body);
        r.body
    }

    /// Records a bank transfer of the full amount due.
    pub async fn pay_by_bank(&self, invoice_id: &str, received_on: &str) -> Resp {
        let inv = self
            .get(&format!("/v1/invoices/{invoice_id}"), &self.finance_token)
            .await;
        self.post(
            &format!("/v1/invoices/{invoice_id}/payments"),
            &self.finance_token,
            &json!({"amount": inv.body["amount_due"], "method": "bank_transfer", "reference": "BANK-REF-1", "received_on": received_on}),
        )
        .await
    }

    /// Performs every due outbox job (emails).
    pub async fn run_jobs(&self) -> usize {
        self.worker.run_once().await.expect("outbox")
    }

    /// Every message delivered to `to`, from the SMTP sink's Maildir or the
    /// `.eml` directory, parsed.
    pub fn emails_to(&self, to: &str) -> Vec<Email> {
        let dirs: Vec<PathBuf> = match std::env::var("ACCREDIT_TEST_MAILDIR") {
            Ok(d) => vec![Path::new(&d).join("new"), Path::new(&d).join("cur")],
            Err(_) => vec![self.data_dir.path().join("mail")],
        };
        let mut out = Vec::new();
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let raw = std::fs::read(e.path()).unwrap_or_default();
                if let Some(mail) = Email::parse(&raw) {
                    if mail.to.contains(to) {
                        out.push(mail);
                    }
                }
            }
        }
        out
    }

    /// The trial balance; asserts it is balanced.
    pub async fn assert_ledger_balanced(&self) -> Value {
        let r = self
            .get("/v1/ledger/trial-balance", &self.finance_token)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["balanced"], true, "ledger unbalanced: {}", r.body);
        r.body
    }

    pub fn account_balance(tb: &Value, account: &str) -> i64 {
        tb["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["account"] == account)
            .map(|a| a["balance_minor"].as_i64().unwrap())
            .sum()
    }
}

/// A parsed email.
pub struct Email {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

impl Email {
    fn parse(raw: &[u8]) -> Option<Email> {
        use mailparse::MailHeaderMap;
        let m = mailparse::parse_mail(raw).ok()?;
        let mut e = Email {
            message_id: m.headers.get_first_value("Message-ID").unwrap_or_default(),
            to: m.headers.get_first_value("To").unwrap_or_default(),
            subject: m.headers.get_first_value("Subject").unwrap_or_default(),
            text: String::new(),
            html: String::new(),
            attachments: vec![],
        };
        fn walk(p: &mailparse::ParsedMail, e: &mut Email) {
            let disp = p.get_content_disposition();
            if disp.disposition == mailparse::DispositionType::Attachment {
                let name = disp.params.get("filename").cloned().unwrap_or_default();
                e.attachments.push((
                    name,
                    p.ctype.mimetype.clone(),
                    p.get_body_raw().unwrap_or_default(),
                ));
            } else if p.subparts.is_empty() {
                match p.ctype.mimetype.as_str() {
                    "text/plain" => e.text = p.get_body().unwrap_or_default(),
                    "text/html" => e.html = p.get_body().unwrap_or_default(),
                    _ => {}
                }
            }
            for s in &p.subparts {
                walk(s, e);
            }
        }
        walk(&m, &mut e);
        Some(e)
    }
}

/// Runs a command and returns (success, stdout+stderr).
pub fn run_tool(cmd: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is not installed ({e}); scripts/test.sh installs it"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

pub fn today() -> String {
    Utc::now().date_naive().to_string()
}
