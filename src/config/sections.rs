//! The sections of [`Settings`](super::Settings): one struct per `[section]` of
//! the TOML file (`ACCREDIT_<SECTION>__<KEY>` in the environment). A new area
//! with its own knobs adds its section struct here (or in a sibling file) and one
//! field on `Settings`.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::ser_secret_opt;

/// The seller block printed on invoices (the foundation).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellerSettings {
    /// Legal name.
    pub legal_name: String,
    /// Postal address lines.
    pub address_lines: Vec<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// VAT or tax registration number.
    pub tax_id: Option<String>,
    /// Billing contact.
    pub email: String,
    /// Bank details printed as payment instructions for bank transfers.
    pub bank_details: Vec<String>,
}

/// Invoicing policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettings {
    /// Number series prefix: numbers are `SERIES-YEAR-NNNNNN`.
    pub series: String,
    /// Days from issue to due date.
    pub payment_terms_days: u32,
    /// Tax rate applied to every line, in basis points (1 bp = 0.01 %). No tax
    /// jurisdiction rules are implemented yet; 0 means tax is not charged.
    pub tax_rate_basis_points: u32,
}

/// Licence policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenceSettings {
    /// Days after `expires_on` during which a licence is `in_grace` and renewal
    /// still continues from the old expiry.
    pub grace_days: u32,
    /// Maximum seats on one licence.
    pub max_seats: u32,
}

/// Accreditation policy (docs/domain.md, "Accreditation"): term, renewal window,
/// grace and the AEC non-compliance deadline, all applied by the sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccreditationSettings {
    /// Months one paid fee keeps an accreditation in force (12).
    pub term_months: u32,
    /// Days before `expires_on` from which the accreditation is `renewal_due`.
    pub renewal_window_days: u32,
    /// Days after `expires_on` before it is `lapsed`; a maintenance fee paid inside
    /// them still extends from the old expiry.
    pub grace_days: u32,
    /// Days an AEC stays `non_compliant` (no active AT) before it is `suspended`.
    pub non_compliant_days: u32,
    /// Months an approval of training materials lasts at most (24), capped by EOL.
    #[serde(default = "crate::domain::accreditation::materials::default_period_months")]
    pub materials_period_months: u32,
    /// Days before `approved_until` from which materials are `reaccreditation_due` (60).
    #[serde(default = "crate::domain::accreditation::materials::default_window_days")]
    pub materials_window_days: u32,
}

impl Default for AccreditationSettings {
    fn default() -> Self {
        AccreditationSettings {
            term_months: 12,
            renewal_window_days: 60,
            grace_days: 30,
            non_compliant_days: 90,
            materials_period_months: 24,
            materials_window_days: 60,
        }
    }
}

/// Thresholds of the derived candidate levels (docs/domain.md, "Credentials,
/// levels and the exam catalogue").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSettings {
    /// Verified community credits needed (with PCPP1 + PCPP2) for `professional`.
    pub professional_min_credits: u32,
    /// Verified community credits needed (with CEPP) for `expert`.
    pub expert_min_credits: u32,
}

/// Outbox worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    /// Whether `serve` runs the worker in the background (tests drain explicitly).
    pub run_worker: bool,
    /// Poll interval in milliseconds.
    pub poll_interval_ms: u64,
    /// Attempts before a job is marked dead.
    pub max_attempts: u32,
}

/// Hosted invoice pages: the signed links in invoice mail and on the invoice
/// resource (`/i/{invoice_id}?exp=…&sig=…`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedLinkSettings {
    /// HMAC-SHA256 key signing the links. When unset, a random key is generated
    /// on first start into `<data_dir>/hosted-links.key` and read from there;
    /// instances that do not share a data directory must share this secret.
    #[serde(serialize_with = "ser_secret_opt")]
    pub secret: Option<SecretString>,
    /// Days a link stays valid, 1–3650 (rounded up to the next UTC midnight).
    pub ttl_days: u32,
}

/// The reminder sweep (`accredit reminders run`, `POST /v1/jobs/reminder-runs`) and
/// the built-in scheduler of `accredit serve --scheduler` (docs/domain.md,
/// "Reminders and the scheduler").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSettings {
    /// Seconds between two sweeps of the built-in scheduler (default 3600).
    pub interval_seconds: u64,
    /// A step due longer ago than this many days is recorded as skipped instead of
    /// sent (catch-up rule; default 14).
    pub catch_up_days: u32,
    /// Subjects per transaction (default 200).
    pub batch_size: u32,
    /// Seconds a run's lease lasts without renewal; on SQLite another run waits
    /// until it passes (a killed run's lease simply expires; default 300).
    pub lease_seconds: u32,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            interval_seconds: 3600,
            catch_up_days: 14,
            batch_size: 200,
            lease_seconds: 300,
        }
    }
}
