//! API clients (OAuth 2.0 client-credentials identities, RFC 6749 §4.4) and the
//! access tokens they obtain. Secrets are shown once and stored only as argon2id hashes.

use anyhow::Context;
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

use crate::services::{naive, ServiceError};

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
    /// Staff or a service account (admin, finance, scheduler, metrics).
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
            crate::services::parties::providers::find_row(conn, p, None)?;
            (Some(p), None)
        }
        (Role::TestingVendor, ClientOwner::Vendor(v)) => {
            crate::services::lookups::find_vendor(conn, v)?;
            (None, Some(v))
        }
        (Role::Admin | Role::Finance | Role::Scheduler | Role::Metrics, ClientOwner::Staff) => {
            (None, None)
        }
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
    let hash = hash_secret(&secret).context("hashing the client secret")?;
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
            revocation_reason: None,
            revoked_by: None,
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
        let _ = verify_secret(secret, crate::auth::password::dummy_hash());
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

/// Whether a client may still obtain and use tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientStatus {
    /// Usable.
    Active,
    /// Revoked (final): no new tokens, and its outstanding tokens are refused.
    Revoked,
}

/// An API client as listed to admins (never the secret or its hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiClient {
    /// Client id.
    pub id: String,
    /// Label.
    pub name: String,
    /// Role its tokens carry.
    pub role: Role,
    /// Provider scope (provider clients).
    pub provider_id: Option<String>,
    /// Vendor scope (testing-vendor clients).
    pub vendor_id: Option<String>,
    /// `active` or `revoked`.
    pub status: ClientStatus,
    /// Creation instant (UTC).
    pub created_at: DateTime<Utc>,
    /// Revocation instant (UTC), when revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked.
    pub revocation_reason: Option<String>,
    /// Client id of the admin who revoked it.
    pub revoked_by: Option<String>,
}

fn to_client(r: ApiClientRow) -> Result<ApiClient, ServiceError> {
    Ok(ApiClient {
        id: r.id,
        name: r.name,
        role: r.role.parse().context("stored client role")?,
        provider_id: r.provider_id,
        vendor_id: r.vendor_id,
        status: if r.revoked_at.is_some() {
            ClientStatus::Revoked
        } else {
            ClientStatus::Active
        },
        created_at: r.created_at.and_utc(),
        revoked_at: r.revoked_at.map(|t| t.and_utc()),
        revocation_reason: r.revocation_reason,
        revoked_by: r.revoked_by,
    })
}

/// Lists API clients in id order, cursor-paginated.
/// Errors: [`ServiceError::Validation`] for a bad cursor.
pub fn list(
    conn: &mut DbConn,
    page: &crate::services::pagination::PageRequest,
) -> Result<crate::services::pagination::Page<ApiClient>, ServiceError> {
    let mut q = c::table
        .order(c::id.asc())
        .limit(page.limit() + 1)
        .into_boxed();
    if let Some(after) = page.after()? {
        q = q.filter(c::id.gt(after));
    }
    let rows: Vec<ApiClientRow> = q.select(ApiClientRow::as_select()).load(conn)?;
    let items = rows
        .into_iter()
        .map(to_client)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(page.page(items, |c| c.id.clone()))
}

/// `POST /v1/clients/{id}/revocation` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// Why the client is revoked (1–500 characters), kept for the audit trail.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub reason: String,
}

/// Revokes client `client_id` (final): it can no longer obtain tokens and its
/// outstanding tokens are refused. Revoking a revoked client changes nothing and
/// returns it as it is (the first reason and instant stay).
/// `by` is the subject of the caller (a client id for client credentials): a
/// client may not revoke itself, since the admin would lock itself out mid-task
/// and possibly lose the last admin access (409 `cannot-revoke-self`; another
/// admin client can revoke it).
/// Errors: [`ServiceError::NotFound`], [`ServiceError::Validation`] for the reason,
/// [`ServiceError::Conflict`] `cannot-revoke-self`.
pub fn revoke(
    conn: &mut DbConn,
    client_id: &str,
    input: &Revocation,
    by: &str,
    now: DateTime<Utc>,
) -> Result<ApiClient, ServiceError> {
    let reason = required_text("reason", &input.reason, 500)
        .map_err(|e| ServiceError::invalid("reason", e))?;
    let id = uuid::Uuid::parse_str(client_id)
        .map_err(|_| ServiceError::NotFound("client"))?
        .hyphenated()
        .to_string();
    if id == by {
        return Err(ServiceError::Conflict {
            kind: "cannot-revoke-self",
            detail: "a client cannot revoke itself; use another admin client".into(),
        });
    }
    diesel::update(c::table.find(&id).filter(c::revoked_at.is_null()))
        .set((
            c::revoked_at.eq(naive(now)),
            c::revocation_reason.eq(reason),
            c::revoked_by.eq(by),
        ))
        .execute(conn)?;
    let row: Option<ApiClientRow> = c::table
        .find(&id)
        .select(ApiClientRow::as_select())
        .first(conn)
        .optional()?;
    to_client(row.ok_or(ServiceError::NotFound("client"))?)
}

/// Ids of every revoked client (for [`crate::auth::revocation::RevokedClients`]).
pub fn revoked_ids(conn: &mut DbConn) -> Result<Vec<String>, ServiceError> {
    Ok(c::table
        .filter(c::revoked_at.is_not_null())
        .select(c::id)
        .load(conn)?)
}
