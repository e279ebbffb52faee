//! Use cases. Each public function is one business operation run in ONE database
//! transaction (see [`crate::db::write_transaction`]); what must happen outside it
//! (email, PDF delivery) is written to the outbox in the same transaction and done
//! afterwards by [`crate::jobs`]. Stripe calls are made before or after the
//! transaction with idempotency keys derived from our own ids, so retries are safe.
//!
//! Services speak domain types and [`ServiceError`]; the HTTP layer maps both.
//!
//! The use cases are grouped by area, as `domain/` and `http/` are, and form a
//! tree (checked by `architecture_tests`): arrows between areas run one way.
//! - plumbing below everything: [`idempotency`], [`outbox`], [`pagination`], and
//!   [`lookups`] (shared reads of vendors, candidates, the credential catalogue and
//!   levels);
//! - [`parties`] — providers, API clients and tokens, candidates, testing vendors;
//! - [`billing`] — catalogue, invoices, payments, customer credit, ledger — it knows
//!   nothing of what is sold;
//! - [`accreditation`] — AT and AEC accreditation lifecycles (uses billing and
//!   parties);
//! - [`licensing`] — course-content licences (uses billing and accreditation);
//! - [`credentials`] — certifications and verification;
//! - [`exams`] — exam catalogue, split policies, orders, attempts, payouts (uses
//!   billing and credentials);
//! - on top: [`checkout`] (purchases with their payment details) and
//!   [`fulfilment`] (what a paid invoice delivers, by its subject).

pub mod accreditation;
pub mod billing;
pub mod checkout;
pub mod credentials;
pub mod emails;
pub mod exams;
pub mod fulfilment;
pub mod group_commit;
pub mod idempotency;
pub mod licensing;
pub mod lookups;
pub mod mails;
pub mod outbox;
pub mod pagination;
pub mod parties;
pub mod reminders;
pub mod request_schema;
pub mod standing;

use std::sync::Arc;

use crate::auth::SigningKeys;
use crate::config::Settings;
use crate::db::{DbConn, Pool};
use crate::domain::clock::Clock;
use crate::integrations::stripe::StripeClient;

/// One invalid field of a request.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer-ish path of the field, e.g. `billing_address.city`.
    pub field: String,
    /// What is wrong, for a human.
    pub detail: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

/// Errors a use case reports. Each maps to one problem type at the HTTP edge.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The object does not exist or is outside the caller's scope (both look alike).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request is well-formed but has invalid values.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The request is valid but the rules refuse it; `reasons` lists each one.
    #[error("refused")]
    Refused {
        /// Stable problem slug, e.g. `exam-not-allowed`.
        kind: &'static str,
        /// What is missing or wrong.
        reasons: Vec<FieldError>,
    },
    /// The product code is not in the catalogue (or not sold this way).
    #[error("unknown product `{0}`")]
    UnknownProduct(String),
    /// The operation conflicts with the object's state; `kind` is a stable slug.
    #[error("{detail}")]
    Conflict {
        /// Stable problem slug, e.g. `invoice-not-open`.
        kind: &'static str,
        /// Human explanation.
        detail: String,
    },
    /// The idempotency key was used with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// A request with this idempotency key is still being processed.
    #[error("a request with this idempotency key is in progress")]
    IdempotencyInProgress,
    /// Credentials were wrong (token endpoint).
    #[error("invalid client credentials")]
    InvalidClient,
    /// The payment processor refused or failed.
    #[error("payment processor: {0}")]
    PaymentProcessor(String),
    /// Anything else: a bug or an infrastructure failure.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        ServiceError::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<crate::domain::money::MoneyError> for ServiceError {
    fn from(e: crate::domain::money::MoneyError) -> Self {
        ServiceError::Validation(vec![FieldError::new("amount", e.to_string())])
    }
}

impl ServiceError {
    /// A single-field validation error.
    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        ServiceError::Validation(vec![FieldError::new(field, detail)])
    }
}

/// Everything a use case may need, shared by the HTTP layer and the jobs.
#[derive(Clone)]
pub struct AppContext {
    /// Database pool.
    pub pool: Pool,
    /// Injected clock.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Stripe, when configured (card payments); `None` means manual payments only.
    pub stripe: Option<StripeClient>,
    /// Token keys.
    pub keys: Arc<SigningKeys>,
    /// Per-IP limiter of public endpoints (sign-up, login, verification).
    pub public_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Per-presented-`client_id` limiter of the token endpoint.
    pub token_client_limiter: Arc<governor::DefaultKeyedRateLimiter<String>>,
    /// Per-IP limiter of the token endpoint.
    pub token_ip_limiter: Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
    /// Revoked API client ids, checked on every authenticated request.
    pub revoked_clients: Arc<crate::auth::revocation::RevokedClients>,
    /// The email templates, compiled once at start (the outbox worker renders
    /// with them; admins preview them).
    pub email_templates: Arc<crate::integrations::mail::EmailTemplates>,
    /// The group-commit queue of sales on [`pool`](Self::pool)'s database.
    pub group_commit: Arc<group_commit::GroupCommit>,
}

impl AppContext {
    /// Readiness: a pooled connection answers a trivial query
    /// ([`crate::db::ping`]). Errors: the pool or the database is unavailable.
    pub async fn ready(&self) -> Result<(), ServiceError> {
        self.db(|c| Ok(crate::db::ping(c)?)).await
    }

    /// Runs blocking database work `f` on the blocking thread pool with a pooled
    /// connection.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ServiceError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| ServiceError::Internal(anyhow::Error::new(e).context("pool")))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| {
            ServiceError::Internal(anyhow::Error::new(e).context("blocking task failed"))
        })?
    }
}

/// Converts a chrono instant to the naive UTC form stored in the database.
pub(crate) fn naive(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

#[cfg(test)]
mod tests {
    /// Each enum's stored names are its variants' snake_case, so serde, `as_str`
    /// and the OpenAPI schema agree.
    #[test]
    fn every_stored_enum_is_snake_case() {
        fn snake(debug: &str) -> String {
            let mut out = String::new();
            for (i, c) in debug.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            out
        }
        macro_rules! check {
            ($($t:ty),+) => {$(
                for v in <$t>::ALL {
                    assert_eq!(v.as_str(), snake(&format!("{v:?}")), "{}", stringify!($t));
                    assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{}\"", v.as_str()));
                }
            )+};
        }
        use super::billing::customer_credits::CreditReason;
        use super::billing::payment_input::PaymentMethod;
        use super::outbox::OutboxStatus;
        use crate::domain::accreditation::lifecycle::{
            AccreditationKind, AccreditationStatus, Action, SuspensionCause,
        };
        use crate::domain::billing::invoice::{InvoiceStatus, InvoiceSubjectKind};
        use crate::domain::credentials::catalogue::CertStatus;
        use crate::domain::credentials::levels::ContributionStatus;
        use crate::domain::exams::orders::{ExamOrderStatus, VoucherStatus};
        use crate::domain::exams::payout::{PartnerType, PayoutMethod, PayoutStatus};
        use crate::domain::licensing::licence::{LicenceTermKind, LicenceTermState};
        check!(
            InvoiceStatus,
            InvoiceSubjectKind,
            CertStatus,
            ContributionStatus,
            ExamOrderStatus,
            VoucherStatus,
            PartnerType,
            PayoutMethod,
            PayoutStatus,
            LicenceTermKind,
            LicenceTermState,
            CreditReason,
            PaymentMethod,
            OutboxStatus,
            AccreditationKind,
            AccreditationStatus,
            Action,
            SuspensionCause
        );
    }
}
