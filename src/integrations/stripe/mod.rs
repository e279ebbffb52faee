//! Stripe integration: the few API calls Accredit makes and webhook handling.
//!
//! - [`StripeClient`] wraps async-stripe `=1.0.0-rc.10` (`stripe` crate, with
//!   `stripe_core` and `stripe_connect` request types): Customers,
//!   `PaymentIntents` and Connect Transfers, each sent with the caller's
//!   `Idempotency-Key` so a retried call never charges or pays twice.
//! - [`verify_signature`] checks the `Stripe-Signature` header ourselves:
//!   async-stripe's parser keeps only the last `v1` signature, while Stripe
//!   sends one per active endpoint secret during secret rotation.
//! - [`parse_event`] extracts the parts of an Event we act on.
//!
//! Amounts are always integers in the currency's minor unit (cents for USD),
//! as the Stripe API expects. In tests the peer is localstripe started by
//! `tests/support/localstripe_wrapper.py`; pass its base URL as `api_base`.

mod client;
mod webhook;

pub use client::{CreatedPaymentIntent, StripeClient, StripeError};
pub use webhook::{
    parse_event, sign_payload, verify_signature, WebhookError, WebhookEvent, DEFAULT_TOLERANCE_SECS,
};
