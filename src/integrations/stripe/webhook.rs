//! Stripe webhook signature verification and event parsing.
//!
//! We verify signatures ourselves rather than with async-stripe's
//! `Webhook::construct_event`: its header parser keeps only the last `v1`
//! value, but while an endpoint secret is being rotated Stripe signs every
//! event with each active secret and sends all the `v1` values.
//! Source: Stripe docs "Check the webhook signatures"
//! (<https://docs.stripe.com/webhooks#verify-manually>) and "Roll endpoint
//! secrets".

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Stripe's default tolerance between the signed timestamp and our clock:
/// 300 seconds (five minutes).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a webhook delivery was rejected. Answer every variant with HTTP 400
/// (Stripe retries deliveries that do not get a 2xx).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The `Stripe-Signature` header is absent or blank.
    #[error("missing Stripe-Signature header")]
    MissingHeader,
    /// The header is not `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`: the
    /// reason says what is wrong (no or several `t`, non-numeric `t`,
    /// an element without `=`, no `v1` signature).
    #[error("malformed Stripe-Signature header: {0}")]
    MalformedHeader(&'static str),
    /// No `v1` signature matches HMAC-SHA256 of `"<t>.<payload>"` under any
    /// of the configured secrets (wrong secret, tampered payload or
    /// timestamp, or no secret configured).
    #[error("no valid v1 signature for any configured webhook secret")]
    NoValidSignature,
    /// The signature is valid but the signed timestamp is more than the
    /// tolerance away from now, in the past (a possible replay) or future.
    #[error("webhook timestamp {timestamp} is more than {tolerance_secs} s away from now ({now})")]
    TimestampOutsideTolerance {
        /// Signed timestamp, Unix seconds.
        timestamp: i64,
        /// Our clock, Unix seconds.
        now: i64,
        /// Allowed difference, seconds.
        tolerance_secs: i64,
    },
    /// The payload is not a JSON Stripe Event with `id`, `type`, `created`
    /// and `data.object`.
    #[error("malformed webhook payload: {0}")]
    MalformedPayload(#[from] serde_json::Error),
}

/// Verifies a `Stripe-Signature` header for the raw request body `payload`.
///
/// The header is `t=<unix seconds>,v1=<hex>,v1=<hex>,…` (other schemes such
/// as `v0` are ignored). The expected signature is HMAC-SHA256, keyed with
/// the endpoint secret (the whole `whsec_…` string), over `"<t>.<payload>"`.
/// The delivery is accepted if ANY `v1` value matches under ANY of
/// `secrets` (pass the current and the previous secret while rotating);
/// comparison is constant-time (`hmac`'s `verify_slice`). Then
/// `|now_unix - t|` must be at most `tolerance_secs` (use
/// [`DEFAULT_TOLERANCE_SECS`]); a negative tolerance rejects everything.
/// `payload` must be the exact bytes received: re-serialised JSON does not
/// verify. Source: Stripe docs "Check the webhook signatures".
///
/// # Errors
/// [`WebhookError::MissingHeader`], [`WebhookError::MalformedHeader`],
/// [`WebhookError::NoValidSignature`] or
/// [`WebhookError::TimestampOutsideTolerance`], checked in that order.
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secrets: &[&str],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    if header.trim().is_empty() {
        return Err(WebhookError::MissingHeader);
    }

    let mut timestamp: Option<(&str, i64)> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    let mut v1_count = 0usize;
    for element in header.split(',') {
        let (key, value) = element
            .split_once('=')
            .ok_or(WebhookError::MalformedHeader("element without '='"))?;
        match key.trim() {
            "t" => {
                if timestamp.is_some() {
                    return Err(WebhookError::MalformedHeader("more than one timestamp"));
                }
                let raw = value.trim();
                let parsed = raw
                    .parse::<i64>()
                    .map_err(|_| WebhookError::MalformedHeader("timestamp is not an integer"))?;
                timestamp = Some((raw, parsed));
            }
            "v1" => {
                v1_count += 1;
                // A value that is not hex cannot match; it does not make the
                // other signatures invalid.
                if let Ok(sig) = hex::decode(value.trim()) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let (raw_t, t) = timestamp.ok_or(WebhookError::MalformedHeader("no timestamp"))?;
    if v1_count == 0 {
        return Err(WebhookError::MalformedHeader("no v1 signature"));
    }

    let matched = secrets.iter().any(|secret| {
        let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(raw_t.as_bytes());
        mac.update(b".");
        mac.update(payload);
        signatures
            .iter()
            .any(|sig| mac.clone().verify_slice(sig).is_ok())
    });
    if !matched {
        return Err(WebhookError::NoValidSignature);
    }

    let within = tolerance_secs >= 0
        && (i128::from(now_unix) - i128::from(t)).abs() <= i128::from(tolerance_secs);
    if !within {
        return Err(WebhookError::TimestampOutsideTolerance {
            timestamp: t,
            now: now_unix,
            tolerance_secs,
        });
    }
    Ok(())
}

/// The parts of a Stripe Event we act on. Parsed leniently with `serde_json`:
/// unknown fields are ignored, so new Stripe API versions do not break it.
/// Source: <https://docs.stripe.com/api/events/object>.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// Event id, `evt_…`; Stripe may deliver the same event more than once,
    /// so handlers deduplicate on it.
    pub id: String,
    /// Event type, e.g. `payment_intent.succeeded`,
    /// `payment_intent.payment_failed`.
    pub event_type: String,
    /// When the event happened, Unix seconds. Deliveries can arrive out of
    /// order: compare with it, not with arrival order.
    pub created: i64,
    /// Whether the event comes from live mode (false for test-mode keys);
    /// absent in the payload means false.
    pub livemode: bool,
    /// `data.object`: the object the event is about (a `PaymentIntent` for
    /// `payment_intent.*`), as it was when the event happened.
    pub object: serde_json::Value,
}

#[derive(serde::Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    #[serde(default)]
    livemode: bool,
    data: RawData,
}

#[derive(serde::Deserialize)]
struct RawData {
    object: serde_json::Value,
}

/// Parses a webhook body (already verified with [`verify_signature`]) into a
/// [`WebhookEvent`].
///
/// # Errors
/// [`WebhookError::MalformedPayload`] if the body is not JSON or lacks
/// `id`, `type`, `created` or `data.object` (or they have the wrong type).
pub fn parse_event(payload: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let raw: RawEvent = serde_json::from_slice(payload)?;
    Ok(WebhookEvent {
        id: raw.id,
        event_type: raw.event_type,
        created: raw.created,
        livemode: raw.livemode,
        object: raw.data.object,
    })
}

/// Builds a valid `Stripe-Signature` header for `payload`, for tests and
/// for events the test peer cannot send: `t=<t>,v1=<hex HMAC-SHA256 of
/// "<t>.<payload>" keyed with secret>`, one `v1`, as Stripe does.
///
/// # Panics
/// Never: HMAC-SHA256 accepts keys of any length.
#[must_use]
pub fn sign_payload(payload: &[u8], secret: &str, t: i64) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_current";
    const OLD_SECRET: &str = "whsec_previous";
    const NOW: i64 = 1_700_000_000;
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded","created":1700000000,"livemode":false,"data":{"object":{"id":"pi_1","object":"payment_intent","metadata":{"invoice_id":"inv_1"}}},"pending_webhooks":1}"#;

    fn v1(payload: &[u8], secret: &str, t: i64) -> String {
        sign_payload(payload, secret, t)
            .split_once(",v1=")
            .unwrap()
            .1
            .to_owned()
    }

    fn verify(header: &str, secrets: &[&str]) -> Result<(), WebhookError> {
        verify_signature(PAYLOAD, header, secrets, NOW, DEFAULT_TOLERANCE_SECS)
    }

    #[test]
    fn accepts_valid_signature() {
        let header = sign_payload(PAYLOAD, SECRET, NOW);
        verify(&header, &[SECRET]).unwrap();
    }

    #[test]
    fn matches_independently_computed_signature() {
        // python3: hmac.new(b"whsec_test", b'1700000000.{"id":"evt_test"}',
        //                   hashlib.sha256).hexdigest()
        let payload = br#"{"id":"evt_test"}"#;
        let header =
            "t=1700000000,v1=14c4f43763339dcb1c15f41a1ff31a94f2f09f8de278f8b4392ca0d7cbcd257e";
        assert_eq!(sign_payload(payload, "whsec_test", 1_700_000_000), header);
        verify_signature(payload, header, &["whsec_test"], NOW, 0).unwrap();
    }

    #[test]
    fn accepts_when_any_of_several_v1_values_is_valid() {
        let good = v1(PAYLOAD, SECRET, NOW);
        let bad = v1(PAYLOAD, "whsec_other", NOW);
        for header in [
            format!("t={NOW},v1={good},v1={bad}"),
            format!("t={NOW},v1={bad},v1={good}"),
            format!("t={NOW},v0={bad},v1={bad},v1={good},v1=nothex"),
            format!("v1={bad}, t={NOW}, v1={good}"),
        ] {
            verify(&header, &[SECRET]).unwrap_or_else(|e| panic!("{header}: {e}"));
        }
    }

    #[test]
    fn accepts_rotated_secrets() {
        // Stripe signs with both secrets during rotation.
        let both = format!(
            "t={NOW},v1={},v1={}",
            v1(PAYLOAD, SECRET, NOW),
            v1(PAYLOAD, OLD_SECRET, NOW)
        );
        verify(&both, &[SECRET]).unwrap();
        verify(&both, &[OLD_SECRET]).unwrap();
        // We may also hold both secrets while Stripe already uses only one.
        let old_only = sign_payload(PAYLOAD, OLD_SECRET, NOW);
        verify(&old_only, &[SECRET, OLD_SECRET]).unwrap();
        let new_only = sign_payload(PAYLOAD, SECRET, NOW);
        verify(&new_only, &[OLD_SECRET, SECRET]).unwrap();
    }

    #[test]
    fn rejects_wrong_secret() {
        let header = sign_payload(PAYLOAD, "whsec_attacker", NOW);
        assert!(matches!(
            verify(&header, &[SECRET, OLD_SECRET]),
            Err(WebhookError::NoValidSignature)
        ));
        assert!(matches!(
            verify(&sign_payload(PAYLOAD, SECRET, NOW), &[]),
            Err(WebhookError::NoValidSignature)
        ));
    }

    #[test]
    fn rejects_tampered_payload_and_timestamp() {
        let header = sign_payload(PAYLOAD, SECRET, NOW);
        let mut tampered = PAYLOAD.to_vec();
        let pos = tampered.iter().position(|&b| b == b'1').unwrap();
        tampered[pos] = b'2';
        assert!(matches!(
            verify_signature(&tampered, &header, &[SECRET], NOW, DEFAULT_TOLERANCE_SECS),
            Err(WebhookError::NoValidSignature)
        ));
        // Re-dating a genuine signature must not verify either.
        let redated = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
        assert!(matches!(
            verify_signature(PAYLOAD, &redated, &[SECRET], NOW, DEFAULT_TOLERANCE_SECS),
            Err(WebhookError::NoValidSignature)
        ));
    }

    #[test]
    fn rejects_stale_and_future_timestamps() {
        for t in [NOW - 301, NOW + 301, 0, i64::MIN, i64::MAX] {
            let header = sign_payload(PAYLOAD, SECRET, t);
            assert!(
                matches!(
                    verify(&header, &[SECRET]),
                    Err(WebhookError::TimestampOutsideTolerance { timestamp, .. }) if timestamp == t
                ),
                "t={t}"
            );
        }
        // The bounds themselves are accepted.
        for t in [NOW - 300, NOW + 300] {
            verify(&sign_payload(PAYLOAD, SECRET, t), &[SECRET]).unwrap();
        }
        // A negative tolerance accepts nothing.
        let header = sign_payload(PAYLOAD, SECRET, NOW);
        assert!(verify_signature(PAYLOAD, &header, &[SECRET], NOW, -1).is_err());
    }

    #[test]
    fn rejects_malformed_headers() {
        let good = v1(PAYLOAD, SECRET, NOW);
        assert!(matches!(
            verify("", &[SECRET]),
            Err(WebhookError::MissingHeader)
        ));
        assert!(matches!(
            verify("  ", &[SECRET]),
            Err(WebhookError::MissingHeader)
        ));
        for header in [
            format!("v1={good}"),
            format!("t=abc,v1={good}"),
            format!("t={NOW},t={NOW},v1={good}"),
            format!("t={NOW}"),
            format!("t={NOW},v0={good}"),
            format!("t={NOW},v1{good}"),
            "garbage".to_owned(),
            format!("t=,v1={good}"),
        ] {
            assert!(
                matches!(
                    verify(&header, &[SECRET]),
                    Err(WebhookError::MalformedHeader(_))
                ),
                "{header}"
            );
        }
        // Only undecodable v1 values: well-formed header, nothing matches.
        assert!(matches!(
            verify(&format!("t={NOW},v1=zz"), &[SECRET]),
            Err(WebhookError::NoValidSignature)
        ));
    }

    #[test]
    fn parses_events_leniently() {
        let event = parse_event(PAYLOAD).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.event_type, "payment_intent.succeeded");
        assert_eq!(event.created, 1_700_000_000);
        assert!(!event.livemode);
        assert_eq!(event.object["id"], "pi_1");
        assert_eq!(event.object["metadata"]["invoice_id"], "inv_1");
    }

    #[test]
    fn rejects_malformed_payloads() {
        for payload in [
            &b"not json"[..],
            br#"{"type":"x","created":1,"data":{"object":{}}}"#,
            br#"{"id":"evt","type":"x","created":"yesterday","data":{"object":{}}}"#,
            br#"{"id":"evt","type":"x","created":1}"#,
            br#"{"id":"evt","type":"x","created":1,"data":{}}"#,
        ] {
            assert!(matches!(
                parse_event(payload),
                Err(WebhookError::MalformedPayload(_))
            ));
        }
    }
}
