//! Hosted invoice pages (Stripe's `hosted_invoice_url` is the model): a signed,
//! expiring, unguessable link that shows one invoice to whoever holds it, without
//! a login, and downloads its PDF.
//!
//! A link is `/i/{invoice_id}?exp={unix seconds}&sig={base64url HMAC-SHA256}`; the
//! PDF is the same with `/pdf` after the id and the same `exp` and `sig`. The MAC
//! covers a fixed label, the invoice id and the expiry ([`message`]), so changing
//! either is a tampered link (403) and a genuine link past its expiry is an expired
//! one (410). The key is `hosted_links.secret`, or 32 random bytes generated into
//! `<data_dir>/hosted-links.key` on first use ([`load_or_generate_secret`]).
//! Expiries are rounded up to the next UTC midnight, so every link minted for an
//! invoice on one day is the same URL.
//!
//! The link is a bearer credential for one invoice: it goes in the invoice mail
//! and on the invoice resource, which only staff and the invoice's owner can read.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::config::Settings;
use crate::domain::ids::InvoiceId;
use crate::services::ServiceError;

type HmacSha256 = Hmac<Sha256>;

/// Name of the generated key file inside the data directory.
pub const SECRET_FILE: &str = "hosted-links.key";

/// Label mixed into every MAC, so a MAC made with this key for another purpose
/// can never pass as an invoice link.
const LABEL: &str = "accredit/hosted-invoice-link/v1";

/// Why a hosted link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The signature is missing, malformed, or does not match the id and expiry
    /// (HTTP 403).
    #[error("the link is not valid")]
    Tampered,
    /// The signature is genuine but the expiry has passed (HTTP 410).
    #[error("the link has expired")]
    Expired,
}

/// The signing key and policy of hosted links, built from the settings.
#[derive(Clone)]
pub struct HostedLinks {
    key: Vec<u8>,
    base_url: String,
    ttl_days: u32,
}

impl std::fmt::Debug for HostedLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedLinks")
            .field("base_url", &self.base_url)
            .field("ttl_days", &self.ttl_days)
            .finish_non_exhaustive()
    }
}

impl HostedLinks {
    /// The links of `settings`: its `hosted_links.secret`, or the key file in the
    /// data directory (generated if absent; start-up resolves it once, see
    /// [`load_or_generate_secret`]). Errors: [`ServiceError::Internal`] when the
    /// key file cannot be read or written.
    pub fn from_settings(settings: &Settings) -> Result<Self, ServiceError> {
        let key = match &settings.hosted_links.secret {
            Some(s) => s.expose_secret().as_bytes().to_vec(),
            None => load_or_generate_secret(&settings.data_dir)?
                .expose_secret()
                .as_bytes()
                .to_vec(),
        };
        Ok(HostedLinks {
            key,
            base_url: settings.public_base_url.trim_end_matches('/').to_owned(),
            ttl_days: settings.hosted_links.ttl_days,
        })
    }

    /// The expiry of a link minted at `now`: `ttl_days` later, rounded up to the
    /// next UTC midnight, as Unix seconds.
    pub fn expiry(&self, now: DateTime<Utc>) -> i64 {
        let day: NaiveDate = (now + Duration::days(i64::from(self.ttl_days))).date_naive();
        day.succ_opt()
            .unwrap_or(day)
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(i64::MAX)
    }

    fn mac(&self, invoice_id: &str, exp: i64) -> HmacSha256 {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(message(invoice_id, exp).as_bytes());
        mac
    }

    /// The base64url (unpadded) signature of `invoice_id` and `exp`.
    pub fn sign(&self, invoice_id: &str, exp: i64) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(invoice_id, exp).finalize().into_bytes())
    }

    /// The absolute URL of the hosted page of `invoice_id`, valid from `now` for
    /// the configured number of days.
    pub fn page_url(&self, invoice_id: InvoiceId, now: DateTime<Utc>) -> String {
        let id = invoice_id.to_string();
        let exp = self.expiry(now);
        format!(
            "{}{}",
            self.base_url,
            signed_path(&id, exp, &self.sign(&id, exp), "")
        )
    }

    /// Checks a presented link: the signature first (constant-time), then the
    /// expiry against `now`. Errors: [`LinkError::Tampered`] (no, malformed or
    /// wrong signature, or no expiry), [`LinkError::Expired`].
    pub fn check(
        &self,
        invoice_id: &str,
        exp: Option<&str>,
        sig: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, LinkError> {
        let exp: i64 = exp
            .and_then(|e| e.parse().ok())
            .ok_or(LinkError::Tampered)?;
        let sig = sig
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .ok_or(LinkError::Tampered)?;
        self.mac(invoice_id, exp)
            .verify_slice(&sig)
            .map_err(|_| LinkError::Tampered)?;
        if now.timestamp() >= exp {
            return Err(LinkError::Expired);
        }
        Ok(exp)
    }
}

/// The signed message: label, invoice id and expiry, newline-separated.
fn message(invoice_id: &str, exp: i64) -> String {
    format!("{LABEL}\n{invoice_id}\n{exp}")
}

/// `/i/{id}{suffix}?exp=…&sig=…` (the signature is base64url, safe in a query).
pub fn signed_path(invoice_id: &str, exp: i64, sig: &str, suffix: &str) -> String {
    format!("/i/{invoice_id}{suffix}?exp={exp}&sig={sig}")
}

/// Reads the generated link key from `<data_dir>/hosted-links.key`, creating it
/// (32 random bytes, base64url, mode 0600) when absent. Called at start-up so a
/// bad data directory stops the service there. Errors: [`ServiceError::Internal`].
pub fn load_or_generate_secret(data_dir: &Path) -> Result<secrecy::SecretString, ServiceError> {
    use anyhow::Context;
    let path: PathBuf = data_dir.join(SECRET_FILE);
    if !path.exists() {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        match write_private(&path, URL_SAFE_NO_PAD.encode(bytes).as_bytes()) {
            Ok(()) => tracing::info!(path = %path.display(), "generated the hosted link key"),
            // Another instance sharing the directory wrote it first: read theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("writing {}", path.display()))
                    .into())
            }
        }
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let text = text.trim();
    if text.len() < 32 {
        return Err(
            anyhow::anyhow!("{} holds a key shorter than 32 characters", path.display()).into(),
        );
    }
    Ok(secrecy::SecretString::from(text.to_owned()))
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn links() -> HostedLinks {
        HostedLinks {
            key: b"0123456789abcdef0123456789abcdef".to_vec(),
            base_url: "https://billing.example".into(),
            ttl_days: 90,
        }
    }

    #[test]
    fn a_genuine_link_passes_until_it_expires() {
        let l = links();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap();
        let exp = l.expiry(now);
        assert_eq!(
            exp,
            Utc.with_ymd_and_hms(2027, 2, 21, 0, 0, 0)
                .unwrap()
                .timestamp()
        );
        let sig = l.sign("abc", exp);
        let e = exp.to_string();
        assert_eq!(l.check("abc", Some(&e), Some(&sig), now), Ok(exp));
        let later = DateTime::from_timestamp(exp, 0).unwrap();
        assert_eq!(
            l.check("abc", Some(&e), Some(&sig), later),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn any_change_to_id_expiry_or_signature_is_tampering() {
        let l = links();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap();
        let exp = l.expiry(now);
        let sig = l.sign("abc", exp);
        let e = exp.to_string();
        let later = (exp + 86_400).to_string();
        for (id, exp, sig) in [
            ("abd", Some(e.as_str()), Some(sig.as_str())),
            ("abc", Some(later.as_str()), Some(sig.as_str())),
            ("abc", Some(e.as_str()), Some("AAAA")),
            ("abc", Some(e.as_str()), Some("not base64!")),
            ("abc", None, Some(sig.as_str())),
            ("abc", Some(e.as_str()), None),
        ] {
            assert_eq!(
                l.check(id, exp, sig, now),
                Err(LinkError::Tampered),
                "{id} {exp:?} {sig:?}"
            );
        }
        // Another key never verifies this key's links.
        let other = HostedLinks {
            key: b"another key, also thirty-two byte".to_vec(),
            ..links()
        };
        assert_eq!(
            other.check("abc", Some(&e), Some(&sig), now),
            Err(LinkError::Tampered)
        );
    }

    #[test]
    fn the_generated_key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_generate_secret(dir.path()).unwrap();
        let b = load_or_generate_secret(dir.path()).unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
        assert!(a.expose_secret().len() >= 43);
    }
}
