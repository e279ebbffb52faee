//! Group commit of sales: several write use cases in ONE database transaction,
//! each in its own savepoint, so one commit — one WAL flush on PostgreSQL, one
//! fsync on SQLite — serves every sale of the batch (issue 7).
//!
//! Why: a sale takes the gap-free invoice-number counter row and holds it until
//! its transaction commits, commit flush included, so concurrent sales were fully
//! serialised, one flush each (PostgreSQL's own group commit cannot merge them:
//! the next sale cannot reach its commit before the previous one released the
//! row). Here the first waiting request becomes the *leader*: on the blocking
//! pool, with one pooled connection, it opens a write transaction
//! ([`crate::db::write_transaction`]: `BEGIN IMMEDIATE` in the process's writer
//! queue on SQLite), runs every queued sale (up to [`MAX_BATCH`]) in a savepoint,
//! commits once and answers them all; sales that arrived meanwhile form the next
//! batch. Alone, a sale is a batch of one and waits for nobody.
//!
//! What stays as it was:
//! - a sale that fails rolls back to its savepoint — its invoice number, rows and
//!   idempotency claim with it — and the others of the batch still commit, so
//!   numbers stay gap-free;
//! - nobody hears of success before the commit that made their sale durable
//!   returned; when that commit fails, every sale of the batch gets the error
//!   ([`BatchCommitFailed`]) and none of them happened;
//! - each sale sees the database as the sales before it in the batch left it, as
//!   if they had committed one after another.
//!
//! A sale that panics aborts its batch: the transaction is rolled back, the
//! connection is not returned to the pool (see `DbConnManager::has_broken`), and
//! every sale of the batch gets an error.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use diesel::Connection;

use crate::db::{write_transaction, DbConn, Pool};
use crate::services::ServiceError;

/// The most sales one transaction carries. Bounds the time the writer (the
/// counter row, SQLite's write lock) is held by one commit, and so the latency
/// a sale adds to the writes queued behind it.
pub const MAX_BATCH: usize = 32;

/// How a batch ended, as told to each of its sales.
type Outcome<'a> = Result<(), &'a BatchError>;

/// Runs one sale on the batch's connection (in its savepoint) and returns what
/// answers it once the batch's outcome is known; called with `Err` instead when
/// the batch could not start (no connection, `BEGIN` failed).
type Job = Box<dyn FnOnce(Result<&mut DbConn, &BatchError>) -> Finish + Send>;
/// Answers one sale with the batch's outcome.
type Finish = Box<dyn FnOnce(Outcome<'_>) + Send>;

/// Why a whole batch failed.
#[derive(Debug, Clone)]
enum BatchError {
    /// No connection, `BEGIN`/`COMMIT` failed, or a sale of the batch panicked.
    Failed(Arc<dyn std::error::Error + Send + Sync>),
}

/// The error every sale of a batch gets when the batch's shared transaction did
/// not commit (the sale did not happen; retrying with the same idempotency key is
/// safe). Wraps the database or pool error.
#[derive(Debug, thiserror::Error)]
#[error("the shared transaction of this request's batch did not commit")]
pub struct BatchCommitFailed(#[source] Arc<dyn std::error::Error + Send + Sync>);

/// A sale of the batch panicked; the batch was rolled back.
#[derive(Debug, thiserror::Error)]
#[error("a request of the batch panicked; the batch was rolled back")]
struct BatchPanicked;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    leading: bool,
}

/// The group-commit queue of one database (one per [`crate::services::AppContext`]).
#[derive(Default)]
pub struct GroupCommit {
    queue: Mutex<Queue>,
    batches: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// A queue with nothing waiting.
    pub fn new() -> GroupCommit {
        GroupCommit::default()
    }

    /// Runs `f` in a savepoint of the next batch's write transaction (see the
    /// module doc) and returns its result once that transaction committed.
    ///
    /// Errors: what `f` returns (its savepoint is then rolled back, the rest of
    /// the batch commits); [`ServiceError::Internal`] wrapping
    /// [`BatchCommitFailed`] when the batch's transaction did not commit.
    pub async fn run<T, F>(self: &Arc<Self>, pool: &Pool, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, ServiceError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<T, ServiceError>>();
        let job: Job = Box::new(move |conn| {
            let own = match conn {
                Ok(c) => c.transaction(f),
                Err(e) => Err(batch_error(e)),
            };
            Box::new(move |outcome: Outcome<'_>| {
                let answer = match (own, outcome) {
                    (own, Ok(())) => own,
                    // The sale's own refusal stands; its savepoint was rolled back anyway.
                    (Err(own), Err(_)) => Err(own),
                    (Ok(_), Err(e)) => Err(batch_error(e)),
                };
                // The request may have gone away (client disconnected); nothing to tell.
                let _ = tx.send(answer);
            })
        });
        let lead = {
            let mut q = self.lock();
            q.jobs.push_back(job);
            !std::mem::replace(&mut q.leading, true)
        };
        if lead {
            let (this, pool) = (self.clone(), pool.clone());
            tokio::task::spawn_blocking(move || this.lead(&pool));
        }
        rx.await.map_err(|e| {
            ServiceError::Internal(anyhow::Error::new(e).context("the group-commit leader stopped"))
        })?
    }

    /// How many batches (transactions) this queue has run, committed or not.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A panic while holding this lock cannot leave the queue half-updated
        // (push/pop/flag only), so a poisoned lock is still usable.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs batches until the queue is empty, then gives up the lead.
    fn lead(&self, pool: &Pool) {
        loop {
            let batch: Vec<Job> = {
                let mut q = self.lock();
                if q.jobs.is_empty() {
                    q.leading = false;
                    return;
                }
                let n = q.jobs.len().min(MAX_BATCH);
                q.jobs.drain(..n).collect()
            };
            self.batches.fetch_add(1, Ordering::Relaxed);
            run_batch(pool, batch);
        }
    }
}

fn batch_error(e: &BatchError) -> ServiceError {
    let BatchError::Failed(cause) = e;
    ServiceError::Internal(anyhow::Error::new(BatchCommitFailed(cause.clone())))
}

/// One transaction for `batch`; every job is answered exactly once.
fn run_batch(pool: &Pool, batch: Vec<Job>) {
    let mut conn = match pool.get() {
        Ok(c) => c,
        Err(e) => {
            let e = BatchError::Failed(Arc::new(e));
            for job in batch {
                job(Err(&e))(Err(&e));
            }
            return;
        }
    };
    let mut pending = batch;
    let mut finishes: Vec<Finish> = Vec::with_capacity(pending.len());
    let committed: Result<(), diesel::result::Error> = write_transaction(&mut conn, |c| {
        for job in pending.drain(..) {
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Ok(&mut *c))));
            match ran {
                Ok(finish) => finishes.push(finish),
                // Roll the whole transaction back; the connection is left inside a
                // transaction and so dropped rather than pooled (has_broken).
                Err(_) => return Err(diesel::result::Error::RollbackTransaction),
            }
        }
        Ok(())
    });
    let outcome = match committed {
        Ok(()) => Ok(()),
        Err(diesel::result::Error::RollbackTransaction) => {
            tracing::error!("a request panicked inside a group-commit batch; batch rolled back");
            Err(BatchError::Failed(Arc::new(BatchPanicked)))
        }
        Err(e) => {
            tracing::error!(error = %e, "a group-commit batch did not commit");
            Err(BatchError::Failed(Arc::new(e)))
        }
    };
    // Answer only now: the commit (or its failure) is final.
    let outcome_ref = outcome.as_ref().map(|_| ());
    for finish in finishes {
        finish(outcome_ref);
    }
    // Jobs that never ran (BEGIN failed, or after a panic) get the batch's error.
    if let Err(e) = &outcome {
        for job in pending {
            job(Err(e))(Err(e));
        }
    }
}
