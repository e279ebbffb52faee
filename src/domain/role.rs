//! Roles carried in access tokens (docs/domain.md, "Roles"). Adding a role is one
//! variant here plus the endpoints that accept it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a caller may do; the `role` claim of an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Foundation staff and the oversight committee: everything.
    Admin,
    /// Finance staff: everything money, payments, credit notes, reports.
    Finance,
    /// An AT or AEC, scoped to its own provider id.
    Provider,
    /// A test-taker, scoped to its own candidate id.
    Candidate,
    /// An independent exam vendor, scoped to its vendor id.
    TestingVendor,
    /// The service account that runs reminder and dunning sweeps.
    Scheduler,
    /// A monitoring scraper: may read `/metrics` and nothing else.
    Metrics,
}

impl Role {
    /// Every role, for listings and validation messages.
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Finance,
        Role::Provider,
        Role::Candidate,
        Role::TestingVendor,
        Role::Scheduler,
        Role::Metrics,
    ];

    /// The wire name (`"admin"`, `"finance"`, `"provider"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::Provider => "provider",
            Role::Candidate => "candidate",
            Role::TestingVendor => "testing_vendor",
            Role::Scheduler => "scheduler",
            Role::Metrics => "metrics",
        }
    }

    /// True when tokens of this role must carry a `provider_id` scope.
    pub fn is_provider_scoped(self) -> bool {
        matches!(self, Role::Provider)
    }

    /// True when tokens of this role must carry a `candidate_id` scope.
    pub fn is_candidate_scoped(self) -> bool {
        matches!(self, Role::Candidate)
    }

    /// True when tokens of this role must carry a `vendor_id` scope.
    pub fn is_vendor_scoped(self) -> bool {
        matches!(self, Role::TestingVendor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown role name.
#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`: expected one of admin, finance, provider, candidate, testing_vendor, scheduler, metrics")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}
