//! Thin, idempotent wrapper over the async-stripe calls Accredit needs.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use ::stripe::{ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_connect::transfer::CreateTransfer;
use stripe_core::customer::CreateCustomer;
use stripe_core::payment_intent::{CreatePaymentIntent, RetrievePaymentIntent};
use stripe_core::PaymentIntentCaptureMethod;
use stripe_types::Currency;

/// Per-attempt timeout for one HTTP request to Stripe (async-stripe has none
/// by default, so a stalled connection would hang the caller forever).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Errors from [`StripeClient`] calls.
///
/// Whether a failed call may be retried (with the *same* idempotency key) is
/// answered by [`StripeError::is_retryable`].
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// The client could not be configured (empty secret key, invalid base
    /// URL, header-unsafe characters in the key).
    #[error("invalid Stripe client configuration: {0}")]
    Config(String),
    /// An argument was rejected before anything was sent (non-positive
    /// amount, currency not a 3-letter ISO 4217 code, empty or over-long
    /// idempotency key).
    #[error("invalid argument for Stripe: {0}")]
    InvalidArgument(String),
    /// Stripe could not be reached or the connection failed mid-request; the
    /// request may or may not have been applied by Stripe.
    #[error("could not communicate with Stripe: {0}")]
    Transport(String),
    /// No complete response within the per-attempt timeout (30 s); the
    /// request may or may not have been applied by Stripe.
    #[error("timed out waiting for Stripe")]
    Timeout,
    /// Stripe answered with a non-2xx status and a Stripe error object
    /// (<https://docs.stripe.com/api/errors>).
    #[error("Stripe API error (HTTP {status}, {error_type}, code {code:?}): {message}")]
    Api {
        /// HTTP status, e.g. 400, 402 (card declined), 404, 409, 429, 500.
        status: u16,
        /// Stripe's error `type`: `api_error`, `card_error`,
        /// `idempotency_error` or `invalid_request_error`.
        error_type: String,
        /// Stripe's machine-readable error `code` (e.g. `card_declined`,
        /// `resource_missing`), when given.
        code: Option<String>,
        /// For card declines, the issuer's `decline_code`, when given.
        decline_code: Option<String>,
        /// Stripe's human-readable message (may be shown to operators, not
        /// necessarily to end users).
        message: String,
    },
    /// A response (success or error) could not be decoded. For a 2xx
    /// response the request *was* applied by Stripe.
    #[error("could not decode Stripe's response: {0}")]
    Decode(String),
}

impl StripeError {
    /// True when retrying the same call with the same idempotency key is
    /// safe and may succeed: transport failures, timeouts, and HTTP 409
    /// (concurrent use of an idempotency key), 429 (rate limit) and 5xx.
    /// Source: Stripe docs "Error handling" and "Idempotent requests".
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) | Self::Timeout => true,
            Self::Api { status, .. } => matches!(status, 409 | 429 | 500..=599),
            Self::Config(_) | Self::InvalidArgument(_) | Self::Decode(_) => false,
        }
    }
}

impl From<::stripe::StripeError> for StripeError {
    fn from(err: ::stripe::StripeError) -> Self {
        use ::stripe::StripeError as Lib;
        match err {
            Lib::Stripe(api, status) => Self::Api {
                status,
                error_type: api.type_.as_str().to_owned(),
                code: api.code.as_ref().map(|c| c.as_str().to_owned()),
                decline_code: api.decline_code.clone(),
                message: api.message.clone().unwrap_or_default(),
            },
            Lib::JSONDeserialize(msg) => Self::Decode(msg),
            Lib::ClientError(msg) => Self::Transport(msg),
            Lib::ConfigError(msg) => Self::Config(msg),
            Lib::Timeout => Self::Timeout,
        }
    }
}

/// A `PaymentIntent` as created by [`StripeClient::create_payment_intent`] (or
/// read back by [`StripeClient::retrieve_payment_intent`]).
///
/// `Debug` redacts `client_secret`: it lets its holder confirm the payment
/// in the browser and must not end up in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedPaymentIntent {
    /// The `PaymentIntent` id, `pi_…`.
    pub id: String,
    /// Secret handed to the payer's browser (Stripe.js) to confirm the
    /// payment; `None` only if Stripe omits it.
    pub client_secret: Option<String>,
    /// Stripe's status string, e.g. `requires_payment_method` right after
    /// creation (<https://docs.stripe.com/payments/paymentintents/lifecycle>).
    pub status: String,
}

impl fmt::Debug for CreatedPaymentIntent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedPaymentIntent")
            .field("id", &self.id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("status", &self.status)
            .finish()
    }
}

/// Stripe API client for Accredit; cheap to clone (shares one connection
/// pool configuration) and safe to use from many tasks at once.
///
/// Every mutating call takes an idempotency key, sent as the
/// `Idempotency-Key` header: Stripe then returns the first result for any
/// retry with the same key and parameters, for 24 hours
/// (<https://docs.stripe.com/api/idempotent_requests>). Derive keys from our
/// own ids (e.g. `invoice-<uuid>-pi`) so a retry after a crash reuses them.
#[derive(Clone)]
pub struct StripeClient {
    inner: ::stripe::Client,
    api_base: String,
}

impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret key.
        f.debug_struct("StripeClient")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, StripeError> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| StripeError::InvalidArgument(e.to_string()))
}

fn metadata_map(metadata: &[(&str, &str)]) -> HashMap<String, String> {
    metadata
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Stripe wants lower-case ISO 4217 codes ("usd"); we store upper-case.
fn stripe_currency(currency: &str) -> Result<Currency, StripeError> {
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(StripeError::InvalidArgument(format!(
            "currency must be a 3-letter ISO 4217 code, got {currency:?}"
        )));
    }
    let lower = currency.to_ascii_lowercase();
    // Infallible: unknown codes become `Currency::Unknown` and are sent as-is.
    Ok(Currency::from_str(&lower).unwrap_or(Currency::Unknown(lower)))
}

fn positive_amount(amount_minor: i64) -> Result<i64, StripeError> {
    if amount_minor <= 0 {
        return Err(StripeError::InvalidArgument(format!(
            "amount must be a positive number of minor units, got {amount_minor}"
        )));
    }
    Ok(amount_minor)
}

impl StripeClient {
    /// Builds a client authenticating with `secret_key` (`sk_…` or a
    /// restricted `rk_…` key).
    ///
    /// `api_base`: `None` for `https://api.stripe.com/`, or another base URL
    /// such as `"http://127.0.0.1:8420/"` for localstripe. The client appends
    /// `v1/…` to it, so it needs a trailing slash; one is added if missing.
    /// Each HTTP attempt times out after 30 s; nothing is retried
    /// automatically (see [`StripeError::is_retryable`]).
    ///
    /// # Errors
    /// [`StripeError::Config`] if the key is empty or not a valid header
    /// value, or the URL does not parse. No network I/O happens here.
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, StripeError> {
        if secret_key.trim().is_empty() {
            return Err(StripeError::Config("Stripe secret key is empty".into()));
        }
        let api_base = match api_base {
            None => "https://api.stripe.com/".to_owned(),
            Some(base) if base.ends_with('/') => base.to_owned(),
            Some(base) => format!("{base}/"),
        };
        let inner = ClientBuilder::new(secret_key)
            .url(api_base.clone())
            .timeout(REQUEST_TIMEOUT)
            .app_info(
                env!("CARGO_PKG_NAME"),
                Some(env!("CARGO_PKG_VERSION").to_owned()),
                None,
            )
            .build()?;
        Ok(Self { inner, api_base })
    }

    /// Creates a Customer (`POST /v1/customers`) and returns its id, `cus_…`.
    ///
    /// `metadata` pairs are stored on the Customer (Stripe limits: 50 keys,
    /// keys ≤ 40 chars, values ≤ 500 chars). `idempotency_key` (1–255 chars)
    /// is sent as the `Idempotency-Key` header.
    /// Source: <https://docs.stripe.com/api/customers/create>.
    ///
    /// # Errors
    /// [`StripeError::InvalidArgument`] for a bad idempotency key; otherwise
    /// [`StripeError::Api`], [`StripeError::Transport`],
    /// [`StripeError::Timeout`] or [`StripeError::Decode`].
    #[tracing::instrument(
        name = "stripe.create_customer",
        skip_all,
        fields(idempotency_key = idempotency_key, stripe_id = tracing::field::Empty)
    )]
    pub async fn create_customer(
        &self,
        name: &str,
        email: &str,
        metadata: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<String, StripeError> {
        let strategy = idempotent(idempotency_key)?;
        let mut request = CreateCustomer::new().name(name).email(email);
        if !metadata.is_empty() {
            request = request.metadata(metadata_map(metadata));
        }
        let customer = request
            .customize()
            .request_strategy(strategy)
            .send(&self.inner)
            .await?;
        let id = customer.id.as_str().to_owned();
        tracing::Span::current().record("stripe_id", id.as_str());
        Ok(id)
    }

    /// Creates a `PaymentIntent` (`POST /v1/payment_intents`) for
    /// `amount_minor` minor units of `currency` (ISO 4217, any case; sent
    /// lower-case) charged to `customer_id`, with automatic capture
    /// (`capture_method=automatic`: funds are captured when the payment is
    /// confirmed), `description` (omitted when empty) and `metadata` (we put
    /// `invoice_id` there). It is not confirmed: the payer confirms it with
    /// the returned `client_secret`. `idempotency_key` is sent as the
    /// `Idempotency-Key` header.
    /// Source: <https://docs.stripe.com/api/payment_intents/create>.
    ///
    /// # Errors
    /// [`StripeError::InvalidArgument`] for `amount_minor <= 0`, a currency
    /// that is not 3 ASCII letters, or a bad idempotency key; otherwise
    /// [`StripeError::Api`] (e.g. amount below Stripe's minimum, unknown
    /// customer), [`StripeError::Transport`], [`StripeError::Timeout`] or
    /// [`StripeError::Decode`].
    #[tracing::instrument(
        name = "stripe.create_payment_intent",
        skip_all,
        fields(
            amount_minor = amount_minor,
            currency = currency,
            customer_id = customer_id,
            idempotency_key = idempotency_key,
            stripe_id = tracing::field::Empty,
        )
    )]
    pub async fn create_payment_intent(
        &self,
        amount_minor: i64,
        currency: &str,
        customer_id: Option<&str>,
        description: &str,
        metadata: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<CreatedPaymentIntent, StripeError> {
        let amount = positive_amount(amount_minor)?;
        let currency = stripe_currency(currency)?;
        let strategy = idempotent(idempotency_key)?;
        let mut request = CreatePaymentIntent::new(amount, currency)
            .capture_method(PaymentIntentCaptureMethod::Automatic);
        if let Some(customer) = customer_id {
            request = request.customer(customer);
        }
        if !description.is_empty() {
            request = request.description(description);
        }
        if !metadata.is_empty() {
            request = request.metadata(metadata_map(metadata));
        }
        let intent = request
            .customize()
            .request_strategy(strategy)
            .send(&self.inner)
            .await?;
        tracing::Span::current().record("stripe_id", intent.id.as_str());
        Ok(CreatedPaymentIntent {
            id: intent.id.as_str().to_owned(),
            client_secret: intent.client_secret,
            status: intent.status.as_str().to_owned(),
        })
    }

    /// Retrieves a `PaymentIntent` (`GET /v1/payment_intents/{id}`) with the
    /// secret key, which returns its `client_secret`: we keep no copy of the
    /// secret at rest and fetch it whenever a payer needs it again (e.g. a
    /// replayed purchase response). Reads are naturally idempotent.
    /// Source: <https://docs.stripe.com/api/payment_intents/retrieve>.
    ///
    /// # Errors
    /// [`StripeError::Api`] (e.g. 404 `resource_missing`),
    /// [`StripeError::Transport`], [`StripeError::Timeout`] or
    /// [`StripeError::Decode`].
    #[tracing::instrument(
        name = "stripe.retrieve_payment_intent",
        skip_all,
        fields(stripe_id = id)
    )]
    pub async fn retrieve_payment_intent(
        &self,
        id: &str,
    ) -> Result<CreatedPaymentIntent, StripeError> {
        let intent = RetrievePaymentIntent::new(id).send(&self.inner).await?;
        Ok(CreatedPaymentIntent {
            id: intent.id.as_str().to_owned(),
            client_secret: intent.client_secret,
            status: intent.status.as_str().to_owned(),
        })
    }

    /// Creates a Connect Transfer (`POST /v1/transfers`) of `amount_minor`
    /// minor units of `currency` (ISO 4217, sent lower-case) from our
    /// platform balance to the connected account `destination_account`
    /// (`acct_…`), optionally tagged with `transfer_group`, and returns its
    /// id, `tr_…`. The platform needs an available balance in `currency`.
    /// `idempotency_key` is sent as the `Idempotency-Key` header.
    /// Source: <https://docs.stripe.com/api/transfers/create> and
    /// <https://docs.stripe.com/connect/separate-charges-and-transfers>.
    ///
    /// Not exercised against a test peer: localstripe has no transfers.
    ///
    /// # Errors
    /// [`StripeError::InvalidArgument`] for `amount_minor <= 0`, a bad
    /// currency or idempotency key; otherwise [`StripeError::Api`] (e.g.
    /// `balance_insufficient`, unknown destination), [`StripeError::Transport`],
    /// [`StripeError::Timeout`] or [`StripeError::Decode`].
    #[tracing::instrument(
        name = "stripe.create_transfer",
        skip_all,
        fields(
            amount_minor = amount_minor,
            currency = currency,
            destination_account = destination_account,
            idempotency_key = idempotency_key,
            stripe_id = tracing::field::Empty,
        )
    )]
    pub async fn create_transfer(
        &self,
        amount_minor: i64,
        currency: &str,
        destination_account: &str,
        transfer_group: Option<&str>,
        metadata: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<String, StripeError> {
        let amount = positive_amount(amount_minor)?;
        let currency = stripe_currency(currency)?;
        let strategy = idempotent(idempotency_key)?;
        let mut request = CreateTransfer::new(currency, destination_account).amount(amount);
        if let Some(group) = transfer_group {
            request = request.transfer_group(group);
        }
        if !metadata.is_empty() {
            request = request.metadata(metadata_map(metadata));
        }
        let transfer = request
            .customize()
            .request_strategy(strategy)
            .send(&self.inner)
            .await?;
        let id = transfer.id.as_str().to_owned();
        tracing::Span::current().record("stripe_id", id.as_str());
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_is_lower_cased_and_validated() {
        assert_eq!(stripe_currency("USD").unwrap(), Currency::USD);
        assert_eq!(stripe_currency("eur").unwrap(), Currency::EUR);
        assert!(matches!(
            stripe_currency("US"),
            Err(StripeError::InvalidArgument(_))
        ));
        assert!(matches!(
            stripe_currency("U$D"),
            Err(StripeError::InvalidArgument(_))
        ));
    }

    #[test]
    fn amounts_must_be_positive() {
        assert_eq!(positive_amount(1).unwrap(), 1);
        assert!(positive_amount(0).is_err());
        assert!(positive_amount(-5).is_err());
    }

    #[test]
    fn idempotency_keys_are_validated() {
        assert!(idempotent("invoice-1").is_ok());
        assert!(matches!(
            idempotent(""),
            Err(StripeError::InvalidArgument(_))
        ));
        assert!(idempotent(&"k".repeat(256)).is_err());
    }

    #[test]
    fn new_adds_trailing_slash_and_rejects_empty_key() {
        let client = StripeClient::new("sk_test_x", Some("http://127.0.0.1:8420")).unwrap();
        assert_eq!(client.api_base, "http://127.0.0.1:8420/");
        assert!(!format!("{client:?}").contains("sk_test_x"));
        assert!(matches!(
            StripeClient::new(" ", None),
            Err(StripeError::Config(_))
        ));
    }

    #[test]
    fn debug_redacts_client_secret() {
        let pi = CreatedPaymentIntent {
            id: "pi_1".into(),
            client_secret: Some("pi_1_secret_abc".into()),
            status: "requires_payment_method".into(),
        };
        assert!(!format!("{pi:?}").contains("secret_abc"));
    }

    #[test]
    fn retryability() {
        let api = |status| StripeError::Api {
            status,
            error_type: "api_error".into(),
            code: None,
            decline_code: None,
            message: String::new(),
        };
        assert!(api(500).is_retryable());
        assert!(api(429).is_retryable());
        assert!(api(409).is_retryable());
        assert!(!api(402).is_retryable());
        assert!(!api(400).is_retryable());
        assert!(StripeError::Timeout.is_retryable());
        assert!(!StripeError::Decode("x".into()).is_retryable());
    }
}
