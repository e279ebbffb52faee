//! Authentication: signing keys and access tokens (JWT), and the caller identity
//! ([`Principal`]) every handler receives.
//!
//! Tokens follow RFC 7519 and are signed with Ed25519 (`alg: EdDSA`, RFC 8037); the
//! public key is published as a JWK set (RFC 7517). Validation pins the algorithm and
//! requires `exp`, `iss`, `aud`, `iat` with at most 30 s of leeway; a token whose
//! `exp - iat` exceeds the configured lifetime (`jwt_ttl_seconds`) or whose `iat` is
//! in the future is refused. Tokens of revoked API clients are refused too
//! ([`revocation::RevokedClients`]).

pub mod keys;
pub mod password;
pub mod revocation;
pub mod token_cache;

pub use keys::{AccessClaims, SigningKeys, TokenError};

use crate::domain::ids::{CandidateId, ProviderId, VendorId};
use crate::domain::role::Role;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Subject: the API client id.
    pub subject: String,
    /// Role from the token.
    pub role: Role,
    /// Provider scope for `provider` tokens.
    pub provider_id: Option<ProviderId>,
    /// Candidate scope for `candidate` tokens.
    pub candidate_id: Option<CandidateId>,
    /// Vendor scope for `testing_vendor` tokens.
    pub vendor_id: Option<VendorId>,
}

impl Principal {
    /// A stable string identifying the caller for idempotency-key scoping.
    pub fn idempotency_scope(&self) -> String {
        format!("{}:{}", self.role, self.subject)
    }

    /// True when the caller has one of `roles`.
    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// A staff or service caller with no object scope.
    pub fn unscoped(subject: String, role: Role) -> Self {
        Principal {
            subject,
            role,
            provider_id: None,
            candidate_id: None,
            vendor_id: None,
        }
    }

    /// The records this caller may see.
    pub fn scope(&self) -> Scope {
        match (self.provider_id, self.candidate_id, self.vendor_id) {
            (Some(p), _, _) if self.role.is_provider_scoped() => Scope::Provider(p),
            (_, Some(c), _) if self.role.is_candidate_scoped() => Scope::Candidate(c),
            (_, _, Some(v)) if self.role.is_vendor_scoped() => Scope::Vendor(v),
            _ => Scope::All,
        }
    }

    /// The provider a provider-scoped caller may see; `None` means "any" (staff).
    pub fn provider_scope(&self) -> Option<ProviderId> {
        if self.role.is_provider_scoped() {
            self.provider_id
        } else {
            None
        }
    }
}

/// Which records a caller may see: everything (staff), or one party's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Staff: no restriction.
    All,
    /// A provider's own records.
    Provider(ProviderId),
    /// A candidate's own records.
    Candidate(CandidateId),
    /// A testing vendor's own records.
    Vendor(VendorId),
}
