//! Authentication: signing keys and access tokens (JWT), and the caller identity
//! ([`Principal`]) every handler receives.
//!
//! Tokens follow RFC 7519 and are signed with Ed25519 (`alg: EdDSA`, RFC 8037); the
//! public key is published as a JWK set (RFC 7517). Validation pins the algorithm and
//! requires `exp`, `iss`, `aud` with at most 30 s of leeway.

pub mod keys;
pub mod password;

pub use keys::{AccessClaims, SigningKeys, TokenError};

use crate::domain::ids::ProviderId;
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

    /// The provider a provider-scoped caller may see; `None` means "any" (staff).
    pub fn provider_scope(&self) -> Option<ProviderId> {
        if self.role.is_provider_scoped() {
            self.provider_id
        } else {
            None
        }
    }
}
