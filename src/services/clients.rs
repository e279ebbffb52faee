//! API clients (OAuth 2.0 client-credentials identities, RFC 6749 §4.4) and the
//! access tokens they obtain. Secrets are shown once and stored only as argon2id hashes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::password::{generate_secret, hash_secret, verify_secret};
use crate::auth::{Principal, SigningKeys};
use crate::db::models::ApiClientRow;
use crate::db::schema::api_clients as c;
use crate::db::DbConn;
use crate::domain::ids::{ClientId, ProviderId, VendorId};
use crate::domain::parties::provider::required_text;
use crate::domain::role::Role;

use super::{naive, ServiceError};

/// Newly created credentials; the only time the secret is visible.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientCredentials {
    /// Client id (use as `client_id`).
    pub client_id: String,
    /// Client secret (use as `client_secret`); not retrievable later.
    pub client_secret: String,
}

/// Whose credentials these are: staff and services have no owner; provider and
/// testing-vendor clients are scoped to theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientOwner {
    /// Staff or a service account (admin, finance, scheduler).
    Staff,
    /// A provider (role `provider`).
    Provider(ProviderId),
    /// A testing vendor (role `testing_vendor`).
    Vendor(VendorId),
}

/// Creates a client of `role` for `owner` (which must match the role; candidates
/// log in with a password instead). Errors: [`ServiceError::Validation`],
/// [`ServiceError::NotFound`] for an unknown provider or vendor.
pub fn create(
    conn: &mut DbConn,
    role: Role,
    owner: ClientOwner,
    name: &str,
    now: DateTime<Utc>,
) -> Result<ClientCredentials, ServiceError> {
    let name = required_text("name", name, 100).map_err(|e| ServiceError::invalid("name", e))?;
    let (provider_id, vendor_id) = match (role, owner) {
        (Role::Provider, ClientOwner::Provider(p)) => {
            super::providers::find_row(conn, p, None)?;
            (Some(p), None)
        }
        (Role::TestingVendor, ClientOwner::Vendor(v)) => {
            super::exams::find_vendor(conn, v)?;
            (None, Some(v))
        }
        (Role::Admin | Role::Finance | Role::Scheduler, ClientOwner::Staff) => (None, None),
        (Role::Candidate, _) => {
            return Err(ServiceError::invalid(
                "role",
                "candidates log in with their password, not client credentials",
            ))
        }
        (Role::Provider, _) => {
            return Err(ServiceError::invalid(
                "provider_id",
                "required for the provider role",
            ))
        }
        (Role::TestingVendor, _) => {
            return Err(ServiceError::invalid(
                "vendor_id",
                "required for the testing_vendor role",
            ))
        }
        (_, _) => {
            return Err(ServiceError::invalid(
                "provider_id",
                format!("no scope is allowed for the {role} role"),
            ))
        }
    };
    let id = ClientId::new();
    let secret = generate_secret();
    let hash = hash_secret(&secret).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    diesel::insert_into(c::table)
        .values(&ApiClientRow {
            id: id.to_string(),
            name,
            role: role.as_str().to_owned(),
            provider_id: provider_id.map(|p| p.to_string()),
            secret_hash: hash,
            created_at: naive(now),
            revoked_at: None,
            vendor_id: vendor_id.map(|v| v.to_string()),
        })
        .execute(conn)?;
    Ok(ClientCredentials {
        client_id: id.to_string(),
        client_secret: secret,
    })
}

/// Checks client credentials and returns the caller they identify.
/// Unknown client, revoked client and wrong secret all answer
/// [`ServiceError::InvalidClient`] (RFC 6749 §5.2 `invalid_client`); an unknown id
/// still spends one hash verification so timing does not reveal which ids exist.
pub fn authenticate(
    conn: &mut DbConn,
    client_id: &str,
    secret: &str,
) -> Result<Principal, ServiceError> {
    let row: Option<ApiClientRow> = match uuid::Uuid::parse_str(client_id) {
        Ok(u) => c::table
            .find(u.hyphenated().to_string())
            .select(ApiClientRow::as_select())
            .first(conn)
            .optional()?,
        Err(_) => None,
    };
    let Some(row) = row else {
        let _ = verify_secret(secret, dummy_hash());
        return Err(ServiceError::InvalidClient);
    };
    if row.revoked_at.is_some() || !verify_secret(secret, &row.secret_hash) {
        return Err(ServiceError::InvalidClient);
    }
    let role: Role = row
        .role
        .parse()
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e)))?;
    let provider_id = row
        .provider_id
        .map(|p| p.parse::<ProviderId>())
        .transpose()
        .map_err(anyhow::Error::new)?;
    let vendor_id = row
        .vendor_id
        .map(|v| v.parse::<VendorId>())
        .transpose()
        .map_err(anyhow::Error::new)?;
    Ok(Principal {
        subject: row.id,
        role,
        provider_id,
        candidate_id: None,
        vendor_id,
    })
}

/// A real argon2id hash of a random secret, verified against for unknown client ids.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret(&generate_secret()).unwrap_or_default())
}

/// An OAuth 2.0 access-token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessToken {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u32,
}

/// Issues an access token for an authenticated caller.
pub fn issue_token(
    keys: &SigningKeys,
    who: &Principal,
    now: DateTime<Utc>,
    ttl: u32,
) -> Result<AccessToken, ServiceError> {
    let token = keys
        .issue(who, now.timestamp(), ttl)
        .map_err(|e| ServiceError::Internal(anyhow::Error::new(e)))?;
    Ok(AccessToken {
        access_token: token,
        token_type: "Bearer".into(),
        expires_in: ttl,
    })
}
