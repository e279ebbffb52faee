//! Tokens already verified by this process, so a client that presents the same
//! access token on every request pays the Ed25519 signature check once per token
//! instead of once per request (issue 7: the check was ~20 % of the CPU of an
//! authenticated `GET /v1/invoices/{id}` under load).
//!
//! An entry is the exact token string (signature included, so only a token that
//! passed the full check once can hit) with the caller it names and its `exp`. A
//! hit is accepted only while `exp` has not passed (with the same leeway as the
//! full check); everything else the full check looks at (`iss`, `aud`, lifetime,
//! `iat` not in the future, scope claims) cannot change for the same bytes.
//! Revocation is not cached here: it is checked on every request after the token
//! (see `revocation`).

use std::collections::HashMap;
use std::sync::Mutex;

use super::Principal;

/// At most this many tokens are remembered (~ 1–2 MB); when full, expired ones are
/// dropped, and if none are, the whole cache (the next requests re-verify).
pub const CAPACITY: usize = 4096;

/// Verified tokens; see the module doc.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<String, (Principal, i64)>>,
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Principal, i64)>> {
        // Only whole inserts and removals happen under the lock.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The caller of `token` if it was verified before and its `exp` (seconds since
    /// the epoch) is not earlier than `now_unix - leeway`.
    pub fn get(&self, token: &str, now_unix: i64, leeway: i64) -> Option<Principal> {
        let mut entries = self.lock();
        match entries.get(token) {
            Some((who, exp)) if *exp >= now_unix.saturating_sub(leeway) => Some(who.clone()),
            Some(_) => {
                entries.remove(token);
                None
            }
            None => None,
        }
    }

    /// Remembers a token that has just passed the full check.
    pub fn insert(&self, token: &str, who: &Principal, exp: i64, now_unix: i64, leeway: i64) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            let oldest_valid = now_unix.saturating_sub(leeway);
            entries.retain(|_, (_, e)| *e >= oldest_valid);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(token.to_owned(), (who.clone(), exp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;

    #[test]
    fn hits_until_expiry_and_stays_bounded() {
        let cache = TokenCache::default();
        let who = Principal::unscoped("c1".into(), Role::Admin);
        cache.insert("t1", &who, 1_000, 900, 30);
        assert_eq!(
            cache.get("t1", 1_000, 30).map(|p| p.subject),
            Some("c1".into())
        );
        assert!(cache.get("t1", 1_030, 30).is_some(), "within the leeway");
        assert!(cache.get("t1", 1_031, 30).is_none(), "expired");
        assert!(
            cache.get("t1", 0, 30).is_none(),
            "an expired entry is dropped"
        );
        assert!(cache.get("other", 0, 30).is_none());
        for i in 0..(CAPACITY + 10) {
            cache.insert(&format!("t{i}"), &who, 5_000, 900, 30);
        }
        assert!(cache.lock().len() <= CAPACITY);
    }
}
