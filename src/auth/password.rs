//! Secret hashing with argon2id (RFC 9106) via the `argon2` crate's defaults
//! (m = 19 MiB, t = 2, p = 1, the OWASP-recommended minimum), PHC string format.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes `secret` into a PHC string (`$argon2id$v=19$…`).
/// Errors: [`argon2::password_hash::Error`], only on internal parameter errors.
pub fn hash_secret(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
}

/// Verifies `secret` against a PHC string in constant time; false on any mismatch
/// or malformed hash.
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random secret of 32 bytes, URL-safe base64 (43 characters).
pub fn generate_secret() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A real argon2id hash of a random secret, verified against when the client id or
/// email is unknown, so a miss costs the same time as a wrong secret.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret(&generate_secret()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h = hash_secret("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_secret("s3cret", &h));
        assert!(!verify_secret("other", &h));
        assert_ne!(h, hash_secret("s3cret").unwrap());
        assert!(!verify_secret("s3cret", "not-a-hash"));
    }
}
