//! The access-token signing key and the tokens it signs.
//!
//! One Ed25519 key, kept as a PKCS#8 PEM file (generated on first start with mode
//! 0600 unless a key file is configured). Its `kid` is the RFC 7638 JWK thumbprint,
//! so every instance sharing the key file publishes the same JWK set.

use std::path::Path;

use base64::Engine;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::ids::{CandidateId, ProviderId, VendorId};
use crate::domain::role::Role;

use super::Principal;

/// Claims of an access token (RFC 7519 §4.1 registered claims + ours).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// API client id.
    pub sub: String,
    /// Role name.
    pub role: Role,
    /// Provider scope, present for `provider` tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<ProviderId>,
    /// Candidate scope, present for `candidate` tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<CandidateId>,
    /// Vendor scope, present for `testing_vendor` tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<VendorId>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
}

/// Why a key could not be loaded or a token not verified.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Reading or writing the key file failed.
    #[error("signing key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file is not a PKCS#8 Ed25519 key.
    #[error("signing key: {0}")]
    KeyFormat(String),
    /// The token is invalid, expired, for another audience, or badly signed.
    #[error("invalid token: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// The token is valid but its claims are inconsistent (e.g. provider role without scope).
    #[error("invalid token claims: {0}")]
    Claims(&'static str),
    /// The token's lifetime (`exp - iat`) exceeds the configured maximum, or it was
    /// issued in the future (beyond the leeway).
    #[error("token lifetime: {0}")]
    Lifetime(&'static str),
}

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;

/// The key pair and validation rules for access tokens.
pub struct SigningKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwks: JwkSet,
    validation: Validation,
    issuer: String,
    audience: String,
    max_lifetime_seconds: i64,
    /// Tokens [`verify`](Self::verify) has accepted before.
    verified: super::token_cache::TokenCache,
}

impl SigningKeys {
    /// Loads the key at `path`, generating it if the file does not exist.
    /// Errors: [`TokenError::KeyFile`], [`TokenError::KeyFormat`].
    pub fn load_or_generate(path: &Path, issuer: &str, audience: &str) -> Result<Self, TokenError> {
        let file_err = |source| TokenError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        let signing = if path.exists() {
            let pem = std::fs::read_to_string(path).map_err(file_err)?;
            SigningKey::from_pkcs8_pem(&pem).map_err(|e| TokenError::KeyFormat(e.to_string()))?
        } else {
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let pem = key
                .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
                .map_err(|e| TokenError::KeyFormat(e.to_string()))?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(file_err)?;
            }
            write_private(path, pem.as_bytes()).map_err(file_err)?;
            tracing::info!(path = %path.display(), "generated a new token signing key");
            key
        };
        Self::from_signing_key(&signing, issuer, audience)
    }

    fn from_signing_key(
        signing: &SigningKey,
        issuer: &str,
        audience: &str,
    ) -> Result<Self, TokenError> {
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| TokenError::KeyFormat(e.to_string()))?;
        let encoding = EncodingKey::from_ed_der(der.as_bytes());
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(signing.verifying_key().to_bytes());
        let decoding = DecodingKey::from_ed_components(&x)?;
        // Built by hand: `Jwk::from_encoding_key` only accepts PKCS#8 v1 DER, while
        // ed25519-dalek writes v2 (with the public key).
        let mut jwk = Jwk {
            common: CommonParameters {
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                public_key_use: Some(PublicKeyUse::Signature),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: x.clone(),
            }),
        };
        let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
        jwk.common.key_id = Some(kid.clone());
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        Ok(SigningKeys {
            encoding,
            decoding,
            kid,
            jwks: JwkSet { keys: vec![jwk] },
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            max_lifetime_seconds: 900,
            verified: super::token_cache::TokenCache::default(),
        })
    }

    /// Sets the longest lifetime (`exp - iat`, seconds) a token may have to be
    /// accepted: the configured `jwt_ttl_seconds`. Default 900.
    pub fn with_max_lifetime(mut self, seconds: u32) -> Self {
        self.max_lifetime_seconds = i64::from(seconds);
        self
    }

    /// The public JWK set for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    /// Signs an access token for `principal`, valid `ttl_seconds` from `now_unix`.
    pub fn issue(
        &self,
        principal: &Principal,
        now_unix: i64,
        ttl_seconds: u32,
    ) -> Result<String, TokenError> {
        let claims = AccessClaims {
            sub: principal.subject.clone(),
            role: principal.role,
            provider_id: principal.provider_id,
            candidate_id: principal.candidate_id,
            vendor_id: principal.vendor_id,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now_unix,
            exp: now_unix + i64::from(ttl_seconds),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// Verifies a token (algorithm pinned to EdDSA, `exp`/`iss`/`aud`/`iat` required,
    /// 30 s leeway) at the current wall-clock time and returns the caller.
    /// Errors: [`TokenError::Invalid`], [`TokenError::Claims`], [`TokenError::Lifetime`].
    /// A token accepted before is answered from a cache until its `exp` (see
    /// [`super::token_cache`]); the result is the same as the full check's.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if let Some(who) = self.verified.get(token, now, leeway) {
            return Ok(who);
        }
        let (who, exp) = self.check(token, now)?;
        self.verified.insert(token, &who, exp, now, leeway);
        Ok(who)
    }

    /// As [`verify`](Self::verify), with `now_unix` (seconds since the epoch) as the
    /// time `iat` is checked against. A token is accepted only if `exp - iat` is within
    /// the configured lifetime and `iat` is not later than `now + leeway`: a token
    /// minted with a long lifetime or a future `iat` (a leaked key, a skewed issuer)
    /// is refused even though its signature and `exp` are fine.
    pub fn verify_at(&self, token: &str, now_unix: i64) -> Result<Principal, TokenError> {
        self.check(token, now_unix).map(|(who, _)| who)
    }

    /// The full check of [`verify_at`](Self::verify_at); also returns `exp`.
    fn check(&self, token: &str, now_unix: i64) -> Result<(Principal, i64), TokenError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)?;
        let c = data.claims;
        let lifetime = c.exp.checked_sub(c.iat);
        if !lifetime.is_some_and(|l| (0..=self.max_lifetime_seconds).contains(&l)) {
            return Err(TokenError::Lifetime(
                "exp - iat exceeds the configured token lifetime",
            ));
        }
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if c.iat > now_unix.saturating_add(leeway) {
            return Err(TokenError::Lifetime("iat is in the future"));
        }
        if c.role.is_provider_scoped() != c.provider_id.is_some()
            || c.role.is_candidate_scoped() != c.candidate_id.is_some()
            || c.role.is_vendor_scoped() != c.vendor_id.is_some()
        {
            return Err(TokenError::Claims("scope claims must match the role"));
        }
        let who = Principal {
            subject: c.sub,
            role: c.role,
            provider_id: c.provider_id,
            candidate_id: c.candidate_id,
            vendor_id: c.vendor_id,
        };
        Ok((who, c.exp))
    }
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

    fn keys() -> SigningKeys {
        let k = SigningKey::generate(&mut rand::rngs::OsRng);
        SigningKeys::from_signing_key(&k, "accredit", "accredit-api").unwrap()
    }

    fn admin() -> Principal {
        Principal::unscoped("c1".into(), Role::Admin)
    }

    #[test]
    fn tokens_round_trip_and_expire() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let t = k.issue(&admin(), now, 900).unwrap();
        assert_eq!(k.verify(&t).unwrap().role, Role::Admin);
        let old = k.issue(&admin(), now - 2_000, 900).unwrap();
        assert!(k.verify(&old).is_err());
        // Within the 30 s leeway.
        let edge = k.issue(&admin(), now - 915, 900).unwrap();
        assert!(k.verify(&edge).is_ok());
    }

    #[test]
    fn long_lived_and_future_tokens_are_rejected() {
        let k = keys().with_max_lifetime(600);
        let now = chrono::Utc::now().timestamp();
        assert!(k.verify(&k.issue(&admin(), now, 600).unwrap()).is_ok());
        assert!(matches!(
            k.verify(&k.issue(&admin(), now, 601).unwrap()),
            Err(TokenError::Lifetime(_))
        ));
        // Issued within the leeway in the future: accepted; beyond it: refused.
        assert!(k.verify(&k.issue(&admin(), now + 20, 600).unwrap()).is_ok());
        assert!(matches!(
            k.verify(&k.issue(&admin(), now + 120, 600).unwrap()),
            Err(TokenError::Lifetime(_))
        ));
    }

    #[test]
    fn a_foreign_key_is_rejected() {
        let t = keys()
            .issue(&admin(), chrono::Utc::now().timestamp(), 900)
            .unwrap();
        assert!(keys().verify(&t).is_err());
    }
}
