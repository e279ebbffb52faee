//! Configuration, read in this one place: defaults → optional TOML file → environment.
//!
//! Environment variables are `ACCREDIT_<KEY>` for top-level keys (e.g.
//! `ACCREDIT_DATABASE_URL`, `ACCREDIT_STRIPE_SECRET_KEY`) and `ACCREDIT_<SECTION>__<KEY>`
//! for nested ones (e.g. `ACCREDIT_SELLER__LEGAL_NAME`). With nothing configured the
//! service runs on its embedded default: SQLite in `./data`, mail written to
//! `./data/mail`, manual payments.
//!
//! Unknown keys in the TOML file are errors (they are typos). Unknown `ACCREDIT_*`
//! environment variables are ignored and named in ONE warning: the environment is
//! shared with others — Kubernetes injects `ACCREDIT_PORT=tcp://…`,
//! `ACCREDIT_SERVICE_HOST`, `ACCREDIT_PORT_8080_TCP_…` for a Service named
//! `accredit`, and the test script exports `ACCREDIT_TEST_*`.

use std::path::{Path, PathBuf};

use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Where the service runs; production refuses unsafe settings at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// Local use and tests.
    Development,
    /// Real money and real mail.
    Production,
}

mod sections;
pub use sections::*;

/// All settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// development | production.
    pub environment: Environment,
    /// Address to listen on, `host:port`.
    pub bind: String,
    /// Base URL clients reach the service at (for links in mail).
    pub public_base_url: String,
    /// Data directory: SQLite file, signing key, mail directory.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://PATH`; default `sqlite://<data_dir>/accredit.db`.
    pub database_url: Option<String>,
    /// Pool size.
    pub database_pool_size: u32,
    /// JWT issuer (`iss`).
    pub jwt_issuer: String,
    /// JWT audience (`aud`).
    pub jwt_audience: String,
    /// Access-token lifetime in seconds (at most 900).
    pub jwt_ttl_seconds: u32,
    /// PKCS#8 PEM Ed25519 private key file; default `<data_dir>/jwt-ed25519.pem`,
    /// generated on first start.
    pub jwt_private_key_path: Option<PathBuf>,
    /// Stripe secret key; card payments are enabled when set.
    #[serde(serialize_with = "ser_secret_opt")]
    pub stripe_secret_key: Option<SecretString>,
    /// Stripe API base URL (for a test server), e.g. `http://127.0.0.1:8420/`.
    pub stripe_api_base: Option<String>,
    /// Webhook signing secret(s), comma-separated during rotation.
    #[serde(serialize_with = "ser_secret_opt")]
    pub stripe_webhook_secret: Option<SecretString>,
    /// `smtp://host:port`; when unset, mail is written to `<data_dir>/mail`.
    #[serde(serialize_with = "ser_secret_opt")]
    pub smtp_url: Option<SecretString>,
    /// From header of outgoing mail.
    pub mail_from: String,
    /// Finance staff's address: told about payments held as customer credit.
    pub finance_email: String,
    /// Seller block.
    pub seller: SellerSettings,
    /// Invoicing.
    pub invoice: InvoiceSettings,
    /// Licences.
    pub licence: LicenceSettings,
    /// Outbox worker.
    pub outbox: OutboxSettings,
    /// Accreditation terms, renewal window, grace and non-compliance deadline.
    #[serde(default)]
    pub accreditation: AccreditationSettings,
    /// Reminder sweep and the built-in scheduler (`serve --scheduler`).
    #[serde(default)]
    pub scheduler: sections::SchedulerSettings,
    /// Level thresholds.
    pub levels: LevelSettings,
    /// Hosted invoice page links.
    pub hosted_links: HostedLinkSettings,
    /// Exam fee split used when no split policy is in force for an exam.
    pub default_split: crate::domain::exams::split::SplitParts,
    /// Requests per minute per client IP on public endpoints (sign-up, login, verification).
    pub public_rate_limit_per_minute: u32,
    /// Token requests (`POST /v1/auth/token`) per minute per presented `client_id`.
    pub token_rate_limit_per_minute: u32,
    /// Token requests per minute per client IP (all client ids together).
    pub token_ip_rate_limit_per_minute: u32,
    /// Seconds a revoked-client list is trusted before it is reloaded from the
    /// database: how long other instances may take to see a revocation.
    pub revocation_cache_ttl_seconds: u64,
    /// Optional second listen address (`host:port`) serving only `GET /metrics`
    /// without a token, for a scraper on a private network. On the main address
    /// `/metrics` always needs a `metrics` token.
    pub metrics_bind: Option<String>,
}

pub(crate) fn ser_secret_opt<S: serde::Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(secret) => s.serialize_some(secret.expose_secret()),
        None => s.serialize_none(),
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            environment: Environment::Development,
            bind: "127.0.0.1:8080".into(),
            public_base_url: "http://127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_pool_size: 16,
            jwt_issuer: "accredit".into(),
            jwt_audience: "accredit-api".into(),
            jwt_ttl_seconds: 900,
            jwt_private_key_path: None,
            stripe_secret_key: None,
            stripe_api_base: None,
            stripe_webhook_secret: None,
            smtp_url: None,
            mail_from: "Accredit Billing <billing@accredit.example>".into(),
            finance_email: "finance@accredit.example".into(),
            seller: SellerSettings {
                legal_name: "Python Certification Foundation".into(),
                address_lines: vec![
                    "9450 SW Gemini Dr. #90772".into(),
                    "Beaverton, OR 97008".into(),
                ],
                country: "US".into(),
                tax_id: Some("EIN 00-0000000".into()),
                email: "billing@accredit.example".into(),
                bank_details: vec![
                    "Bank: Example Community Bank".into(),
                    "Account name: Python Certification Foundation".into(),
                    "IBAN: US00 0000 0000 0000 0000 00 · BIC: EXAMUS00".into(),
                ],
            },
            invoice: InvoiceSettings {
                series: "ACC".into(),
                payment_terms_days: 30,
                tax_rate_basis_points: 0,
            },
            licence: LicenceSettings {
                grace_days: 30,
                max_seats: 500,
            },
            accreditation: AccreditationSettings::default(),
            scheduler: sections::SchedulerSettings::default(),
            outbox: OutboxSettings {
                run_worker: true,
                poll_interval_ms: 1000,
                max_attempts: 8,
            },
            levels: LevelSettings {
                professional_min_credits: 10,
                expert_min_credits: 30,
            },
            hosted_links: HostedLinkSettings {
                secret: None,
                ttl_days: 90,
            },
            default_split: crate::domain::exams::split::SplitParts {
                foundation_bp: 3000,
                testing_vendor_bp: 6000,
                referring_provider_bp: 1000,
            },
            public_rate_limit_per_minute: 30,
            token_rate_limit_per_minute: 20,
            token_ip_rate_limit_per_minute: 120,
            revocation_cache_ttl_seconds: 10,
            metrics_bind: None,
        }
    }
}

/// Errors loading or checking settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The sources could not be read or merged.
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value is unacceptable.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Prefix of the environment variables read as settings.
pub const ENV_PREFIX: &str = "ACCREDIT_";

/// `ACCREDIT_*` variables read by the command line rather than as settings
/// (`ACCREDIT_CONFIG`, `ACCREDIT_LOG_FORMAT`); never reported as unknown.
const ENV_READ_ELSEWHERE: [&str; 2] = ["config", "log_format"];

/// Settings read from the process environment, plus the `ACCREDIT_*` variables
/// that were ignored because they name no setting.
pub struct Loaded {
    /// The settings.
    pub settings: Settings,
    /// Names of the ignored variables (e.g. `ACCREDIT_SERVICE_HOST`), sorted.
    pub ignored_env: Vec<String>,
}

impl Settings {
    /// Loads defaults, then `config_file` (if given and present), then `ACCREDIT_*`
    /// environment variables, then `overrides` (command-line flags). Validates the
    /// result. Unknown environment variables are ignored with one warning logged
    /// (see [`load_from`](Self::load_from) to get their names instead).
    pub fn load(config_file: Option<&Path>, overrides: Figment) -> Result<Settings, ConfigError> {
        let loaded = Self::load_from(config_file, overrides, std::env::vars())?;
        if !loaded.ignored_env.is_empty() {
            tracing::warn!(
                ignored = %loaded.ignored_env.join(", "),
                "ignoring environment variables that name no setting"
            );
        }
        Ok(loaded.settings)
    }

    /// As [`load`](Self::load), with the environment given as `vars` (name, value)
    /// and the ignored variable names returned rather than logged.
    /// Errors: [`ConfigError::Load`] (unreadable file, unknown TOML key, bad value),
    /// [`ConfigError::Invalid`].
    pub fn load_from(
        config_file: Option<&Path>,
        overrides: Figment,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Loaded, ConfigError> {
        let (env, ignored_env) = EnvSettings::split(vars);
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            fig = fig.merge(Toml::file_exact(path));
        }
        fig = fig.merge(env).merge(overrides);
        let settings: Settings = fig.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(Loaded {
            settings,
            ignored_env,
        })
    }

    /// Checks invariants; in production refuses Stripe test keys and file mail.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.jwt_ttl_seconds == 0 || self.jwt_ttl_seconds > 900 {
            return Err(ConfigError::Invalid(
                "jwt_ttl_seconds must be 1..=900".into(),
            ));
        }
        if self.token_rate_limit_per_minute == 0 || self.token_ip_rate_limit_per_minute == 0 {
            return Err(ConfigError::Invalid(
                "token_rate_limit_per_minute and token_ip_rate_limit_per_minute must be ≥ 1".into(),
            ));
        }
        if !(1..=3650).contains(&self.hosted_links.ttl_days) {
            return Err(ConfigError::Invalid(
                "hosted_links.ttl_days must be 1..=3650".into(),
            ));
        }
        if let Some(secret) = &self.hosted_links.secret {
            if secret.expose_secret().len() < 32 {
                return Err(ConfigError::Invalid(
                    "hosted_links.secret must be at least 32 characters".into(),
                ));
            }
        }
        if self.invoice.tax_rate_basis_points > 10_000 {
            return Err(ConfigError::Invalid(
                "invoice.tax_rate_basis_points must be ≤ 10000".into(),
            ));
        }
        if self.stripe_secret_key.is_some() && self.stripe_webhook_secret.is_none() {
            return Err(ConfigError::Invalid(
                "stripe_webhook_secret is required when stripe_secret_key is set".into(),
            ));
        }
        if self.environment == Environment::Production {
            if let Some(k) = &self.stripe_secret_key {
                if k.expose_secret().starts_with("sk_test_") {
                    return Err(ConfigError::Invalid(
                        "a Stripe test key in production".into(),
                    ));
                }
            }
            if self.smtp_url.is_none() {
                return Err(ConfigError::Invalid(
                    "production needs smtp_url (mail would go to files)".into(),
                ));
            }
        }
        Ok(())
    }

    /// The database URL in force (explicit, or SQLite in the data dir).
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("accredit.db").display()))
    }

    /// The JWT key file in force.
    pub fn jwt_key_path(&self) -> PathBuf {
        self.jwt_private_key_path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("jwt-ed25519.pem"))
    }

    /// Directory for `.eml` files when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// Webhook secrets, split on commas (Stripe rotation keeps several valid).
    pub fn stripe_webhook_secrets(&self) -> Vec<String> {
        self.stripe_webhook_secret
            .as_ref()
            .map(|s| {
                s.expose_secret()
                    .split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The `ACCREDIT_*` environment variables that name a setting, as a figment
/// provider: `ACCREDIT_<KEY>` for a top-level key, `ACCREDIT_<SECTION>__<KEY>` for a
/// nested one, values parsed as figment's `Env` provider does (`8080` is a number,
/// `true` a bool, `[a, b]` an array).
struct EnvSettings {
    /// Lower-cased dotted key (e.g. `seller.legal_name`) → raw value.
    vars: Vec<(String, String)>,
}

impl EnvSettings {
    /// Splits `vars` into the known settings and the sorted names of ignored
    /// `ACCREDIT_*` variables. A key is known when it is a field of [`Settings`]
    /// or, for a section, a field of that section.
    fn split(vars: impl IntoIterator<Item = (String, String)>) -> (EnvSettings, Vec<String>) {
        let known = known_keys();
        let mut kept = Vec::new();
        let mut ignored = Vec::new();
        for (name, value) in vars {
            let Some(rest) = name
                .get(..ENV_PREFIX.len())
                .filter(|p| p.eq_ignore_ascii_case(ENV_PREFIX))
                .map(|_| &name[ENV_PREFIX.len()..])
            else {
                continue;
            };
            let key = rest.trim().to_ascii_lowercase().replace("__", ".");
            if ENV_READ_ELSEWHERE.contains(&key.as_str()) {
                continue;
            }
            if known.contains(&key) {
                kept.push((key, value));
            } else {
                ignored.push(name);
            }
        }
        ignored.sort();
        (EnvSettings { vars: kept }, ignored)
    }
}

/// Every settable key: top-level fields and, for sections, `section.field`.
fn known_keys() -> std::collections::HashSet<String> {
    let mut keys = std::collections::HashSet::new();
    if let Ok(serde_json::Value::Object(top)) = serde_json::to_value(Settings::default()) {
        for (k, v) in top {
            if let serde_json::Value::Object(section) = v {
                keys.extend(section.keys().map(|f| format!("{k}.{f}")));
            }
            keys.insert(k);
        }
    }
    keys
}

impl Provider for EnvSettings {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("`{ENV_PREFIX}` environment variable(s)")).interpolater(
            |_: &Profile, k: &[&str]| {
                let keys: Vec<_> = k.iter().map(|k| k.to_ascii_uppercase()).collect();
                format!("{ENV_PREFIX}{}", keys.join("__"))
            },
        )
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (k, v) in &self.vars {
            let value: Value = v.parse().unwrap_or_else(|_| Value::from(v.clone()));
            if let Some(nested) = figment::util::nest(k, value).into_dict() {
                merge_into(&mut dict, nested);
            }
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Merges `from` into `into`, recursing into sections present in both.
fn merge_into(into: &mut Dict, from: Dict) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Dict(_, existing)), Value::Dict(_, nested)) => {
                merge_into(existing, nested)
            }
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn kubernetes_service_variables_are_ignored_and_named() {
        let env = vars(&[
            ("ACCREDIT_PORT", "tcp://10.0.0.7:8080"),
            ("ACCREDIT_SERVICE_HOST", "10.0.0.7"),
            ("ACCREDIT_SERVICE_PORT", "8080"),
            ("ACCREDIT_PORT_8080_TCP", "tcp://10.0.0.7:8080"),
            ("ACCREDIT_PORT_8080_TCP_PROTO", "tcp"),
            ("ACCREDIT_TEST_DATABASE", "postgres"),
            ("ACCREDIT_CONFIG", "/etc/accredit.toml"),
            ("ACCREDIT_PUBLIC_RATE_LIMIT_PER_MINUTE", "7"),
            ("ACCREDIT_SELLER__LEGAL_NAME", "Zoë Foundation"),
            ("PATH", "/usr/bin"),
        ]);
        let loaded = Settings::load_from(None, Figment::new(), env).expect("starts");
        assert_eq!(loaded.settings.public_rate_limit_per_minute, 7);
        assert_eq!(loaded.settings.seller.legal_name, "Zoë Foundation");
        assert_eq!(
            loaded.ignored_env,
            [
                "ACCREDIT_PORT",
                "ACCREDIT_PORT_8080_TCP",
                "ACCREDIT_PORT_8080_TCP_PROTO",
                "ACCREDIT_SERVICE_HOST",
                "ACCREDIT_SERVICE_PORT",
                "ACCREDIT_TEST_DATABASE",
            ]
        );
    }

    #[test]
    fn unknown_keys_in_the_file_stay_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("accredit.toml");
        std::fs::write(&file, "bnd = \"0.0.0.0:80\"\n").unwrap();
        let err = Settings::load_from(Some(&file), Figment::new(), Vec::new())
            .err()
            .expect("a typo is refused");
        assert!(err.to_string().contains("bnd"), "{err}");
        std::fs::write(&file, "[seller]\nlegal_nam = \"x\"\n").unwrap();
        assert!(Settings::load_from(Some(&file), Figment::new(), Vec::new()).is_err());
        // A bad value in a known variable is still an error, naming the variable.
        let err = Settings::load_from(
            None,
            Figment::new(),
            vars(&[("ACCREDIT_JWT_TTL_SECONDS", "soon")]),
        )
        .err()
        .expect("bad value");
        assert!(err.to_string().contains("JWT_TTL_SECONDS"), "{err}");
    }
}
