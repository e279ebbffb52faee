//! An in-memory cache of revoked API client ids, so the revocation check on every
//! authenticated request costs a hash lookup, not a database query.
//!
//! The set is loaded at start and reloaded from the database by the first request
//! after it is older than its TTL (`revocation_cache_ttl_seconds`); meanwhile other
//! requests use the current set. A revocation made through this instance is added
//! at once ([`RevokedClients::insert`]); **other instances sharing the database see
//! it within the TTL**. Revocation is final (a revoked client is never reinstated),
//! so a reload only ever adds ids: merging a reload into the current set can never
//! lose a revocation that raced with it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Revoked client ids with the instant they were last reloaded.
#[derive(Debug)]
pub struct RevokedClients {
    ttl: Duration,
    state: RwLock<State>,
    refreshing: AtomicBool,
}

#[derive(Debug)]
struct State {
    ids: HashSet<String>,
    loaded_at: Instant,
}

/// Held by the one caller reloading the set; dropping it without
/// [`RevokedClients::merge`] (a failed or cancelled reload) lets the next request retry.
#[must_use]
pub struct RefreshGuard<'a> {
    owner: &'a RevokedClients,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        self.owner.refreshing.store(false, Ordering::Release);
    }
}

impl RevokedClients {
    /// A cache holding `ids`, loaded now, reloaded after `ttl`.
    pub fn new(ids: impl IntoIterator<Item = String>, ttl: Duration) -> Self {
        RevokedClients {
            ttl,
            state: RwLock::new(State {
                ids: ids.into_iter().collect(),
                loaded_at: Instant::now(),
            }),
            refreshing: AtomicBool::new(false),
        }
    }

    /// True when `client_id` is known to be revoked.
    pub fn is_revoked(&self, client_id: &str) -> bool {
        self.state
            .read()
            .map(|s| s.ids.contains(client_id))
            .unwrap_or_else(|poisoned| poisoned.into_inner().ids.contains(client_id))
    }

    /// When the set is older than the TTL and nobody is reloading it yet, makes the
    /// caller the one to reload it (returns the guard to pass to [`merge`](Self::merge)).
    pub fn begin_refresh(&self) -> Option<RefreshGuard<'_>> {
        let stale = self
            .state
            .read()
            .map(|s| s.loaded_at.elapsed() >= self.ttl)
            .unwrap_or(true);
        if stale
            && self
                .refreshing
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            Some(RefreshGuard { owner: self })
        } else {
            None
        }
    }

    /// Adds the reloaded `ids` and restarts the TTL.
    pub fn merge(&self, guard: RefreshGuard<'_>, ids: impl IntoIterator<Item = String>) {
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        state.ids.extend(ids);
        state.loaded_at = Instant::now();
        drop(state);
        drop(guard);
    }

    /// Records a revocation made by this instance (effective immediately here).
    pub fn insert(&self, client_id: String) {
        self.state
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .ids
            .insert(client_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_are_immediate_and_reloads_only_add() {
        let cache = RevokedClients::new(["a".to_owned()], Duration::ZERO);
        assert!(cache.is_revoked("a"));
        assert!(!cache.is_revoked("b"));
        cache.insert("b".into());
        assert!(cache.is_revoked("b"));
        let guard = cache.begin_refresh().expect("stale with a zero TTL");
        // A second caller does not reload concurrently.
        assert!(cache.begin_refresh().is_none());
        cache.merge(guard, ["c".to_owned()]);
        assert!(cache.is_revoked("a") && cache.is_revoked("b") && cache.is_revoked("c"));
    }

    #[test]
    fn a_dropped_refresh_lets_the_next_caller_retry() {
        let cache = RevokedClients::new([], Duration::ZERO);
        drop(cache.begin_refresh());
        assert!(cache.begin_refresh().is_some());
        let fresh = RevokedClients::new([], Duration::from_secs(60));
        assert!(fresh.begin_refresh().is_none());
    }
}
