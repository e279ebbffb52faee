//! Connections: one enum over PostgreSQL and SQLite, an r2d2 pool, migrations, and
//! the write-transaction helper every use case goes through.
//!
//! The backend is chosen from the URL scheme and unknown schemes are refused
//! (`postgres://`/`postgresql://` → PostgreSQL; `sqlite://PATH` or a `.db`/`.sqlite`
//! path → SQLite), because a SQLite driver will happily open any string as a file.

use std::path::Path;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

/// Migrations for each backend; the two trees have the same directory names
/// (checked by a test).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// See [`SQLITE_MIGRATIONS`].
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either supported backend.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL (production; several instances may share it).
    Pg(PgConnection),
    /// SQLite (the embedded default).
    Sqlite(SqliteConnection),
}

/// Which backend a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// Errors opening or preparing the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL's scheme is not one we support.
    #[error("unsupported database URL `{0}`: use postgres://… or sqlite://PATH")]
    UnsupportedUrl(String),
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    /// A query failed.
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// The pool could not be built or gave no connection in time.
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
}

impl Backend {
    /// Chooses the backend from `url`; see the module doc for the accepted forms.
    /// Errors: [`DbError::UnsupportedUrl`].
    pub fn from_url(url: &str) -> Result<(Backend, String), DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok((Backend::Postgres, url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Ok((Backend::Sqlite, path.to_owned()))
        } else if !url.contains("://") && (url.ends_with(".db") || url.ends_with(".sqlite")) {
            Ok((Backend::Sqlite, url.to_owned()))
        } else {
            Err(DbError::UnsupportedUrl(url.to_owned()))
        }
    }
}

impl DbConn {
    /// Opens one connection; SQLite gets WAL, a busy timeout, foreign keys and
    /// `synchronous = FULL` (money: an acknowledged write survives power loss).
    pub fn open(url: &str) -> Result<DbConn, DbError> {
        match Backend::from_url(url)? {
            (Backend::Postgres, url) => Ok(DbConn::Pg(PgConnection::establish(&url)?)),
            (Backend::Sqlite, path) => {
                let mut c = SqliteConnection::establish(&path)?;
                c.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 15000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
                )?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    /// The backend of this connection.
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Applies pending migrations of this backend's tree.
    pub fn run_migrations(&mut self) -> Result<(), DbError> {
        let result = match self {
            DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        };
        result.map_err(|e| DbError::Migration(e.to_string()))
    }
}

/// The queue of SQLite write transactions in this process. SQLite admits one
/// writer at a time; without a queue, waiting writers poll in SQLite's busy
/// handler, which sleeps up to 100 ms between attempts and serves nobody in
/// order, so a few unlucky requests wait for seconds under load. Waiting here
/// instead wakes the next writer as soon as the previous one commits. One process
/// serves one database; a process with several SQLite databases (the test suite)
/// only queues more than it needs to. Writes outside [`write_transaction`]
/// (single statements) and other processes still fall back on the busy timeout.
static SQLITE_WRITERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// This thread holds its turn in [`SQLITE_WRITERS`]: a nested write
    /// transaction then fails in SQLite ("cannot start a transaction within a
    /// transaction") as it always did, instead of waiting on itself forever.
    static HOLDS_SQLITE_TURN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// This thread's turn in [`SQLITE_WRITERS`], released on drop.
struct SqliteTurn(Option<std::sync::MutexGuard<'static, ()>>);

impl SqliteTurn {
    fn take() -> SqliteTurn {
        if HOLDS_SQLITE_TURN.with(std::cell::Cell::get) {
            return SqliteTurn(None);
        }
        // A panic inside another writer's transaction poisons the lock but leaves
        // nothing to repair here (SQLite rolled that transaction back).
        let guard = SQLITE_WRITERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        HOLDS_SQLITE_TURN.with(|h| h.set(true));
        SqliteTurn(Some(guard))
    }
}

impl Drop for SqliteTurn {
    fn drop(&mut self) {
        if self.0.is_some() {
            HOLDS_SQLITE_TURN.with(|h| h.set(false));
        }
    }
}

/// Runs `f` in a write transaction: a plain transaction on PostgreSQL, and
/// `BEGIN IMMEDIATE` on SQLite, after waiting in the process's writer queue
/// ([`SQLITE_WRITERS`]), so concurrent writers take turns instead of failing when
/// a read lock is upgraded. Commits on `Ok`, rolls back on `Err`.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if let DbConn::Sqlite(c) = conn {
        let _turn = SqliteTurn::take();
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        let result = f(conn);
        let DbConn::Sqlite(c) = conn else {
            unreachable!("the variant of a connection does not change");
        };
        match result {
            Ok(v) => {
                AnsiTransactionManager::commit_transaction(c)?;
                Ok(v)
            }
            Err(e) => {
                if let Err(rollback) = AnsiTransactionManager::rollback_transaction(c) {
                    tracing::error!(error = %rollback, "rollback failed");
                }
                Err(e)
            }
        }
    } else {
        conn.transaction(f)
    }
}

/// Checks that `conn` answers a trivial query (readiness probes).
pub fn ping(conn: &mut DbConn) -> Result<(), diesel::result::Error> {
    conn.batch_execute("SELECT 1")
}

/// r2d2 manager that opens [`DbConn`]s from a URL.
#[derive(Debug, Clone)]
pub struct DbConnManager {
    url: String,
}

impl ManageConnection for DbConnManager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        DbConn::open(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::from)
    }

    /// A connection handed back inside a transaction (a panic unwound through
    /// it, see `services::group_commit`) is closed rather than pooled: the
    /// database then rolls that transaction back, and on SQLite its write lock
    /// is released.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        let depth = match conn {
            DbConn::Pg(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()
                .map(|d| d.is_some()),
            DbConn::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()
                .map(|d| d.is_some()),
        };
        depth.unwrap_or(true)
    }
}

/// The shared connection pool.
pub type Pool = r2d2::Pool<DbConnManager>;
/// A connection checked out of the pool.
pub type PooledConn = r2d2::PooledConnection<DbConnManager>;

/// Opens a pool of `max_size` connections on `url`, applying migrations first.
/// For SQLite the parent directory of the file is created.
pub fn connect_and_migrate(url: &str, max_size: u32) -> Result<Pool, DbError> {
    if let (Backend::Sqlite, path) = Backend::from_url(url)? {
        if let Some(parent) = Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| DbError::Migration(format!("cannot create {parent:?}: {e}")))?;
            }
        }
    }
    let mut first = DbConn::open(url)?;
    first.run_migrations()?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(30))
        .build(DbConnManager {
            url: url.to_owned(),
        })?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write transaction nested in another on one thread fails in SQLite, as it
    /// did before the writer queue; it does not wait on its own turn forever.
    #[test]
    fn nested_sqlite_write_transaction_fails_instead_of_deadlocking() {
        let mut conn = DbConn::open("sqlite://:memory:").expect("open");
        let outer: Result<(), diesel::result::Error> = write_transaction(&mut conn, |c| {
            let inner: Result<(), diesel::result::Error> = write_transaction(c, |_| Ok(()));
            assert!(inner.is_err(), "nested BEGIN IMMEDIATE is refused");
            Ok(())
        });
        outer.expect("outer transaction commits");
        let again: Result<(), diesel::result::Error> = write_transaction(&mut conn, |_| Ok(()));
        again.expect("the turn was released");
    }
}
