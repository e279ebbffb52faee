//! Persistence: the connection enum and pool ([`conn`]), the diesel schema
//! ([`schema`]) and row types ([`models`]). Queries live with the services that own
//! them; anything backend-specific (locks, upserts) is matched on [`DbConn`] here or
//! at its single call site.

pub mod conn;
pub mod models;
pub mod schema;

pub use conn::{
    connect_and_migrate, ping, write_transaction, Backend, DbConn, DbError, Pool, PooledConn,
};

/// True when `e` is a unique-constraint violation (either backend).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
